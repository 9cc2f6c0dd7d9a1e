/* ops_step.c: step_create, step_complete, step_list, step_show and the
 * cancel of one step (doc/protocol.md, "Creating, ending and listing steps"). */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "auth.h"
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "hostlist.h"
#include "log.h"
#include "nodealloc.h"
#include "steplace.h"
#include "steps.h"

/* The job's nodes and what the step may use on each. */
struct view {
    hostlist_t *hl;
    size_t n;
    char **names;
    uint32_t *cpus, *used_cpus, *tasks;
    uint64_t *mem, *used_mem;
    unsigned char *want, *avoid;
};

static void view_free(struct view *v)
{
    hostlist_destroy(v->hl);
    free(v->names);
    free(v->cpus);
    free(v->used_cpus);
    free(v->tasks);
    free(v->mem);
    free(v->used_mem);
    free(v->want);
    free(v->avoid);
}

static int view_init(struct view *v, const struct job *j)
{
    memset(v, 0, sizeof(*v));
    v->hl = hostlist_expand(j->nodes ? j->nodes : "", NULL);
    v->n = v->hl ? hostlist_count(v->hl) : 0;
    size_t n = v->n + 1;
    v->names = calloc(n, sizeof(char *));
    v->cpus = calloc(n, sizeof(uint32_t));
    v->used_cpus = calloc(n, sizeof(uint32_t));
    v->tasks = calloc(n, sizeof(uint32_t));
    v->mem = calloc(n, sizeof(uint64_t));
    v->used_mem = calloc(n, sizeof(uint64_t));
    v->want = calloc(n, 1);
    v->avoid = calloc(n, 1);
    if (!v->hl || !v->names || !v->cpus || !v->used_cpus || !v->tasks || !v->mem ||
        !v->used_mem || !v->want || !v->avoid)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        v->names[i] = (char *)hostlist_nth(v->hl, i);
        v->cpus[i] = j->cpus_per_node;
        v->mem[i] = j->alloc_mem_mb;
    }
    steps_usage(j, v->names, v->n, v->used_cpus, v->used_mem);
    return 0;
}

/* Mark the job's nodes an expression names; a name outside the job is an
 * error when strict (-w), ignored otherwise (-x). */
static int view_mark(struct view *v, const char *expr, unsigned char *mask, int strict,
                     sl_error_t *e)
{
    if (!expr || !*expr)
        return 0;
    hostlist_t *hl = hostlist_expand(expr, e);
    if (!hl)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < hostlist_count(hl) && rc == 0; i++) {
        long at = hostlist_find(v->hl, hostlist_nth(hl, i));
        if (at >= 0)
            mask[at] = 1;
        else if (strict)
            rc = sl_errprintf(e, "Requested node configuration is not available: node %s "
                                 "is not in the job's allocation", hostlist_nth(hl, i));
    }
    hostlist_destroy(hl);
    return rc;
}

static json_t *user_groups(const char *user, gid_t gid)
{
    int n = 64;
    gid_t *g = malloc((size_t)n * sizeof(gid_t));
    json_t *out = json_array();
    if (g && getgrouplist(user, gid, g, &n) < 0) {
        free(g);
        g = malloc((size_t)n * sizeof(gid_t));
        if (g && getgrouplist(user, gid, g, &n) < 0)
            n = 0;
    }
    for (int i = 0; g && i < n; i++)
        json_array_append_new(out, json_integer(g[i]));
    if (!json_array_size(out))
        json_array_append_new(out, json_integer(gid));
    free(g);
    return out;
}

/* The grant: the controller's credential around the step's facts, which
 * each node checks before it starts the step's tasks. */
/* The GPUs a step asks for on each of its nodes (names, with task counts):
 * --gpus-per-task times the node's tasks, --gpus-per-node, or --gpus spread
 * as evenly as the nodes allow (the first ones get one more).  1 with *want
 * set, 0 when the step asks for none (it sees all of the job's GPUs), -1
 * with e set when the job cannot ever give them. */
static int step_gpus(const struct job *j, json_t *q, json_t *names, json_t *counts,
                     uint32_t **want, sl_error_t *e)
{
    json_int_t per_task = json_integer_value(json_object_get(q, "gpus_per_task"));
    json_int_t per_node = json_integer_value(json_object_get(q, "gpus_per_node"));
    json_int_t total = json_integer_value(json_object_get(q, "gpus"));
    size_t n = json_array_size(names), i;
    *want = NULL;
    if (!per_task && !per_node && !total)
        return 0;
    if (!n || !(*want = calloc(n, sizeof(**want))))
        return sl_errprintf(e, "out of memory");
    for (i = 0; i < n; i++) {
        json_int_t w = per_task ? per_task * json_integer_value(json_array_get(counts, i))
                       : per_node ? per_node
                                  : total / (json_int_t)n + ((json_int_t)i < total % (json_int_t)n);
        const char *node = json_string_value(json_array_get(names, i));
        uint32_t has = nodealloc_job_gpus(j, node);
        if (w > (json_int_t)has) {
            free(*want);
            *want = NULL;
            return sl_errprintf(e, "Invalid generic resource (gres) specification: the step "
                                   "asks for %lld GPU(s) on %s, where job %u holds %u",
                                (long long)w, node, j->id, has);
        }
        (*want)[i] = (uint32_t)w;
    }
    return 1;
}

