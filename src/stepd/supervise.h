/* supervise.h: watch a running job until its main process exits, then
 * make sure nothing it started survives.  Events come from a signalfd
 * (SIGCHLD; SIGTERM/SIGINT = cancel; SIGRTMIN with a value = forward that
 * signal), a timerfd (time limit, then the kill_wait grace period) and,
 * with a lease, a periodic timerfd that stops the job once the node's
 * lease has run out (the node lost the controller: doc/design.md). */
#ifndef SL_STEPD_SUPERVISE_H
#define SL_STEPD_SUPERVISE_H

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include "error.h"

struct supervise_result {
    int wait_status;         /* of the main process, as from waitpid */
    int timed_out;
    int cancelled;
    int fenced;              /* stopped because the node's lease ran out */
    int oom;                 /* killed over its memory limit (mem_poll_mb) */
};

/* The signals the supervisor takes through its signalfd; block them before
 * forking the job (the child unblocks them). */
void supervise_sigset(sigset_t *set);

/* Block supervise_sigset and open the signalfd; call before forking. */
int supervise_signals_open(sl_error_t *e);

struct supervise_limits {
    int64_t time_limit;      /* seconds, <= 0: none */
    int64_t kill_wait;       /* seconds between SIGTERM and SIGKILL */
    int warn_signal;         /* --signal: 0 = none */
    int64_t warn_time;       /* seconds before the limit */
    int warn_batch_only;     /* B: only the batch shell, not its process group */
    const char *lease_file;  /* checked every LEASE_CHECK_S; NULL = no lease */
    int64_t mem_poll_mb;     /* > 0: memory limit polled with the lease (memwatch.h) */
    struct usage *usage;     /* sampled every usage_period() seconds; NULL = none */
};

/* Run until job_pid (a process-group leader) has exited and every
 * descendant is reaped. */
int supervise_run(int sigfd, pid_t job_pid, const struct supervise_limits *lim,
                  struct supervise_result *out, sl_error_t *e);

#endif
