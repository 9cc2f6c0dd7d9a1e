/* sched.c: what every scheduler plugin shares: validation at submit, the
 * order of pending jobs, readiness, node selection and starting.  Which job
 * starts when is the plugin's decision (plugins/sched/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostlist.h"
#include "log.h"
#include "parse.h"
#include "elastic_part.h"
#include "power.h"
#include "queue.h"
#include "sched_api.h"
#include "featexpr.h"
#include "hetjob.h"
#include "nodealloc.h"
#include "share.h"

uint32_t sched_nodes_needed(const struct job *j)
{
    return j->nodes_min ? j->nodes_min : 1;
}

uint32_t sched_tasks_per_node(const struct job *j)
{
    uint32_t n = sched_nodes_needed(j);
    uint32_t tpn = j->ntasks_per_node ? j->ntasks_per_node : (j->ntasks + n - 1) / n;
    return tpn ? tpn : 1;
}

uint32_t sched_gpus_per_node(const struct job *j)
{
    uint32_t n = sched_nodes_needed(j);
    if (j->gpus_per_node)
        return j->gpus_per_node;
    if (j->gpus_per_task)
        return j->gpus_per_task * sched_tasks_per_node(j);
    return j->gpus ? (j->gpus + n - 1) / n : 0;
}

const char *sched_gpu_words(const struct job *j)
{
    static char buf[96];
    uint32_t g = sched_gpus_per_node(j);
    if (!g)
        return "";
    snprintf(buf, sizeof(buf), " and %u GPU%s%s%.40s%s", g, g > 1 ? "s" : "",
             j->gpu_type ? " (" : "", j->gpu_type ? j->gpu_type : "", j->gpu_type ? ")" : "");
    return buf;
}

uint32_t sched_cpus_asked(const struct job *j)
{
    uint32_t c = sched_tasks_per_node(j) * (j->cpus_per_task ? j->cpus_per_task : 1);
    uint32_t g = sched_gpus_per_node(j) * j->cpus_per_gpu;
    if (g > c)
        c = g;
    return j->min_cpus > c ? j->min_cpus : c;   /* --mincpus: a floor per node, as Slurm */
}

/* CPUs held on a node: with one thread per core, every thread of the
 * cores taken counts (Slurm's way). */
uint32_t sched_cpus_per_node(const struct job *j, const struct conf_node *cfg)
{
    if (j->exclusive && cfg)
        return cfg->cpus;
    uint32_t c = sched_cpus_asked(j);
    if (j->threads_per_core == 1 && cfg && cfg->threads_per_core > 1)
        c *= cfg->threads_per_core;
    return c;
}

uint64_t sched_mem_per_node(const struct job *j, const struct conf_node *cfg)
{
    if ((j->exclusive || j->mem_all) && cfg)
        return cfg->real_memory_mb;
    if (j->mem_per_gpu_mb)
        return j->mem_per_gpu_mb * sched_gpus_per_node(j);
    return j->mem_mb ? j->mem_mb : j->mem_per_cpu_mb * sched_cpus_per_node(j, cfg);
}

int64_t sched_job_end(const struct job *j)
{
    if (j->time_limit == TIME_INFINITE || j->time_limit <= 0)
        return RESMAP_FOREVER;
    return (j->start_time ? j->start_time : ctld_now()) + j->time_limit;
}

size_t sched_node_index(struct ctld *c, const struct node *n)
{
    return n->index;
}

static int in_list(hostlist_t *hl, const char *name)
{
    return hl && hostlist_find(hl, name) >= 0;
}

static int node_fits(struct ctld *c, struct node *n, const struct job *j,
                     const struct conf_partition *p)
{
    if (!node_usable(n) || (j->exclusive && n->njobs) || !resv_node_ok(c, n, j))
        return 0;
    uint32_t cpus = sched_cpus_per_node(j, n->cfg);
    if (p->max_cpus_per_node && node_part_cpus_used(c, n, p) + cpus > p->max_cpus_per_node)
        return 0;
    uint64_t mem = sched_mem_per_node(j, n->cfg);
    return n->cfg->cpus - n->alloc_cpus >= cpus &&
           (mem == 0 || n->cfg->real_memory_mb - n->alloc_mem_mb >= mem) &&
           nodealloc_fits(n, j);
}

