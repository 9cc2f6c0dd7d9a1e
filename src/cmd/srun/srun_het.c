/* srun_het.c: --het-group inside a heterogeneous job.  Component K is a job
 * of its own (id SLURM_JOB_ID_HET_GROUP_K), so a step on it is a step of
 * that job: only which allocation srun uses changes. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srun.h"

int srun_refuse(int rc, const char *fmt, ...)
{
    va_list ap;
    fputs("srun: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return rc;
}

static const char *het_var(const char *name, long k)
{
    char key[80];
    snprintf(key, sizeof(key), "%s_HET_GROUP_%ld", name, k);
    return getenv(key);
}

/* What the controller sets per component (src/ctld/hetjob.c). */
static const char *const per_component[] = {
    "SLURM_JOB_ID", "SLURM_JOBID", "SLURM_JOB_NODELIST", "SLURM_NODELIST",
    "SLURM_JOB_NUM_NODES", "SLURM_NNODES", "SLURM_JOB_PARTITION", "SLURM_JOB_CPUS_PER_NODE",
    "SLURM_NTASKS", "SLURM_NPROCS", "SLURM_CPUS_PER_TASK", "SLURM_MEM_PER_NODE", NULL,
};

int srun_het_select(const jobopt_t *o, int argc, char **argv, int idx, int in_alloc)
{
    const char *g = jobopt_str(o, "het_group"), *size = getenv("SLURM_HET_SIZE");
    (void)argc;
    (void)argv;
    (void)idx;
    if (!g)
        return 0;
    for (const char *p = g; *p; p++)
        if (!isdigit((unsigned char)*p))
            return srun_refuse(1, "--het-group=%s: not a component number or a list of them "
                              "(e.g. 0,1 or 0-1)", g);
    long k = strtol(g, NULL, 10);
    if (!in_alloc)
        return srun_refuse(1, "--het-group=%s applies only inside a heterogeneous job "
                          "allocation (an sbatch script or salloc)", g);
    if (!size || !*size) {
        if (k == 0)
            return 0;   /* component 0 of an ordinary job: the job itself */
        return srun_refuse(1, "--het-group=%s: this job is not heterogeneous (SLURM_HET_SIZE is "
                          "unset)", g);
    }
    if (k >= atol(size))
        return srun_refuse(1, "--het-group=%s: the job has %ld components (0 to %ld)", g,
                          atol(size), atol(size) - 1);
    return srun_het_use(k);
}

int srun_het_use(long k)
{
    if (!het_var("SLURM_JOB_ID", k) || !het_var("SLURM_JOB_NODELIST", k))
        return srun_refuse(1, "--het-group=%ld: SLURM_JOB_ID_HET_GROUP_%ld or "
                          "SLURM_JOB_NODELIST_HET_GROUP_%ld is unset", k, k, k);
    /* The component's variables become the job's, so that every default
     * (nodes, tasks, CPUs per task) and the step's environment follow it;
     * one the component lacks must not leak from component 0. */
    for (const char *const *n = per_component; *n; n++) {
        const char *v = het_var(*n, k);
        if (v)
            setenv(*n, v, 1);
        else
            unsetenv(*n);
    }
    return 0;
}
