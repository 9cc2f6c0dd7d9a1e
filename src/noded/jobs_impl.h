/* jobs_impl.h: the job table's insides, shared by jobs*.c only. */
#ifndef SL_NODED_JOBS_IMPL_H
#define SL_NODED_JOBS_IMPL_H

#include <limits.h>
#include "jobs.h"

struct job {
    jobs_t *owner;
    uint64_t id;
    int64_t attempt;         /* from the launch record */
    char dir[PATH_MAX];
    pid_t pid;               /* of the stepd, 0 once it is gone */
    int pidfd;
    int is_child;            /* we forked it (else adopted): we must reap it */
    struct event *ev;        /* pidfd readable = stepd exited */
    json_t *result;          /* job_ended body once ended */
    uint64_t result_seq;
    int mock;                /* MockExecution: ev is its timer (mock.c) */
    int mock_timeout;        /* the timer is the time limit */
    int64_t mock_start;
    struct event *mock_warn; /* --signal: the warning before the time limit */
    int mock_warn_sig;
    json_t *next_launch;     /* a later attempt's launch, held until this one is gone */
    struct job *next;
};

struct jobs {
    struct event_base *base;
    char *node_name;
    char *spool;
    char *stepd;
    struct jobs_ops ops;
    void *arg;
    struct job *head;
    struct step *steps;      /* steps.c */
    uint64_t next_seq;
    int mock;                /* MockExecution=yes: launches are timers */
    char lease_file[PATH_MAX];   /* SPOOL/lease, given to each stepd */
    struct task *task;       /* TaskPlugin= (task.h); NULL in MockExecution */
    int acct_freq;           /* JobAcctGatherFrequency, given to each stepd */
};

struct job *jobs_find(const jobs_t *js, uint64_t id);
struct job *jobs_add(jobs_t *js, uint64_t id);
/* Start watching j->pid: pidfd + event.  -1 if the process is gone. */
int jobs_watch(jobs_t *js, struct job *j, sl_error_t *e);
/* Stop watching: free its events (the pidfd's, or a mock job's timers). */
void jobs_unwatch(struct job *j);
/* Record a result (stealing it), persist it if asked, and report it. */
void jobs_set_result(jobs_t *js, struct job *j, json_t *result, int persist);
/* Launch a record now (jobs_launch once any earlier copy is gone). */
void jobs_launch_now(jobs_t *js, json_t *rec);
/* The pid in DIR/NAME (stepd.pid, job.pid), or 0 if none. */
pid_t jobs_read_pid(const char *dir, const char *name);
/* posix_spawn the stepd program prog as "argv0 dir", detached from
 * sluiced (its own session, default signals, no descriptors but stderr). */
pid_t jobs_spawn_stepd(const char *prog, const char *argv0, const char *dir, sl_error_t *e);
/* Is pid the stepd of a step here (steps.c)? */
int steps_is_stepd(const jobs_t *js, pid_t pid);
/* A job_ended body for a job that failed outside the stepd. */
json_t *jobs_failure(uint64_t id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
