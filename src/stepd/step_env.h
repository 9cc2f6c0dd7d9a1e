/* step_env.h: a task's environment (doc/protocol.md, "The task
 * environment"): srun's variables, then the step's SLURM_* over them, then
 * the MPI plugin's, then login defaults where srun gave none. */
#ifndef SL_STEPD_STEP_ENV_H
#define SL_STEPD_STEP_ENV_H

#include <stdint.h>

struct step_rec;

/* For local task local; extra: the plugin's "KEY=VALUE" strings (NULL
 * terminated) or NULL.  A malloc'd NULL-terminated array. */
char **step_env_build(const struct step_rec *r, uint32_t local, char *const *extra);
void step_env_free(char **env);   /* accepts NULL */
/* The value of key in env, or NULL. */
const char *step_env_get(char *const *env, const char *key);

#endif
