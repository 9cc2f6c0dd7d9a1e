/* rlimit_list.h: Slurm's names of the resource limits a job may carry from
 * the submitting shell (--propagate, PropagateResourceLimits[Except]=). */
#ifndef SL_RLIMIT_LIST_H
#define SL_RLIMIT_LIST_H

#include <stddef.h>
#include "error.h"

#define RLIMIT_LIST_N 10
/* Slurm's name of limit i (AS, CORE, ...), and its RLIMIT_* resource. */
const char *rlimit_list_name(size_t i);
int rlimit_list_res(size_t i);
/* "ALL", "NONE" or a comma list of names -> bit i for each; -1 with e set
 * ("Invalid WHAT specification: ...") on an unknown name. */
long rlimit_list_mask(const char *list, const char *what, sl_error_t *e);
#define RLIMIT_LIST_ALL ((1L << RLIMIT_LIST_N) - 1)

#endif
