/* load.h: what sinfo's CPU_LOAD (%O) and FREE_MEM (%e) show, sampled by
 * the node daemon for its registration and heartbeats. */
#ifndef NODED_LOAD_H
#define NODED_LOAD_H

#include <jansson.h>

/* Add "cpu_load" (the 1-minute load average x 100, as Slurm keeps it) and
 * "free_mem_mb" (MemAvailable in MiB) to body; either is left out when it
 * cannot be read. */
void load_sample(json_t *body);

#endif
