/* steps.h: the steps of the controller's running jobs (steps.c): records
 * in memory (struct job's steps) and in the steps table, the batch step,
 * the end of steps with their job, and the step_signal push. */
#ifndef CTLD_STEPS_H
#define CTLD_STEPS_H

#include <stdint.h>
#include <jansson.h>
#include "job.h"
#include "server.h"

struct ctld;

/* A new RUNNING step record of job j: node_names and task_counts are the
 * step's nodes and the tasks on each (both stolen). */
json_t *step_record_new(struct ctld *c, const struct job *j, json_int_t step_id,
                        const char *name, json_t *node_names, json_t *task_counts,
                        uint32_t cpus_per_task, uint64_t mem_mb, int overlap,
                        int64_t time_limit);
/* The running step with this id (STEP_ID_BATCH: the batch step), or NULL;
 * *idx gets its place in j->steps. */
#define STEP_ID_BATCH (-2)
json_t *step_running(const struct job *j, json_int_t step_id, size_t *idx);
/* Add a running step (stolen) to j and the steps table. */
void step_add(struct ctld *c, struct job *j, json_t *rec);
/* End the running step j->steps[idx]: recorded, then out of memory. */
void step_end(struct ctld *c, struct job *j, size_t idx, const char *state, int exit_code,
              int exit_signal);
/* Keep a step's usage (a jobacct usage object from its nodes) in its
 * record rec, to be saved when it ends.  Nothing when either is NULL or
 * usage is not a usage object. */
void step_set_usage(json_t *rec, const json_t *usage);
/* CPUs (and memory) the running steps that do not overlap hold on each of
 * the job's nodes (names, in the job's order). */
void steps_usage(const struct job *j, char *const *names, size_t n, uint32_t *cpus,
                 uint64_t *mem);

/* A node says how the step rec's tasks there ended (step_node_ended): kept
 * in rec, only to tell how the step ends should its job end first. */
void step_node_ended(json_t *rec, const char *node, int ok);

/* The job started running: record its batch step (not for alloc_only). */
void steps_job_running(struct ctld *c, struct job *j);
/* The job (or this attempt of it) ended: end its running steps with it and
 * tell its nodes to stop whatever steps they still run there. */
void steps_job_ended(struct ctld *c, struct job *j, enum job_end end);
/* After a restart: the running steps of an active job, from the table. */
void steps_recover(struct ctld *c, struct job *j);
/* Push step_signal for one step (rec) or all of j's steps (rec NULL). */
void steps_signal(struct ctld *c, const struct job *j, json_t *rec, int sig, int terminate);

/* The job a step or allocation operation names (jobid), if the caller may
 * act on it (owner, root, operator); else an error is sent and NULL
 * returned.  A job that has ended is an error too, unless finished is
 * given: then *finished gets its id (0 otherwise) and nothing is sent. */
struct job *ops_job_get(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *jid,
                        uint32_t *finished);
/* job_cancel with step_id (ops_step.c). */
void steps_cancel(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q);
void alloc_waiters_poll(struct ctld *c);
void alloc_waiters_fini(void);

/* "2(x3),1": Slurm's compressed counts. */
char *steps_counts_string(json_t *counts);

#endif
