/* taskpid.h: SLURM_TASK_PID, the pid of the batch script or of a step's
 * task, as Slurm sets it.  The environment is built before fork with a
 * placeholder value; the child writes its pid over it before execve. */
#ifndef SL_STEPD_TASKPID_H
#define SL_STEPD_TASKPID_H

#define TASKPID_PLACEHOLDER "0000000000"   /* wide enough for any pid */

/* In the forked child: SLURM_TASK_PID=<placeholder> in env becomes
 * SLURM_TASK_PID=<getpid()>, in place (no allocation: async-signal-safe).
 * A value that is not the placeholder (a user's) is left alone. */
void taskpid_fill(char **env);

#endif
