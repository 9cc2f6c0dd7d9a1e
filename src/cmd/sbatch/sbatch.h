/* sbatch.h: parts of sbatch in their own files. */
#ifndef SL_SBATCH_H
#define SL_SBATCH_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* --wait: poll the job until it ends; returns the exit status sbatch
 * exits with (the job's exit code; 1 if it failed without one). */
int sbatch_wait(int64_t job_id);

/* A heterogeneous job: add "het_components" (components 1..n-1 of the
 * script's "#SBATCH hetjob" groups and of argv's ":" groups, whose argv[0]
 * indexes are starts[0..nseg)) to the leader's spec.  idx: the script's
 * index in argv. */
struct jobopt;
int sbatch_het_add(struct jobopt *lead, int argc, char **argv, const int *starts, size_t nseg,
                   int idx, const char *script, size_t n, sl_error_t *e);

#endif
