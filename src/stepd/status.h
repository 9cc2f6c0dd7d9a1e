/* status.h: what the stepd leaves in the job directory for sluiced:
 * stepd.pid and job.pid (the job's process group and session) while it
 * runs, and status.json (the job_ended fields) at the end.
 * Both are written atomically (temporary file, rename).  Only status.json
 * is made durable (fsync of the file and the directory): a job's result
 * must survive a node crash, while stepd.pid and the script are only read
 * by a sluiced restarted on a running system, and a crash ends the job. */
#ifndef SL_STEPD_STATUS_H
#define SL_STEPD_STATUS_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"

struct job_status {
    uint64_t job_id;
    int exit_code;
    int exit_signal;
    int64_t start_time;
    int64_t end_time;
    int timed_out;
    int cancelled;
    int fenced;              /* stopped at the end of the node's lease */
    int oom;                 /* killed over its memory limit */
    char failure[512];       /* "" = the job launched */
    json_t *usage;           /* the batch step's usage (usage.h); NULL = none */
};

int status_write(const char *jobdir, const struct job_status *st, sl_error_t *e);
int status_write_pid(const char *jobdir, pid_t pid, sl_error_t *e);
/* jobdir/name holding pid (not durable). */
int status_write_pid_file(const char *jobdir, const char *name, pid_t pid, sl_error_t *e);

/* Write data to dir/name via dir/.name.tmp and rename; mode for the file;
 * durable: fsync the file before and the directory after the rename. */
int status_write_file(const char *dir, const char *name, const char *data, size_t len,
                      mode_t mode, int durable, sl_error_t *e);

#endif
