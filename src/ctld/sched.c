/* sched.c: the scheduling pass (strict priority order, submit order within
 * equal priority) and node selection.  A job that cannot start blocks the
 * jobs behind it in its partition, so large jobs are not starved. */
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hostlist.h"
#include "log.h"
#include "parse.h"

struct need {
    uint32_t nodes;          /* exactly this many nodes */
    uint32_t cpus;           /* per node */
    uint64_t mem;            /* per node, 0 = not accounted */
};

static void job_need(const struct job *j, const struct conf_node *cfg, struct need *nd)
{
    uint32_t n = j->nodes_min ? j->nodes_min : 1;
    uint32_t tpn = j->ntasks_per_node ? j->ntasks_per_node : (j->ntasks + n - 1) / n;
    if (tpn == 0)
        tpn = 1;
    nd->nodes = n;
    nd->cpus = tpn * (j->cpus_per_task ? j->cpus_per_task : 1);
    nd->mem = j->mem_mb ? j->mem_mb : j->mem_per_cpu_mb * nd->cpus;
    if (j->exclusive && cfg) {
        nd->cpus = cfg->cpus;
        nd->mem = cfg->real_memory_mb;
    }
}

static int in_list(hostlist_t *hl, const char *name)
{
    return hl && hostlist_find(hl, name) >= 0;
}

static int part_has(const struct conf_partition *p, const char *name)
{
    for (size_t i = 0; i < p->nnodes; i++) {
        if (strcmp(p->nodes[i], name) == 0)
            return 1;
    }
    return 0;
}

int sched_validate(struct ctld *c, struct job *j, const struct conf_partition *p, sl_error_t *e)
{
    if (p->max_time != TIME_INFINITE && (j->time_limit == TIME_INFINITE ||
                                          j->time_limit > p->max_time))
        return sl_errprintf(e, "Requested time limit is invalid (missing or exceeds some "
                               "limit): partition %s allows at most %s", p->name,
                            format_duration(p->max_time, (char[32]){0}, 32));
    hostlist_t *req = NULL, *excl = NULL;
    int rc = 0;
    if (j->req_nodelist && !(req = hostlist_expand(j->req_nodelist, e)))
        return sl_errprefix(e, "invalid --nodelist");
    if (j->exclude && !(excl = hostlist_expand(j->exclude, e))) {
        hostlist_destroy(req);
        return sl_errprefix(e, "invalid --exclude");
    }
    for (size_t i = 0; req && i < hostlist_count(req) && rc == 0; i++) {
        const char *name = hostlist_nth(req, i);
        if (!conf_node_find(c->conf, name))
            rc = sl_errprintf(e, "Invalid node name specified: %s", name);
        else if (!part_has(p, name))
            rc = sl_errprintf(e, "Requested node configuration is not available: node %s "
                                 "is not in partition %s", name, p->name);
        else if (in_list(excl, name))
            rc = sl_errprintf(e, "node %s is both required and excluded", name);
    }
    if (rc == 0 && req && hostlist_count(req) > j->nodes_min)
        j->nodes_min = (uint32_t)hostlist_count(req);
    /* Without -N, spread tasks over as many nodes as the largest node needs. */
    uint32_t maxcpus = 0;
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct conf_node *cfg = conf_node_find(c->conf, p->nodes[i]);
        if (cfg && cfg->cpus > maxcpus)
            maxcpus = cfg->cpus;
    }
    uint64_t total = (uint64_t)j->ntasks * (j->cpus_per_task ? j->cpus_per_task : 1);
    if (rc == 0 && j->nodes_max == 0 && maxcpus && total > maxcpus && !j->ntasks_per_node) {
        uint32_t want = (uint32_t)((total + maxcpus - 1) / maxcpus);
        if (want > j->nodes_min)
            j->nodes_min = want;
    }
    if (rc == 0 && p->max_nodes && j->nodes_min > p->max_nodes)
        rc = sl_errprintf(e, "Node count specification invalid: partition %s allows %u "
                             "nodes per job", p->name, p->max_nodes);
    uint32_t fit = 0;
    for (size_t i = 0; rc == 0 && i < p->nnodes; i++) {
        const struct conf_node *cfg = conf_node_find(c->conf, p->nodes[i]);
        struct need nd;
        job_need(j, cfg, &nd);
        if (cfg && !in_list(excl, cfg->name) && cfg->cpus >= nd.cpus &&
            cfg->real_memory_mb >= nd.mem)
            fit++;
    }
    if (rc == 0 && fit < j->nodes_min) {
        struct need nd;
        job_need(j, NULL, &nd);
        rc = sl_errprintf(e, "Requested node configuration is not available: %u node(s) with "
                             "%u CPUs and %llu MB each needed, partition %s has %u such "
                             "node(s)", nd.nodes, nd.cpus, (unsigned long long)nd.mem,
                          p->name, fit);
    }
    hostlist_destroy(req);
    hostlist_destroy(excl);
    return rc;
}