/* --gpus-per-task binds each task to its own share of the step's GPUs on
 * its node (Slurm's implied --gpu-bind=per_task:N). */
static void step_gpu_bind(json_t *q, json_t *rec)
{
    json_int_t n = json_integer_value(json_object_get(q, "gpus_per_task"));
    if (!n)
        n = json_integer_value(json_object_get(q, "gpu_bind_per_task"));
    if (n > 0)
        json_object_set_new(rec, "gpus_per_task", json_integer(n));
}

static char *step_grant(struct ctld *c, const struct job *j, json_t *rec, const char *mpi,
                        sl_error_t *e)
{
    char cpn[64];
    snprintf(cpn, sizeof(cpn), j->num_nodes > 1 ? "%u(x%u)" : "%u", j->cpus_per_node,
             j->num_nodes);
    json_t *p = json_pack(
        "{s:i, s:O, s:i, s:i, s:s, s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:O, s:s, s:i, s:s,"
        " s:s, s:s, s:s, s:s, s:i, s:o}",
        "job_id", (int)j->id, "step_id", json_object_get(rec, "step_id"), "uid", (int)j->uid,
        "gid", (int)j->gid, "user", j->user, "node_names", json_object_get(rec, "node_names"),
        "tasks_per_node", json_object_get(rec, "task_counts"), "ntasks",
        json_object_get(rec, "ntasks"), "cpus_per_task", json_object_get(rec, "cpus_per_task"),
        "mem_mb", json_object_get(rec, "mem_mb"), "mpi", mpi, "time_limit",
        json_object_get(rec, "time_limit"), "name", json_object_get(rec, "name"), "job_nodes",
        j->nodes, "job_num_nodes", (int)j->num_nodes, "job_cpus_per_node", cpn, "partition",
        j->partition ? j->partition : "", "account", j->account ? j->account : "", "cluster",
        c->conf->cluster_name, "job_name", j->name ? j->name : "", "kill_wait",
        c->conf->kill_wait, "groups", user_groups(j->user, j->gid));
    if (p && json_object_get(rec, "alloc"))
        nodealloc_step_fields(c, json_object_get(rec, "alloc"), p);
    if (p && json_object_get(rec, "gpus_per_task"))
        json_object_set(p, "gpus_per_task", json_object_get(rec, "gpus_per_task"));
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    char *cred = text ? auth_cred_create_payload(c->auth, text, strlen(text), e) : NULL;
    if (!text)
        sl_errprintf(e, "cannot encode the step's grant");
    json_decref(p);
    free(text);
    return cred;
}

static json_t *step_addrs(struct ctld *c, json_t *names)
{
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(names, i, v) {
        struct node *n = node_find(c, json_string_value(v));
        json_array_append_new(out, json_pack("{s:O, s:s, s:i}", "name", v, "host",
                                             n ? n->cfg->hostname : "", "port",
                                             n ? n->cfg->port : 0));
    }
    return out;
}

static const char *step_name(json_t *q)
{
    const char *name = json_string_value(json_object_get(q, "name"));
    const char *argv0 = json_string_value(json_array_get(json_object_get(q, "argv"), 0));
    if (name && *name)
        return name;
    if (argv0 && *argv0)
        return strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
    return "noname";
}

/* The new step's id: the job's next, except in a step over several het
 * components, whose parts share one id as in Slurm: the first (het_first)
 * takes one no component has used, the others take it (step_id_min). */
static uint32_t step_id_pick(struct ctld *c, const struct job *j, json_t *q)
{
    uint32_t sid = j->next_step_id;
    json_int_t min = json_integer_value(json_object_get(q, "step_id_min"));
    if (json_is_true(json_object_get(q, "het_first"))) {
        struct job *comp[HET_MAX_COMPONENTS];
        size_t n = het_components(c, j, comp, HET_MAX_COMPONENTS);
        for (size_t k = 0; k < n; k++)
            if (comp[k]->next_step_id > sid)
                sid = comp[k]->next_step_id;
    }
    return min > (json_int_t)sid ? (uint32_t)min : sid;
}

