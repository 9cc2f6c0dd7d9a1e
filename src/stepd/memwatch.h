/* memwatch.h: the memory limit without a cgroup (no task/cgroup on the
 * node): the resident memory of every process below the stepd, summed,
 * polled once a second by the supervisor; over the limit, the job is
 * killed and ends OUT_OF_MEMORY. */
#ifndef SL_STEPD_MEMWATCH_H
#define SL_STEPD_MEMWATCH_H

#include <stdint.h>

/* Resident KiB of all descendants of the calling process. */
uint64_t memwatch_rss_kb(void);

#endif
