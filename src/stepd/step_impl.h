/* step_impl.h: sluicestepd-step's state, shared by its step_*.c files.
 * One process per step per node: it runs as the step's user, forks the
 * node's tasks, carries their I/O over the stream to srun (stepio.h) and
 * hosts the MPI plugin (mpi_api.h).  Only the main thread touches this
 * state, except the stream's writes, which the plugin's threads share
 * (io_lock). */
#ifndef SL_STEPD_STEP_IMPL_H
#define SL_STEPD_STEP_IMPL_H

/* sluicestepd-step's exit status after a run in which some task did not
 * end by itself with 0 (0: all did; 1: the step could not start). */
#define STEPD_STEP_TASKS_FAILED 3

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

struct step_rec;
struct step_mpi;

struct sbytes {
    unsigned char *p;
    size_t len, cap;
};

struct task {
    uint32_t local, rank;
    pid_t pid;               /* 0 until started */
    int exited;              /* reaped: wait_status holds its status */
    int reported;            /* TASK_EXIT sent */
    int wait_status;
    int out_fd, err_fd;      /* pipes from the task; -1 when closed or a file */
    int in_fd;               /* pipe to the task; -1 when none or closed */
    int in_eof;              /* close in_fd once inb is written */
    int rep_fd;              /* the exec report pipe (close-on-exec); -1 when read */
    int pty;                 /* runs on a pty: out_fd is its master, in_fd a dup of it */
    struct sbytes outb, errb, inb;
};

enum step_phase { SP_RUNNING, SP_TERMINATING, SP_KILLED };

struct stepd {
    struct step_rec *r;
    char tmpdir[PATH_MAX];
    int sigfd;
    int kill_tfd;            /* kill_wait after a SIGTERM */
    int limit_tfd;           /* the step's time limit; -1 when none */
    int lease_tfd;           /* the lease check's period; -1 when no lease */
    int usage_tfd;           /* the usage sampler's period; -1 when none */
    struct usage *usage;     /* the tasks' usage (usage.h); NULL until they start */
    int io_fd;
    int io_closed;           /* the stream is gone (srun died): no more writes */
    pthread_mutex_t io_lock;
    struct sbytes rbuf;      /* bytes from srun not yet a whole frame */
    struct task *tasks;      /* r->nlocal */
    enum step_phase phase;
    int all_exited_killed;   /* leftovers killed once every task had exited */
    int signalled;           /* a signal came from srun or sluiced for the tasks */
    int aborted;             /* an ABORT went up for a task killed by a signal */
    struct step_mpi *mpi;
};

/* step_io.c: the stream to srun. */
int step_io_connect(struct stepd *sd, sl_error_t *e);
/* Send one frame (any thread).  -1 once the stream is gone. */
int step_io_send(struct stepd *sd, uint32_t type, uint32_t task, const void *data, size_t len);
/* The stream is readable: take srun's frames.  -1: it closed or broke. */
int step_io_on_read(struct stepd *sd);
/* A node-wide failure before its tasks ran: ERROR, then TASK_EXIT 1 for
 * every local task not started (srun then ends the step as for a task
 * that failed), NODE_DONE. */
void step_io_fail_node(struct stepd *sd, const char *text);

/* step_tasks.c: the tasks. */
int step_tasks_start(struct stepd *sd);
void step_tasks_signal(struct stepd *sd, int sig);
void step_tasks_reap(struct stepd *sd);
/* Output readable on t's fd (its out or err pipe). */
void step_tasks_on_output(struct stepd *sd, struct task *t, int is_err);
void step_tasks_on_report(struct stepd *sd, struct task *t);
void step_tasks_write_stdin(struct stepd *sd, struct task *t);
void step_tasks_add_stdin(struct stepd *sd, uint32_t rank, const void *data, size_t len);
/* TASK_EXIT for the tasks that have exited and whose output is drained. */
void step_tasks_report(struct stepd *sd);
int step_tasks_all_reported(const struct stepd *sd);
int step_tasks_all_exited(const struct stepd *sd);
/* Every local task started and exited 0 by itself. */
int step_tasks_all_zero(const struct stepd *sd);
void step_tasks_close(struct stepd *sd);

/* step_mpi.c: the MPI plugin, if the step has one ("none" and "" have
 * none: every call is then a no-op). */
int step_mpi_create(struct stepd *sd, sl_error_t *e);
/* The plugin's variables for local task local; NULL with e set. */
char **step_mpi_task_env(struct stepd *sd, uint32_t local, sl_error_t *e);
void step_mpi_task_exited(struct stepd *sd, uint32_t local, int wait_status);
/* srun's FENCE_DONE. */
void step_mpi_fence_done(struct stepd *sd, uint32_t seq, int ok, const void *data, size_t len);
/* The stream is gone: a fence waiting fails. */
void step_mpi_fence_fail(struct stepd *sd);
void step_mpi_destroy(struct stepd *sd);

/* step_main.c: end the tasks (SIGTERM, SIGKILL after kill_wait). */
void step_terminate(struct stepd *sd, const char *why);
void step_kill(struct stepd *sd, const char *why);

#endif
