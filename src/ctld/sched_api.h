/* sched_api.h: what scheduling and priority plugins may call.  The
 * controller is linked with -export-dynamic, so a plugin calls these
 * directly; SCHED_API_ABI changes whenever they change. */
#ifndef CTLD_SCHED_API_H
#define CTLD_SCHED_API_H

#include <stdint.h>
#include "ctld.h"
#include "resmap.h"

#define SCHED_API_ABI 2

/* A pass at least this long is logged at info, faster ones at debug. */
#define SCHED_SLOW_PASS_MS 1000.0

/* The sched plugins (sched/builtin, sched/backfill). */
struct sched_ops {
    unsigned api;                       /* SCHED_API_ABI */
    /* One pass: start what may start now, set every pending job's reason. */
    void (*pass)(struct ctld *c);
};

/* The priority plugins: a pending job's priority and its factors (0..1). */
struct prio_factors {
    double age, fairshare, jobsize, partition;
    int32_t nice;
};
struct priority_ops {
    unsigned api;
    uint32_t (*priority)(struct ctld *c, const struct job *j, struct prio_factors *f);
};

/* The pending jobs in the order a pass considers them: queue priority, then
 * (fair share within a policy queue, or job priority), then submit order.
 * Returns the count; *out is malloc'd. */
size_t sched_order(struct ctld *c, struct job ***out);
/* Hold, begin time, dependencies, queue and partition state: 1 if the job
 * may be considered now; otherwise its reason is set. */
int sched_job_ready(struct ctld *c, struct job *j);
/* The partitions a job may run in, in spill-over order. */
size_t sched_job_parts(struct ctld *c, const struct job *j, const struct conf_partition **out,
                       size_t max);
/* Nodes for j in p now; returns how many were found (== needed on success);
 * *why gets the reason on failure.  avoid (may be NULL) lists, per node
 * index in c->nodes, nodes the job must not take. */
size_t sched_pick_now(struct ctld *c, struct job *j, const struct conf_partition *p,
                      struct node **out, const char **why, const char *avoid);
uint32_t sched_nodes_needed(const struct job *j);
/* Could node n ever take j: its --constraint (alt: the [a|b] choice, -1
 * any) and enough GPUs of the type? */
int sched_node_eligible(struct node *n, const struct job *j, int alt);
uint32_t sched_cpus_per_node(const struct job *j, const struct conf_node *cfg);
uint32_t sched_tasks_per_node(const struct job *j);
/* GPUs on each node: --gpus-per-node (--gres), else --gpus-per-task times
 * the tasks per node, else --gpus spread over the nodes. */
uint32_t sched_gpus_per_node(const struct job *j);
/* " and 2 GPUs (h200)" for wait explanations; "" without GPUs.  Static
 * buffer: use before the next call. */
const char *sched_gpu_words(const struct job *j);
/* CPUs (or, with one thread per core, cores) asked of each node. */
uint32_t sched_cpus_asked(const struct job *j);
uint64_t sched_mem_per_node(const struct job *j, const struct conf_node *cfg);
/* Start j (or, for an array, its next task) on the nodes. */
struct job *sched_start_on(struct ctld *c, struct job *j, const struct conf_partition *p,
                           struct node **nodes, size_t n);
/* May the array start another task now?  Its reason is set if not. */
int sched_array_can_start(struct ctld *c, struct job *j);
/* Fair-share room: may a job of this queue take cpus more now? */
int sched_queue_room(struct ctld *c, const struct job *j, uint32_t cpus);
/* A heterogeneous job's leader (j->het_job_id set): start every component
 * now on disjoint nodes, or none (their reasons set).  1 when started.
 * Other components are never started alone (sched_job_ready says no). */
int sched_het_try(struct ctld *c, struct job *lead);
/* The same, leaving alone the nodes where keep_off[node index] is set
 * (sched/backfill: nodes whose reservations it would touch). */
int sched_het_try_avoiding(struct ctld *c, struct job *lead, const char *keep_off);
/* Its components in order (the leader first), at most max. */
#define SCHED_HET_MAX 5
size_t sched_het_components(struct ctld *c, const struct job *lead, struct job **out,
                            size_t max);
int64_t sched_job_end(const struct job *j);   /* start + limit, or far future */
/* The least time the job may be given: --time-min, else its time limit
 * (0 without one); what --deadline is checked against. */
int64_t sched_least_time(const struct job *j);
#define SCHED_REASON_MAINT "ReqNodeNotAvail, Reserved for maintenance"
void sched_set_wait(struct job *j, enum job_state st, const char *reason, const char *detail);
size_t sched_node_index(struct ctld *c, const struct node *n);
/* Reservations (resv.c): may j use n during [start, end) (a reservation's
 * job only on its nodes, within its window; others nowhere reserved then)?
 * resv_times: the reservations' starts and ends still to come, unsorted. */
int resv_node_ok_at(struct ctld *c, const struct node *n, const struct job *j, int64_t start,
                    int64_t end);
size_t resv_times(struct ctld *c, int64_t *out, size_t max);
/* Whether a MAINT reservation, not j's own, holds n during j's run from now. */
int resv_node_maint(struct ctld *c, const struct node *n, const struct job *j);
/* Whether any MAINT reservation exists (the common case, none, costs nothing more). */
int resv_any_maint(struct ctld *c);

#endif
