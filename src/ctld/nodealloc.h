/* nodealloc.h: a job's CPUs and GPUs on its nodes (nodealloc.c): choice at
 * start, the per-node record in the job ("alloc"), and the nodes' used sets. */
#ifndef CTLD_NODEALLOC_H
#define CTLD_NODEALLOC_H

#include <jansson.h>
#include "cpualloc.h"
#include "ctld.h"

/* What the job asks of each node, for cpualloc_pick. */
void nodealloc_req(const struct job *j, struct cpualloc_req *r);
/* Could the node give the job its CPUs and GPUs now (counts are checked
 * by the caller; this adds GPUs, whole cores and locality)? */
int nodealloc_fits(struct node *n, const struct job *j);
/* Choose on each node: [{"node", "cpus", "gpus"}], or NULL with e set. */
json_t *nodealloc_pick(struct job *j, struct node **nodes, size_t n, sl_error_t *e);
/* The job's entry for a node, or NULL. */
json_t *nodealloc_entry(const struct job *j, const char *node);
/* Mark (on) or release the job's CPUs and GPUs on n; the number of CPUs,
 * or -1 when the job has no entry for n (started before allocations were
 * recorded: counts only). */
int64_t nodealloc_apply(struct node *n, const struct job *j, int on);
/* Members of an idset string ("0-3,8"). */
uint32_t nodealloc_count(const char *list);
/* The GPUs of an index list as the launch record gives them:
 * [{"index", "minor", "vendor", "bus_id", "type"}]. */
json_t *nodealloc_gpus_json(const topo_t *t, const char *list);
/* Add "cpu_ids" (OS indexes), "gpus" and "node_gpus" for node n to a
 * launch record (doc/protocol.md, "job_launch"). */
void nodealloc_launch_fields(struct node *n, const struct job *j, json_t *rec);
/* A step's CPUs on each of its nodes (names, with task counts), from the
 * job's own there, minus those its other running steps hold unless it
 * overlaps; the job's GPUs there.  [{"node", "cpus", "gpus"}] in names'
 * order; json null when the job holds no recorded CPUs (unbound); NULL
 * with e set when the CPUs left do not suffice. */
struct nodealloc_step_gpus {
    const uint32_t *want;       /* GPUs on node i of names */
    const char *type;           /* NULL or "": any of the job's */
    int per_task;               /* --gpus-per-task: CPUs near the GPUs */
};
/* With g (the step asked for GPUs), the GPUs too: from the job's there,
 * minus those its other steps that asked for GPUs hold. */
json_t *nodealloc_step(struct ctld *c, const struct job *j, json_t *names, json_t *counts,
                       uint32_t cpus_per_task, int overlap, const struct nodealloc_step_gpus *g,
                       sl_error_t *e);
/* How many GPUs the job holds on node. */
uint32_t nodealloc_job_gpus(const struct job *j, const char *node);
/* Set "cpu_ids" (OS lists) and "gpus" (arrays as in the launch record),
 * parallel to the step's node_names, in a step grant or reply. */
void nodealloc_step_fields(struct ctld *c, json_t *alloc, json_t *into);

#endif
