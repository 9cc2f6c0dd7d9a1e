/* hetjob.h: heterogeneous jobs (hetjob.c, hetjob_submit.c). */
#ifndef CTLD_HETJOB_H
#define CTLD_HETJOB_H

#include <jansson.h>
#include "ctld.h"

/* Slurm allows more; five keeps a het job's launch small and matches the
 * five node ranges of a multinode job definition. */
#define HET_MAX_COMPONENTS 5

/* The live components of j's het job, in offset order (0 when j is none). */
size_t het_components(struct ctld *c, const struct job *j, struct job **out, size_t max);
/* Component 0 of j's het job when it is still in memory; else j. */
struct job *het_leader(struct ctld *c, struct job *j);
/* One component ended (j): end the others the same way. */
void het_job_ended(struct ctld *c, struct job *j, enum job_end end);
/* SLURM_HET_SIZE and the *_HET_GROUP_k variables for the leader's script. */
void het_launch_env(struct ctld *c, const struct job *j, json_t *env);
/* job_submit with "het_components": 1 when it handled (and answered) it. */
int het_submit(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *spec);

#endif
