/* jobenv.h: the environment a batch job starts with: the submitted env,
 * then the SLURM_* and AWS_BATCH_* variables, then login defaults. */
#ifndef SL_STEPD_JOBENV_H
#define SL_STEPD_JOBENV_H

#include <stddef.h>

struct launch;

/* A NULL-terminated, malloc'd "KEY=VALUE" array for execve.  Without
 * l->home and l->shell, HOME and SHELL are only what the submitted env has. */
char **jobenv_build(const struct launch *l);
void jobenv_free(char **env);   /* accepts NULL */

/* Slurm's SLURM_TASKS_PER_NODE form for ntasks spread in blocks over
 * nnodes: 5 over 2 -> "3,2", 4 over 2 -> "2(x2)".  Writes into buf. */
char *jobenv_tasks_per_node(long ntasks, long nnodes, char *buf, size_t len);

#endif
