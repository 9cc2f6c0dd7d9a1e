/* sched.c: what every scheduler plugin shares: validation at submit, the
 * order of pending jobs, readiness, node selection and starting.  Which job
 * starts when is the plugin's decision (plugins/sched/). */
#include <stdlib.h>
#include <string.h>
#include "hostlist.h"
#include "log.h"
#include "parse.h"
#include "power.h"
#include "queue.h"
#include "sched_api.h"
#include "share.h"

uint32_t sched_nodes_needed(const struct job *j)
{
    return j->nodes_min ? j->nodes_min : 1;
}

uint32_t sched_cpus_per_node(const struct job *j, const struct conf_node *cfg)
{
    uint32_t n = sched_nodes_needed(j);
    uint32_t tpn = j->ntasks_per_node ? j->ntasks_per_node : (j->ntasks + n - 1) / n;
    if (j->exclusive && cfg)
        return cfg->cpus;
    return (tpn ? tpn : 1) * (j->cpus_per_task ? j->cpus_per_task : 1);
}

uint64_t sched_mem_per_node(const struct job *j, const struct conf_node *cfg)
{
    if (j->exclusive && cfg)
        return cfg->real_memory_mb;
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

static int node_fits(const struct node *n, const struct job *j)
{
    if (!node_usable(n) || (j->exclusive && n->njobs))
        return 0;
    uint32_t cpus = sched_cpus_per_node(j, n->cfg);
    uint64_t mem = sched_mem_per_node(j, n->cfg);
    return n->cfg->cpus - n->alloc_cpus >= cpus &&
           (mem == 0 || n->cfg->real_memory_mb - n->alloc_mem_mb >= mem);
}

size_t sched_pick_now(struct ctld *c, struct job *j, const struct conf_partition *p,
                      struct node **out, const char **why, const char *avoid)
{
    hostlist_t *req = j->req_nodelist ? hostlist_expand(j->req_nodelist, NULL) : NULL;
    hostlist_t *excl = j->exclude ? hostlist_expand(j->exclude, NULL) : NULL;
    uint32_t need = sched_nodes_needed(j);
    size_t got = 0;
    *why = "Resources";
    for (size_t i = 0; req && i < hostlist_count(req); i++) {
        struct node *n = node_find(c, hostlist_nth(req, i));
        if (!n || !node_usable(n) || !node_fits(n, j) ||
            (avoid && avoid[sched_node_index(c, n)])) {
            *why = n && node_usable(n) ? "Resources" : "ReqNodeNotAvail";
            got = 0;
            goto out;
        }
        out[got++] = n;
    }
    /* Power saving: powered-up nodes first, then those that must be
     * resumed (pass 1), so nothing is powered up while a running node fits. */
    for (int off = 0; off < 2 && got < need; off++) {
        for (size_t i = 0; i < p->nnodes && got < need; i++) {
            struct node *n = node_of_part(c, p, i);
            if (!n || power_node_off(n) != off || in_list(req, n->name) ||
                in_list(excl, n->name))
                continue;
            if ((!avoid || !avoid[sched_node_index(c, n)]) && node_fits(n, j))
                out[got++] = n;
        }
    }
out:
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

struct job *sched_start_on(struct ctld *c, struct job *j, const struct conf_partition *p,
                           struct node **picked, size_t n)
{
    if (job_is_array_parent(j)) {
        uint32_t idx = array_next_eligible(c, j);
        struct job *t = idx == IDSET_NONE ? NULL : array_split(c, j, idx);
        if (!t)
            return NULL;
        j = t;
    }
    hostlist_t *hl = hostlist_create();
    for (size_t i = 0; i < n; i++)
        hostlist_push_host(hl, picked[i]->name);
    free(j->nodes);
    j->nodes = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    job_set_str(&j->partition, p->name);
    j->num_nodes = (uint32_t)n;
    j->cpus_per_node = sched_cpus_per_node(j, picked[0]->cfg);
    j->num_cpus = j->cpus_per_node * (uint32_t)n;
    j->alloc_mem_mb = sched_mem_per_node(j, picked[0]->cfg);
    j->state = JOB_STARTING;
    j->start_time = ctld_now();
    j->expected_start = 0;
    job_set_reason(j, NULL);
    job_set_str(&j->reason_detail, NULL);
    job_alloc_nodes(c, j);
    ctld_job_save(c, j);
    launch_job(c, j);
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
