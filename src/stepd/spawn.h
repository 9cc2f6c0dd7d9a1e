/* spawn.h: start the job's main process.  The child becomes a session and
 * process-group leader, takes the user's identity, moves to the job's cwd,
 * opens its standard files as that user and execs the script.  A failure
 * on the way is written to a close-on-exec pipe, so the parent reads either
 * a message or end-of-file (the exec happened). */
#ifndef SL_STEPD_SPAWN_H
#define SL_STEPD_SPAWN_H

#include <signal.h>
#include <sys/types.h>
#include "error.h"
#include "rlimits.h"

struct spawn_req {
    const char *user;
    uid_t uid;
    gid_t gid;
    int change_user;          /* running as root: become uid/gid */
    const gid_t *groups;      /* supplementary groups when change_user */
    size_t ngroups;
    const char *cwd;
    const char *script;       /* path of the script to exec */
    char **argv;              /* argv[0] is the script path */
    char **envp;
    const char *stdin_path;
    const char *stdout_path;
    const char *stderr_path;  /* equal to stdout_path: share the descriptor */
    int append;
    const struct bind_prep *bind;   /* cgroups and CPUs (bind.h), NULL: none */
    const struct rlimits *rlimits;  /* --propagate (rlimits.h), NULL: none */
};

/* Fork the job.  Returns its pid and the read end of the report pipe in
 * *report_fd, or -1 with e set. */
pid_t spawn_job(const struct spawn_req *r, int *report_fd, sl_error_t *e);

/* An allocation without a script (alloc_only: salloc, srun): a child that
 * only waits, as the user in its own session, so that the job is held (and
 * ended: time limit, cancel, lease) exactly like a batch job's script.  r's
 * script, argv, envp and files are not used.  Same returns as spawn_job. */
pid_t spawn_holder(const struct spawn_req *r, int *report_fd, sl_error_t *e);

/* After the child has exited: read its report.  Returns 1 and the message
 * in buf if setup failed, 0 if it reached exec.  Closes fd. */
int spawn_read_report(int fd, char *buf, size_t len);

#endif
