/* task/cgroup: every job in a cgroup of its own (cg.h), which confines it
 * (ConstrainCores: cpuset; ConstrainRAMSpace/SwapSpace: memory;
 * ConstrainDevices: the GPUs it was not given, v1 only) and tracks its
 * processes: at the job's end everything still in it is killed, however it
 * left the job's session, and the cgroup is removed.  The kernel's OOM
 * killer acting in it makes the job end OUT_OF_MEMORY ("oom" in the
 * result).  Each step gets job_N/step_S below its job's (made bare first on
 * a node where the job has none): on v1 with the step's CPUs, memory and
 * GPUs, within the job's; on v2 it only tracks the step's processes, since
 * the job's cgroup holds the batch script's and v2 lets a cgroup with
 * processes enable no controllers for its children; the job's limits hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cg.h"
#include "plugin.h"
#include "task_api.h"

#define SELF_CGROUP "/proc/self/cgroup"

struct tcg {
    struct cg cg;
    struct task_conf conf;
};

static void *tcg_init(const struct task_conf *c, sl_error_t *e)
{
    struct tcg *t = calloc(1, sizeof(*t));
    const char *self = getenv("SLUICE_CGROUP_SELF");   /* tests: a fake /proc/self/cgroup */

    if (!t) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    t->conf = *c;
    t->cg.cores = c->constrain_cores;
    t->cg.ram = c->constrain_ram;
    t->cg.swap = c->constrain_swap;
    t->cg.allowed_swap = c->allowed_swap;
    t->cg.devices = c->constrain_devices;
    t->cg.log = c->log;
    if (cg_setup(&t->cg, c->cgroup_mountpoint, self && *self ? self : SELF_CGROUP, c->node_name,
                 e) < 0) {
        free(t);
        return NULL;
    }
    if (c->favor_dynmods)
        cg_favor_dynmods(&t->cg, c->cgroup_mountpoint, "/proc/mounts");
    c->log(TASK_LOG_INFO, "task/cgroup: node %s: cgroup %s under %s: jobs go to %s/job_N "
                          "(cpuset %s, memory %s, devices %s)", c->node_name,
           t->cg.mode == CG_V2 ? "v2 (unified)" : "v1", c->cgroup_mountpoint,
           t->cg.mode == CG_V2 ? t->cg.root : t->cg.base[(int)t->cg.tracker],
           t->cg.use[CG_CPUSET] ? "constrained" : "not constrained",
           t->cg.use[CG_MEMORY] && t->cg.ram ? "constrained" : "not constrained",
           t->cg.use[CG_DEVICES] ? "constrained" : "not constrained");
    return t;
}

static void tcg_fini(void *ctx)
{
    free(ctx);
}

static int is_amd(const char *vendor)
{
    return vendor && !strcmp(vendor, "amd");
}

/* Was the node's GPU g given to the job (rec "gpus": [{minor, vendor}])? */
static int job_has_gpu(const json_t *rec, const struct topo_gpu *g)
{
    size_t i;
    json_t *x;

    json_array_foreach(json_object_get(rec, "gpus"), i, x) {
        const char *v = json_string_value(json_object_get(x, "vendor"));
        if (json_integer_value(json_object_get(x, "minor")) == g->minor &&
            is_amd(v) == is_amd(g->vendor))
            return 1;
    }
    return 0;
}

static size_t deny_list(const struct tcg *t, const json_t *rec, struct cg_gpu *out)
{
    const topo_t *topo = t->conf.topo;
    size_t n = 0;

    for (uint32_t i = 0; topo && i < topo->ngpus && n < TOPO_MAX_GPUS; i++) {
        const struct topo_gpu *g = &topo->gpus[i];
        if (strcmp(g->vendor, "other") != 0 && !job_has_gpu(rec, g))
            out[n++] = (struct cg_gpu){ g->minor, is_amd(g->vendor) };
    }
    return n;
}

