/* resmap.h: when each node has how many CPUs, GPUs and how much memory free, now
 * and in the future, from running jobs' time limits and reservations made
 * during a backfill pass.  Pure bookkeeping: unit-tested on its own. */
#ifndef CTLD_RESMAP_H
#define CTLD_RESMAP_H

#include <stddef.h>
#include <stdint.h>

#define RESMAP_FOREVER INT64_MAX

typedef struct resmap resmap_t;

resmap_t *resmap_create(size_t nnodes, int64_t now);
void resmap_destroy(resmap_t *m);
void resmap_set_node(resmap_t *m, size_t node, uint32_t cpus, uint64_t mem);
/* cpus/mem in use on node from start until end (RESMAP_FOREVER: no end), by
 * job owner; a use that starts after now is a reservation. */
void resmap_use(resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t cpus,
                uint64_t mem, uint32_t owner);
/* GPUs (counts, any type) the same way: the node's total, a use. */
void resmap_set_gpus(resmap_t *m, size_t node, uint32_t gpus);
void resmap_use_gpus(resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t gpus,
                     uint32_t owner);
int resmap_fits_gpus(const resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t gpus);
/* Is there room for cpus/mem on node during [start, end)? */
int resmap_fits(const resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t cpus,
                uint64_t mem);
/* Times at which something frees on any node, from now, ascending, without
 * repeats, at most max; the first is always now.  Returns the count. */
size_t resmap_times(const resmap_t *m, int64_t *out, size_t max);
/* Is any of node's capacity reserved (not by a running job) in [start, end)?
 * owner and at (may be NULL) get the first such reservation's job and start. */
int resmap_reserved(const resmap_t *m, size_t node, int64_t start, int64_t end,
                    uint32_t *owner, int64_t *at);
/* Round t up to now + a multiple of res (BackfillResolution). */
int64_t resmap_round(const resmap_t *m, int64_t t, int64_t res);

#endif
