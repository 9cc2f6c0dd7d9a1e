/* step_multiprog.h: srun --multi-prog (Slurm's format): one line per set
 * of tasks, "RANKS PROGRAM ARGS...", RANKS a comma list of N and N-M or
 * "*"; in the program and its arguments %t is the task's rank and %o its
 * offset within the line's ranks; '#' starts a comment line; arguments may
 * be quoted with ' or ".  The first line naming a rank is its program. */
#ifndef SL_STEPD_STEP_MULTIPROG_H
#define SL_STEPD_STEP_MULTIPROG_H

#include <stdint.h>
#include "error.h"

/* The argv of task rank: malloc'd, NULL-terminated, each string malloc'd;
 * NULL with e set (a malformed line, no line for the rank). */
char **multiprog_argv(const char *text, uint32_t rank, sl_error_t *e);
void multiprog_free(char **argv);   /* accepts NULL */

#endif
