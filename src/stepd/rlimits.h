/* rlimits.h: --propagate.  The submitting shell's soft limits arrive as
 * SLURM_RLIMIT_<NAME> variables (as in Slurm); they are taken out of the
 * environment and applied to the job's processes, capped at the node's
 * hard limits. */
#ifndef SL_STEPD_RLIMITS_H
#define SL_STEPD_RLIMITS_H

#include <sys/resource.h>

#define RLIMITS_MAX 16

struct rlimits {
    int n;
    int res[RLIMITS_MAX];
    rlim_t val[RLIMITS_MAX];
};

/* Fill r from env's SLURM_RLIMIT_* variables and remove them from env (a
 * NULL-terminated array whose strings are malloc'd). */
void rlimits_take(char **env, struct rlimits *r);
/* In the child, before exec: set each soft limit, no higher than the hard
 * one.  Only system calls: safe after vfork. */
void rlimits_apply(const struct rlimits *r);

#endif
