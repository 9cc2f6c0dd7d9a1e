/* jobs.h: the jobs on this node, one sluicestepd each.  A job is either
 * running (its stepd is watched through a pidfd) or ended with a result
 * that waits in its job directory until the controller acknowledges it. */
#ifndef SL_NODED_JOBS_H
#define SL_NODED_JOBS_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"

struct event_base;
typedef struct jobs jobs_t;

/* How the table tells the controller link about jobs. */
struct jobs_ops {
    void (*started)(void *arg, uint64_t job_id, pid_t stepd_pid);
    /* result: the job_ended body (borrowed); seq tells this result from
     * an earlier attempt's (see jobs_ack). */
    void (*ended)(void *arg, uint64_t job_id, uint64_t seq, json_t *result);
};

/* spool_dir: absolute, existing.  stepd: path of sluicestepd. */
jobs_t *jobs_create(struct event_base *base, const char *node_name, const char *spool_dir,
                    const char *stepd, const struct jobs_ops *ops, void *arg, sl_error_t *e);
/* Forget everything; running stepds are left running. */
void jobs_destroy(jobs_t *js);   /* accepts NULL */

/* Take over the job directories left by an earlier sluiced. */
int jobs_recover(jobs_t *js, sl_error_t *e);

/* Pushes from the controller. */
void jobs_launch(jobs_t *js, json_t *record);
void jobs_signal(jobs_t *js, uint64_t job_id, int sig);
void jobs_terminate(jobs_t *js, uint64_t job_id);

/* Ids of running jobs / of ended jobs whose result is not acknowledged. */
json_t *jobs_running_ids(const jobs_t *js);
json_t *jobs_ended_ids(const jobs_t *js);
/* Call ops->ended again for every unacknowledged result. */
void jobs_resend(jobs_t *js);
/* The controller has result seq of the job: drop it and the job
 * directory (unless a later attempt has replaced it meanwhile). */
void jobs_ack(jobs_t *js, uint64_t job_id, uint64_t seq);

/* Where sluicestepd is: SLUICE_STEPD, next to this executable, the build
 * tree's ../stepd/, else SBINDIR.  Writes into buf. */
const char *jobs_find_stepd(char *buf, size_t len);

#endif