int sched_node_eligible(struct node *n, const struct job *j, int alt)
{
    uint32_t g = sched_gpus_per_node(j);
    if (j->constraint && !featexpr_match(j->constraint, n->cfg->features, alt))
        return 0;
    if (n->cfg->tmp_disk_mb < j->tmp_mb)   /* --tmp: a minimum, as Slurm's, not counted out */
        return 0;
    return !g || cpualloc_gpus_total(node_topo(n), j->gpu_type) >= g;
}

/* The partition's node positions by Weight (lower first, then as listed);
 * NULL when all weigh the same (the common case costs no sort). */
static size_t *weight_order(struct ctld *c, const struct conf_partition *p)
{
    size_t k, *ord;
    for (k = 1; k < p->nnodes; k++)
        if (node_of_part(c, p, k)->cfg->weight != node_of_part(c, p, 0)->cfg->weight)
            break;
    if (k >= p->nnodes || !(ord = malloc(p->nnodes * sizeof(*ord))))
        return NULL;
    for (k = 0; k < p->nnodes; k++) {   /* insertion sort: stable, partitions are small */
        size_t i = k;
        uint32_t w = node_of_part(c, p, k)->cfg->weight;
        for (; i > 0 && node_of_part(c, p, ord[i - 1])->cfg->weight > w; i--)
            ord[i] = ord[i - 1];
        ord[i] = k;
    }
    return ord;
}

struct probe_arg {
    const struct job *j;
    const struct conf_partition *p;
    int alt;
};

static int probe_fits(struct ctld *c, struct node *n, void *arg)
{
    const struct probe_arg *a = arg;
    return sched_node_eligible(n, a->j, a->alt) && node_fits(c, n, a->j, a->p);
}

/* An elastic partition's powered-down nodes have no type until resumed:
 * the strategy's type for j, tried on the first of them the job may use. */
static const struct conf_node *elastic_type_for(struct ctld *c, const struct job *j,
                                                const struct conf_partition *p, int alt,
                                                uint32_t count, const char *avoid,
                                                hostlist_t *req, hostlist_t *excl)
{
    struct probe_arg a = { j, p, alt };
    for (size_t i = 0; i < p->nnodes; i++) {
        struct node *n = node_of_part(c, p, i);
        if (n && n->power == POWER_OFF && power_node_plannable(n) && !in_list(req, n->name) &&
            !in_list(excl, n->name) && (!avoid || !avoid[sched_node_index(c, n)]))
            return elastic_job_type(c, p, n, count, probe_fits, &a);
    }
    return NULL;
}

static size_t pick_alt(struct ctld *c, struct job *j, const struct conf_partition *p,
                       struct node **out, const char **why, const char *avoid, int alt,
                       hostlist_t *req, hostlist_t *excl, const size_t *ord)
{
    uint32_t need = sched_nodes_needed(j);
    size_t got = 0, matching = 0;
    for (size_t i = 0; req && i < hostlist_count(req); i++) {
        struct node *n = node_find(c, hostlist_nth(req, i));
        if (n && !sched_node_eligible(n, j, alt)) {
            *why = "BadConstraints";
            return 0;
        }
        if (!n || !node_usable(n) || !node_fits(c, n, j, p) ||
            (avoid && avoid[sched_node_index(c, n)])) {
            *why = n && node_usable(n) ? "Resources" : "ReqNodeNotAvail";
            return 0;
        }
        out[got++] = n;
    }
    /* Power saving: powered-up nodes first, then those that must be
     * resumed (pass 1), so nothing is powered up while a running node fits. */
    for (int off = 0; off < 2 && got < need; off++) {
        const struct conf_node *etype = NULL;
        if (off && p->elastic)   /* the type they are resumed as: the strategy's */
            etype = elastic_type_for(c, j, p, alt, need - got, avoid, req, excl);
        for (size_t i = 0; i < p->nnodes && got < need; i++) {
            struct node *n = node_of_part(c, p, ord ? ord[i] : i);
            if (n && etype && n->power == POWER_OFF && !in_list(req, n->name))
                elastic_node_retype(c->conf, n, etype);
            if (!n || power_node_off(n) != off || in_list(req, n->name) ||
                in_list(excl, n->name) || !sched_node_eligible(n, j, alt))
                continue;
            matching++;
            if ((!avoid || !avoid[sched_node_index(c, n)]) && node_fits(c, n, j, p))
                out[got++] = n;
        }
    }
    /* No node of the partition has the features (a reconfigure took them). */
    if (got < need && !matching && j->constraint)
        *why = "BadConstraints";
    return got;
}