/* "job_N" or, for a step, "job_N/step_S". */
static void cg_rel(char *rel, size_t len, uint64_t job_id, int64_t step_id)
{
    if (step_id >= 0)
        snprintf(rel, len, "job_%llu/step_%lld", (unsigned long long)job_id,
                 (long long)step_id);
    else
        snprintf(rel, len, "job_%llu", (unsigned long long)job_id);
}

static int tcg_prepare(void *ctx, json_t *rec, sl_error_t *e)
{
    struct tcg *t = ctx;
    uint64_t id = (uint64_t)json_integer_value(json_object_get(rec, "job_id"));
    json_t *sid = json_object_get(rec, "step_id");
    int step = json_is_integer(sid);
    struct cg_gpu deny[TOPO_MAX_GPUS];
    char rel[96];
    json_t *procs = json_array();
    int rc;

    cg_rel(rel, sizeof(rel), id, step ? json_integer_value(sid) : -1);
    struct cg_limits lim = {
        .cpus = t->cg.cores ? json_string_value(json_object_get(rec, "cpu_ids")) : NULL,
        .mem_mb = (uint64_t)json_integer_value(json_object_get(rec, "mem_mb")),
        .deny = deny,
        .ndeny = t->cg.devices ? deny_list(t, rec, deny) : 0,
    };
    if (step && t->cg.mode == CG_V2)
        lim = (struct cg_limits){ 0 };
    rc = cg_create(&t->cg, rel, &lim, procs, e);
    if (rc < 0) {
        json_decref(procs);
        return rc;
    }
    json_object_set_new(rec, "cgroup_procs", procs);
    /* The job's memory figures for its usage (usage.h).  Not a step's: its
     * stepd lives in the step's cgroup (its tasks are born there), so the
     * cgroup's peak would count the stepd too. */
    if (!step && (t->cg.mode == CG_V2 || t->cg.use[CG_MEMORY]))
        json_object_set_new(rec, "cgroup_usage", json_pack("{s:s++, s:i}", "dir",
                            t->cg.mode == CG_V2 ? t->cg.root : t->cg.base[CG_MEMORY], "/",
                            rel, "version", t->cg.mode == CG_V2 ? 2 : 1));
    return 0;
}

static int tcg_kill(void *ctx, uint64_t job_id, int64_t step_id)
{
    struct tcg *t = ctx;
    char rel[96];

    cg_rel(rel, sizeof(rel), job_id, step_id);
    return cg_kill(&t->cg, rel);
}

static void tcg_end(void *ctx, uint64_t job_id, int64_t step_id, json_t *result)
{
    struct tcg *t = ctx;
    char rel[96];

    cg_rel(rel, sizeof(rel), job_id, step_id);
    if (result && cg_oom(&t->cg, rel)) {
        t->conf.log(TASK_LOG_INFO, "job %llu: the kernel's OOM killer acted in its cgroup "
                                   "(over its memory limit): OUT_OF_MEMORY",
                    (unsigned long long)job_id);
        json_object_set_new(result, "oom", json_true());
    }
    cg_remove(&t->cg, rel);
}

static void tcg_recover(void *ctx, const uint64_t *ids, size_t n)
{
    struct tcg *t = ctx;
    uint64_t *found;
    size_t nf = cg_list_jobs(&t->cg, &found);

    for (size_t i = 0; i < nf; i++) {
        int running = 0;
        for (size_t k = 0; k < n && !running; k++)
            running = ids[k] == found[i];
        if (running) {
            t->conf.log(TASK_LOG_INFO, "job %llu: its cgroup is still there: tracking it",
                        (unsigned long long)found[i]);
            continue;
        }
        t->conf.log(TASK_LOG_WARN, "job %llu: not running here, but its cgroup is: killing "
                                   "what is in it and removing it",
                    (unsigned long long)found[i]);
        (void)tcg_kill(t, found[i], -1);
        tcg_end(t, found[i], -1, NULL);
    }
    free(found);
}

static const struct task_ops ops = { tcg_init, tcg_fini, tcg_prepare, tcg_kill, tcg_end,
                                     tcg_recover };

const struct sl_plugin sluice_plugin = { "task", "cgroup", SL_PLUGIN_ABI, &ops };