static int node_fits(const struct node *n, const struct job *j, const struct need *nd)
{
    const struct conf_node *cfg = n->cfg;
    if (!node_usable(n))
        return 0;
    if (j->exclusive && n->njobs)
        return 0;
    return cfg->cpus - n->alloc_cpus >= nd->cpus &&
           (nd->mem == 0 || cfg->real_memory_mb - n->alloc_mem_mb >= nd->mem);
}

/* Choose nodes; returns the count chosen (== nd.nodes on success).  *why is
 * set to the reason when it fails. */
static size_t sched_pick(struct ctld *c, struct job *j, const struct conf_partition *p,
                         struct node **out, const char **why)
{
    hostlist_t *req = j->req_nodelist ? hostlist_expand(j->req_nodelist, NULL) : NULL;
    hostlist_t *excl = j->exclude ? hostlist_expand(j->exclude, NULL) : NULL;
    struct need nd;
    size_t got = 0;
    job_need(j, NULL, &nd);
    *why = "Resources";
    for (size_t i = 0; req && i < hostlist_count(req); i++) {
        struct node *n = node_find(c, hostlist_nth(req, i));
        struct need nn;
        job_need(j, n ? n->cfg : NULL, &nn);
        if (!n || !node_usable(n)) {
            *why = "ReqNodeNotAvail";
            got = 0;
            goto out;
        }
        if (!node_fits(n, j, &nn)) {
            got = 0;
            goto out;
        }
        out[got++] = n;
    }
    for (size_t i = 0; i < p->nnodes && got < nd.nodes; i++) {
        struct node *n = node_find(c, p->nodes[i]);
        struct need nn;
        if (!n || in_list(req, n->name) || in_list(excl, n->name))
            continue;
        job_need(j, n->cfg, &nn);
        if (node_fits(n, j, &nn))
            out[got++] = n;
    }
out:
    hostlist_destroy(req);
    hostlist_destroy(excl);
    return got;
}

static void sched_start(struct ctld *c, struct job *j, struct node **picked, size_t n)
{
    hostlist_t *hl = hostlist_create();
    struct need nd;
    job_need(j, picked[0]->cfg, &nd);
    for (size_t i = 0; i < n; i++)
        hostlist_push_host(hl, picked[i]->name);
    free(j->nodes);
    j->nodes = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    j->num_nodes = (uint32_t)n;
    j->cpus_per_node = nd.cpus;
    j->num_cpus = nd.cpus * (uint32_t)n;
    j->alloc_mem_mb = nd.mem;
    j->state = JOB_STARTING;
    j->start_time = ctld_now();
    job_set_reason(j, NULL);
    job_alloc_nodes(c, j);
    ctld_job_save(c, j);
    launch_job(c, j);
}

int sched_test(struct ctld *c, struct job *j, char **nodes)
{
    const struct conf_partition *p = conf_part_find(c->conf, j->partition);
    struct node **picked = calloc(c->nnodes + 1, sizeof(*picked));
    const char *why;
    struct need nd;
    job_need(j, NULL, &nd);
    size_t n = p ? sched_pick(c, j, p, picked, &why) : 0;
    int ok = p && n == nd.nodes && p->state == PART_UP;
    if (ok) {
        hostlist_t *hl = hostlist_create();
        for (size_t i = 0; i < n; i++)
            hostlist_push_host(hl, picked[i]->name);
        *nodes = hostlist_ranged_string(hl);
        hostlist_destroy(hl);
    }
    free(picked);
    return ok;
}