/* Slurm's reason when nodes the job could use are in a maintenance
 * reservation: "ReqNodeNotAvail, Reserved for maintenance" (squeue %r shows
 * it whole; scontrol with '_' for the spaces; JSON splits it at the comma). */
static int maint_in_way(struct ctld *c, const struct job *j, const struct conf_partition *p,
                        hostlist_t *req, hostlist_t *excl)
{
    for (size_t i = 0; i < p->nnodes; i++) {
        struct node *n = node_of_part(c, p, i);
        if (n && (!req || in_list(req, n->name)) && !in_list(excl, n->name) &&
            resv_node_maint(c, n, j))
            return 1;
    }
    return 0;
}

size_t sched_pick_now(struct ctld *c, struct job *j, const struct conf_partition *p,
                      struct node **out, const char **why, const char *avoid)
{
    hostlist_t *req = j->req_nodelist ? hostlist_expand(j->req_nodelist, NULL) : NULL;
    hostlist_t *excl = j->exclude ? hostlist_expand(j->exclude, NULL) : NULL;
    size_t *ord = weight_order(c, p), got = 0;
    uint32_t need = sched_nodes_needed(j);
    /* [a|b] on several nodes: all of them with the same one. */
    int alts = j->constraint && need > 1 ? featexpr_alts(j->constraint) : 0;
    *why = "Resources";
    for (int a = alts ? 0 : -1; a < alts && got < need; a++)
        got = pick_alt(c, j, p, out, why, avoid, a, req, excl, ord);
    if (p->elastic && got >= need)
        got = elastic_pick_check(c, p, out, got, why);
    if (got < need && !strcmp(*why, "Resources") && resv_any_maint(c) &&
        maint_in_way(c, j, p, req, excl))
        *why = SCHED_REASON_MAINT;
    free(ord);
    hostlist_destroy(req);
    hostlist_destroy(excl);
    return got;
}

size_t sched_job_parts(struct ctld *c, const struct job *j, const struct conf_partition **out,
                       size_t max)
{
    struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
    size_t n = 0;
    if (!q) {   /* -p a,b: the partitions as listed */
        char *copy = j->partition ? strdup(j->partition) : NULL, *save = NULL;
        for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it && n < max;
             it = strtok_r(NULL, ",", &save)) {
            const struct conf_partition *p = conf_part_find(c->conf, it);
            if (p)
                out[n++] = p;
        }
        free(copy);
        return n;
    }
    for (size_t i = 0; i < q->q.nparts && n < max; i++) {
        const struct conf_partition *p = conf_part_find(c->conf, q->q.partitions[i]);
        if (p)
            out[n++] = p;
    }
    return n;
}

void sched_set_wait(struct job *j, enum job_state st, const char *reason, const char *detail)
{
    j->state = st;
    job_set_reason(j, reason);
    job_set_str(&j->reason_detail, detail);
}

int64_t sched_least_time(const struct job *j)
{
    return j->time_min > 0 ? j->time_min : j->time_limit > 0 ? j->time_limit : 0;
}