/* Place the step; on failure reply and return -1. */
static int step_place(sl_conn_t *conn, uint64_t id, const struct job *j, json_t *q,
                      struct view *v)
{
    sl_error_t e;
    const char *why = NULL;
    if (view_init(v, j) < 0) {
        conn_error(conn, id, "EIO", "out of memory placing a step of job %u", j->id);
        return -1;
    }
    if (view_mark(v, json_string_value(json_object_get(q, "nodelist")), v->want, 1, &e) < 0 ||
        view_mark(v, json_string_value(json_object_get(q, "exclude")), v->avoid, 0, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return -1;
    }
    struct steplace_alloc a = { v->n, v->cpus, v->mem, v->used_cpus, v->used_mem };
    struct steplace_req r = {
        .ntasks = (uint32_t)json_integer_value(json_object_get(q, "ntasks")),
        .nnodes = (uint32_t)json_integer_value(json_object_get(q, "nnodes")),
        .ntasks_per_node = (uint32_t)json_integer_value(json_object_get(q, "ntasks_per_node")),
        .cpus_per_task = (uint32_t)json_integer_value(json_object_get(q, "cpus_per_task")),
        .mem_mb = (uint64_t)json_integer_value(json_object_get(q, "mem_mb")),
        .want = v->want, .avoid = v->avoid,
        .overlap = json_is_true(json_object_get(q, "overlap")),
    };
    enum steplace_rc rc = steplace(&a, &r, v->tasks, &why);
    if (rc == STEPLACE_OK)
        return 0;
    conn_error(conn, id, rc == STEPLACE_BUSY ? "EAGAIN" : "EINVAL", "%s", why);
    return -1;
}

void op_step_create(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct job *j = ops_job_get(c, conn, id, json_object_get(q, "job_id"), NULL);
    struct view v;
    sl_error_t e;
    if (!j)
        return;
    if (j->state != JOB_RUNNING || j->completing) {
        conn_error(conn, id, job_is_pending(j) || j->state == JOB_STARTING ? "EAGAIN" : "EINVAL",
                   job_is_pending(j) || j->state == JOB_STARTING
                       ? "Job %u is not running yet: its allocation is still pending"
                       : "Job/step already completing or completed (job %u)", j->id);
        return;
    }
    if (step_place(conn, id, j, q, &v) < 0) {
        view_free(&v);
        return;
    }
    json_t *names = json_array(), *counts = json_array();
    for (size_t i = 0; i < v.n; i++) {
        if (v.tasks[i]) {
            json_array_append_new(names, json_string(v.names[i]));
            json_array_append_new(counts, json_integer(v.tasks[i]));
        }
    }
    view_free(&v);
    json_t *tl = json_object_get(q, "time_limit");
    const char *mpi = json_string_value(json_object_get(q, "mpi"));
    uint32_t cpt = (uint32_t)json_integer_value(json_object_get(q, "cpus_per_task"));
    uint32_t sid = step_id_pick(c, j, q);
    json_t *rec = step_record_new(c, j, sid, step_name(q), names, counts,
                                  cpt ? cpt : 1,
                                  (uint64_t)json_integer_value(json_object_get(q, "mem_mb")),
                                  json_is_true(json_object_get(q, "overlap")),
                                  tl ? json_integer_value(tl) : j->time_limit);
    uint32_t *want = NULL;
    struct nodealloc_step_gpus g = { 0 };
    int gpu_rc = step_gpus(j, q, names, counts, &want, &e);
    if (gpu_rc < 0) {
        json_decref(rec);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    g.want = want;
    g.type = json_string_value(json_object_get(q, "gpu_type"));
    g.per_task = json_integer_value(json_object_get(q, "gpus_per_task")) > 0;
    json_t *alloc = nodealloc_step(c, j, names, counts, cpt ? cpt : 1,
                                   json_is_true(json_object_get(q, "overlap")),
                                   want ? &g : NULL, &e);
    free(want);
    if (!alloc) {
        json_decref(rec);
        conn_error(conn, id, "EAGAIN", "%s", e.text);
        return;
    }
    if (gpu_rc > 0)
        json_object_set_new(rec, "gpu_req", json_true());
    step_gpu_bind(q, rec);
    if (!json_is_null(alloc))
        json_object_set(rec, "alloc", alloc);
    json_decref(alloc);
    if (!mpi || !*mpi)
        mpi = c->conf->mpi_default;
    if (strcmp(mpi, "pmix_v4") == 0)
        mpi = "pmix";
    char *cred = step_grant(c, j, rec, mpi, &e);
    if (!cred) {
        json_decref(rec);
        conn_error(conn, id, "EIO", "cannot make the step's credential: %s", e.text);
        return;
    }
    j->next_step_id = sid + 1;
    ctld_job_save(c, j);
    json_t *reply = json_pack("{s:O, s:O, s:O, s:O, s:O, s:o, s:s, s:s}", "step_id",
                              json_object_get(rec, "step_id"), "nodes",
                              json_object_get(rec, "nodes"), "node_names",
                              json_object_get(rec, "node_names"), "tasks_per_node",
                              json_object_get(rec, "task_counts"), "ntasks",
                              json_object_get(rec, "ntasks"), "addrs",
                              step_addrs(c, json_object_get(rec, "node_names")), "cred", cred,
                              "mpi", mpi);
    free(cred);
    if (json_object_get(rec, "alloc"))
        nodealloc_step_fields(c, json_object_get(rec, "alloc"), reply);
    log_info("step %s created: %s tasks on %s", json_string_value(json_object_get(rec, "id")),
             json_string_value(json_object_get(rec, "tasks_per_node")),
             json_string_value(json_object_get(rec, "nodes")));
    step_add(c, j, rec);
    ctld_reply_later(c, conn, id, reply);
}

static const char *const step_end_states[] = {
    "COMPLETED", "FAILED", "CANCELLED", "NODE_FAIL", "TIMEOUT", "OUT_OF_MEMORY",
};

static const char *step_state_arg(json_t *q, int code, int sig, sl_error_t *e)
{
    const char *st = json_string_value(json_object_get(q, "state"));
    if (!st)
        return code || sig ? "FAILED" : "COMPLETED";
    for (size_t i = 0; i < sizeof(step_end_states) / sizeof(step_end_states[0]); i++)
        if (strcasecmp(st, step_end_states[i]) == 0)
            return step_end_states[i];
    sl_errprintf(e, "step_complete: invalid state '%s' (COMPLETED, FAILED, CANCELLED, "
                    "NODE_FAIL, TIMEOUT or OUT_OF_MEMORY)", st);
    return NULL;
}

/* Is step S of job id in the table (ended already)? */
static int step_stored(struct ctld *c, uint32_t job_id, json_int_t step_id)
{
    json_t *all = db_steps_of(c->db, job_id), *rec;
    size_t i;
    int found = 0;
    json_array_foreach(all, i, rec) {
        json_t *s = json_object_get(rec, "step_id");
        found |= json_is_integer(s) && json_integer_value(s) == step_id;
    }
    json_decref(all);
    return found;
}

void op_step_complete(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uint32_t finished;
    struct job *j = ops_job_get(c, conn, id, json_object_get(q, "job_id"), &finished);
    json_int_t sid = json_integer_value(json_object_get(q, "step_id"));
    int code = (int)json_integer_value(json_object_get(q, "exit_code"));
    int sig = (int)json_integer_value(json_object_get(q, "signal"));
    sl_error_t e;
    size_t idx;
    const char *state = step_state_arg(q, code, sig, &e);
    if (!j && !finished)
        return;
    if (!state) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    if (j && step_running(j, sid, &idx)) {
        step_set_usage(json_array_get(j->steps, idx), json_object_get(q, "usage"));
        step_end(c, j, idx, state, code, sig);
        ctld_reply_later(c, conn, id, json_object());
    } else if (step_stored(c, j ? j->id : finished, sid)) {
        conn_reply(conn, id, json_object());     /* ended with its job already */
    } else {
        conn_error(conn, id, "ENOENT", "Invalid job step id specified: %u.%lld",
                   j ? j->id : finished, (long long)sid);
    }
}

/* job_cancel with step_id: signal or end one step, on its nodes. */
void steps_cancel(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q)
{
    json_t *ids = json_object_get(q, "job_ids");
    json_int_t sid = json_integer_value(json_object_get(q, "step_id"));
    int sig = (int)json_integer_value(json_object_get(q, "signal"));
    if (json_array_size(ids) != 1) {
        conn_error(conn, id, "EINVAL", "job_cancel: step_id needs exactly one job id in job_ids");
        return;
    }
    struct job *j = ops_job_get(c, conn, id, json_array_get(ids, 0), NULL);
    if (!j)
        return;
    json_t *rec = step_running(j, sid, NULL);
    json_t *errors = json_array(), *done = json_array();
    char sname[48];
    snprintf(sname, sizeof(sname), "%u.%lld", j->id, (long long)sid);
    if (!rec) {
        json_array_append_new(errors, json_pack("{s:i, s:s, s:s}", "job_id", (int)j->id,
                                                "step", sname, "message",
                                                step_stored(c, j->id, sid)
                                                    ? "Job/step already completing or completed"
                                                    : "Invalid job step id specified"));
    } else {
        steps_signal(c, j, rec, sig ? sig : SIGTERM, !sig);
        json_array_append_new(done, json_integer(j->id));
        log_info("step %s: %s", sname, sig ? "signalled" : "terminating");
    }
    conn_reply(conn, id, json_pack("{s:o, s:o}", "done", done, "errors", errors));
}
