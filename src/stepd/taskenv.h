/* taskenv.h: what a job's task gets from its environment in the forked
 * child, before execve, as with Slurm: SLURM_TASK_PID (its own pid; the
 * environment is built before fork with a placeholder value, written over
 * in the child) and the umask srun passed in SLURM_UMASK. */
#ifndef SL_STEPD_TASKENV_H
#define SL_STEPD_TASKENV_H

#define TASKENV_PID_PLACEHOLDER "0000000000"   /* wide enough for any pid */

/* In the forked child: SLURM_TASK_PID=<placeholder> in env becomes
 * SLURM_TASK_PID=<getpid()>, in place (no allocation: async-signal-safe).
 * A value that is not the placeholder (a user's) is left alone. */
void taskenv_fill_pid(char **env);

/* In the forked child: umask(SLURM_UMASK) when env has a valid octal one
 * (srun's umask: the step's tasks create files as srun's user would). */
void taskenv_apply_umask(char *const *env);

#endif