/* As Slurm: a job with --deadline and --time-min whose time limit would run
 * past the deadline starts with the whole minutes left before it (never
 * below --time-min: sched_job_ready let it start only if that fits).  A
 * running job is then bound by its time limit alone, as in Slurm: reaching
 * the deadline does not end it. */
static void sched_fit_deadline(struct job *j)
{
    int64_t left = j->deadline - j->start_time;
    if (!j->deadline || j->time_min <= 0 || (j->time_limit > 0 && j->time_limit <= left))
        return;
    left -= left % 60;
    j->time_limit = left > j->time_min ? left : j->time_min;
}

struct job *sched_start_on(struct ctld *c, struct job *j, const struct conf_partition *p,
                           struct node **picked, size_t n)
{
    sl_error_t e;
    json_t *alloc = nodealloc_pick(j, picked, n, &e);
    if (!alloc) {   /* node_fits said yes: the two disagree, which is a bug */
        log_error("job %u: cannot choose its CPUs and GPUs: %s", j->id, e.text);
        return NULL;
    }
    if (job_is_array_parent(j)) {
        uint32_t idx = array_next_eligible(c, j);
        struct job *t = idx == IDSET_NONE ? NULL : array_split(c, j, idx);
        if (!t) {
            json_decref(alloc);
            return NULL;
        }
        j = t;
    }
    json_decref(j->alloc);
    j->alloc = alloc;
    hostlist_t *hl = hostlist_create();
    for (size_t i = 0; i < n; i++)
        hostlist_push_host(hl, picked[i]->name);
    hostlist_uniq(hl);   /* sorted as Slurm lists them, whatever Weight picked first */
    free(j->nodes);
    j->nodes = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    job_set_str(&j->partition, p->name);
    j->num_nodes = (uint32_t)n;
    /* The CPUs really taken (whole cores count every thread). */
    j->num_cpus = 0;
    for (size_t i = 0; i < n; i++)
        j->num_cpus += nodealloc_count(json_string_value(
            json_object_get(json_array_get(alloc, i), "cpus")));
    j->cpus_per_node = nodealloc_count(json_string_value(
        json_object_get(json_array_get(alloc, 0), "cpus")));
    j->alloc_gpus = sched_gpus_per_node(j);
    j->alloc_mem_mb = sched_mem_per_node(j, picked[0]->cfg);
    j->state = JOB_STARTING;
    j->start_time = ctld_now();
    sched_fit_deadline(j);
    j->expected_start = 0;
    job_set_reason(j, NULL);
    job_set_str(&j->reason_detail, NULL);
    job_alloc_nodes(c, j);
    ctld_job_save(c, j);
    launch_job(c, j);
    mail_job_began(c, j);
    dep_notify(c, j);   /* after:ID waits for the start */
    return j;
}

int sched_array_can_start(struct ctld *c, struct job *p)
{
    if (!job_is_array_parent(p))
        return 1;
    if (idset_count(p->array_pending) && array_next_eligible(c, p) != IDSET_NONE)
        return 1;
    if (job_is_terminal(p) || !idset_count(p->array_pending))
        return 0;
    int throttled = p->array_throttle && p->array_running >= p->array_throttle;
    sched_set_wait(p, throttled ? JOB_RUNNABLE : JOB_PENDING,
                   throttled ? "JobArrayTaskLimit" : "Dependency",
                   throttled ? "the array's task throttle is reached" : NULL);
    return 0;
}

int sched_queue_room(struct ctld *c, const struct job *j, uint32_t cpus)
{
    return share_queue_room(c, j, cpus);
}

void sched_pass(struct ctld *c)
{
    if (c->sched && c->sched->pass)
        c->sched->pass(c);
    queue_heads_check(c);
}

size_t sched_het_components(struct ctld *c, const struct job *lead, struct job **out,
                            size_t max)
{
    _Static_assert(SCHED_HET_MAX == HET_MAX_COMPONENTS, "one limit");
    return het_components(c, lead, out, max);
}