/* Why a pending job cannot be considered at all, or NULL. */
static const char *job_blocker(const struct job *j, const struct conf_partition *p)
{
    if (j->hold)
        return j->hold_admin ? "JobHeldAdmin" : "JobHeldUser";
    if (!p)
        return "PartitionConfig";
    if (p->state == PART_DOWN)
        return "PartitionDown";
    if (p->state == PART_INACTIVE)
        return "PartitionInactive";
    return NULL;
}

static void job_wait(struct job *j, enum job_state st, const char *reason)
{
    j->state = st;
    job_set_reason(j, reason);
}

/* Dependencies and begin time; returns 1 if the job may be considered now.
 * A dependency that can never be satisfied fails the job (the default) and
 * so cascades down the chain within this same pass. */
static int job_ready(struct ctld *c, struct job *j)
{
    if (j->begin_time > ctld_now()) {
        ctld_wake_at(c, j->begin_time);
        job_wait(j, JOB_PENDING, "BeginTime");
        return 0;
    }
    if (!j->deps.n)
        return 1;
    if (j->dep_dirty || j->dep_state == DEP_NONE) {
        j->dep_dirty = 0;
        j->dep_state = dep_eval(c, j, -1);
    }
    if (j->dep_state == DEP_OK)
        return 1;
    if (j->dep_state == DEP_NEVER && j->kill_on_invalid_dep) {
        if (job_is_array_parent(j))
            array_cancel(c, j, NULL, 0);
        ctld_job_finish(c, j, job_is_array_parent(j) ? END_CANCELLED : END_FAILED,
                        "DependencyFailed");
        return 0;
    }
    job_wait(j, JOB_PENDING, j->dep_state == DEP_NEVER ? "DependencyNeverSatisfied"
                                                        : "Dependency");
    return 0;
}

/* Start as many tasks of an array as may start; 0 if resources ran out. */
static int sched_array(struct ctld *c, struct job *p, const struct conf_partition *part,
                       struct node **picked)
{
    struct need nd;
    const char *why;
    job_need(p, NULL, &nd);
    for (;;) {
        if (!job_is_array_parent(p) || job_is_terminal(p) || !idset_count(p->array_pending))
            return 1;
        uint32_t idx = array_next_eligible(c, p);
        if (job_is_terminal(p) || !idset_count(p->array_pending))
            return 1;
        if (idx == IDSET_NONE) {
            int throttled = p->array_throttle && p->array_running >= p->array_throttle;
            job_wait(p, throttled ? JOB_RUNNABLE : JOB_PENDING,
                     throttled ? "JobArrayTaskLimit" : "Dependency");
            return 1;
        }
        size_t n = sched_pick(c, p, part, picked, &why);
        if (n != nd.nodes) {
            job_wait(p, JOB_RUNNABLE, why);
            return 0;
        }
        struct job *t = array_split(c, p, idx);
        if (!t)
            return 1;
        sched_start(c, t, picked, n);
    }
}

void sched_pass(struct ctld *c)
{
    size_t np = c->conf->nparts;
    char *blocked = calloc(np + 1, 1);
    struct node **picked = calloc(c->nnodes + 1, sizeof(*picked));
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (!job_is_pending(j))
            continue;
        const struct conf_partition *p = conf_part_find(c->conf, j->partition);
        const char *why = job_blocker(j, p);
        if (why) {
            job_wait(j, JOB_PENDING, why);
            continue;
        }
        if (!job_ready(c, j))
            continue;
        size_t pi = (size_t)(p - c->conf->parts);
        if (blocked[pi]) {
            job_wait(j, JOB_RUNNABLE, "Priority");
            continue;
        }
        if (job_is_array_parent(j)) {
            blocked[pi] = !sched_array(c, j, p, picked);
            continue;
        }
        struct need nd;
        job_need(j, NULL, &nd);
        size_t n = sched_pick(c, j, p, picked, &why);
        if (n == nd.nodes) {
            sched_start(c, j, picked, n);
        } else {
            job_wait(j, JOB_RUNNABLE, why);
            blocked[pi] = 1;
        }
    }
    free(picked);
    free(blocked);
}
