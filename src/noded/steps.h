/* steps.h: the job steps on this node (doc/protocol.md, "Job steps"): one
 * sluicestepd-step per step, started by a step_launch from srun, watched
 * through a pidfd like a job's stepd.  A step reports its end to srun, not
 * to sluiced: sluiced only makes sure that no step outlives its job (ended
 * with it, stopped at the end of the lease) and cleans its directory
 * SPOOL/job.N.step.S once its stepd is gone. */
#ifndef SL_NODED_STEPS_H
#define SL_NODED_STEPS_H

#include <stdint.h>
#include <jansson.h>
#include "error.h"

typedef struct jobs jobs_t;

/* Start step rec's stepd (rec: the launch record; job_id and step_id
 * checked by the caller).  -1 with e set when it could not be started. */
int steps_launch(jobs_t *js, json_t *rec, sl_error_t *e);
/* Forward sig to the tasks of step step_id of job_id (-1: every step). */
void steps_signal(jobs_t *js, uint64_t job_id, int64_t step_id, int sig);
/* SIGTERM the tasks, SIGKILL after the step's kill_wait (-1: every step). */
void steps_terminate(jobs_t *js, uint64_t job_id, int64_t step_id);
/* Is job_id's step_id running here? */
int steps_running(const jobs_t *js, uint64_t job_id, int64_t step_id);
/* The lease ran out late_s ago: every step stops (as jobs_fence). */
size_t steps_fence(jobs_t *js, int64_t late_s);
/* Long after the lease ran out: SIGKILL the steps' stepds still alive. */
void steps_kill_stepds(jobs_t *js);
/* Take over step directories an earlier sluiced left: a live stepd is
 * watched again, a dead one's directory removed. */
void steps_recover(jobs_t *js);
/* Forget every step (their stepds are left running: sluiced stops). */
void steps_forget(jobs_t *js);
/* The path of sluicestepd-step: SLUICE_STEPD_STEP, else next to the job
 * stepd (stepd's path with "-step" added). */
const char *steps_find_stepd(const char *stepd, char *buf, size_t len);

#endif
