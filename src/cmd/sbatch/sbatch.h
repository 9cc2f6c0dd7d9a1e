/* sbatch.h: parts of sbatch in their own files. */
#ifndef SL_SBATCH_H
#define SL_SBATCH_H

#include <stdint.h>

/* --wait: poll the job until it ends; returns the exit status sbatch
 * exits with (the job's exit code; 1 if it failed without one). */
int sbatch_wait(int64_t job_id);

#endif
