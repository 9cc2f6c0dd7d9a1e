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
    void (*started)(void *arg, uint64_t job_id, int64_t attempt, pid_t stepd_pid);
    /* result: the job_ended body (borrowed); seq tells this result from
     * an earlier attempt's (see jobs_ack). */
    void (*ended)(void *arg, uint64_t job_id, uint64_t seq, json_t *result);
    /* A step's stepd here exited by itself; ok: with 0, every task of the
     * step on this node having ended by itself with 0 (steps.c).  May be
     * NULL. */
    void (*step_ended)(void *arg, uint64_t job_id, int64_t step_id, int ok);
};

/* spool_dir: absolute, existing.  stepd: path of sluicestepd. */
jobs_t *jobs_create(struct event_base *base, const char *node_name, const char *spool_dir,
                    const char *stepd, const struct jobs_ops *ops, void *arg, sl_error_t *e);
/* JobAcctGatherFrequency: seconds between the stepds' usage samples. */
void jobs_set_acct_freq(jobs_t *js, int seconds);
/* Forget everything; running stepds are left running. */
void jobs_destroy(jobs_t *js);   /* accepts NULL */

/* Take over the job directories left by an earlier sluiced. */
int jobs_recover(jobs_t *js, sl_error_t *e);

/* Pushes from the controller. */
void jobs_launch(jobs_t *js, json_t *record);
void jobs_signal(jobs_t *js, uint64_t job_id, int sig);
/* attempt < 0: whichever attempt runs; else only that one. */
void jobs_terminate(jobs_t *js, uint64_t job_id, int64_t attempt);

/* Ids of running jobs / of ended jobs whose result is not acknowledged. */
json_t *jobs_running_ids(const jobs_t *js);
/* The attempt of each running job, in the order of jobs_running_ids. */
json_t *jobs_running_attempts(const jobs_t *js);
json_t *jobs_ended_ids(const jobs_t *js);
/* Call ops->ended again for every unacknowledged result. */
void jobs_resend(jobs_t *js);
/* The controller has result seq of the job: drop it and the job
 * directory (unless a later attempt has replaced it meanwhile). */
void jobs_ack(jobs_t *js, uint64_t job_id, uint64_t seq);

/* The node's lease from the controller (lease.h): renew it to until_ns
 * (CLOCK_BOOTTIME); the stepds read it. */
void jobs_lease_renew(jobs_t *js, int64_t until_ns);
/* The lease's end as last written (a restarted sluiced goes on from it);
 * 0 when there is none. */
int64_t jobs_lease_read(const jobs_t *js);
/* The lease ran out late_s seconds ago: every running stepd stops its job
 * now (SIGTERM, KillWait, SIGKILL; SIGKILL at once when late_s is past
 * KillWait) and reports it as fenced.  Returns how many. */
size_t jobs_fence(jobs_t *js, int64_t late_s);
/* The lease ran out some time ago and the stepds should have stopped their
 * jobs: SIGKILL any stepd still running (its leftovers are then killed as
 * for any dead stepd). */
void jobs_kill_stepds(jobs_t *js);

/* The node's task plugins (task.h), called around each job and step. */
struct task;
void jobs_set_task(jobs_t *js, struct task *t);

/* Where sluicestepd is: SLUICE_STEPD, next to this executable, the build
 * tree's ../stepd/, else SBINDIR.  Writes into buf. */
const char *jobs_find_stepd(char *buf, size_t len);

#endif
