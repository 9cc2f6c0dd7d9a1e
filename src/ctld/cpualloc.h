/* cpualloc.h: which logical CPUs and which GPUs of one node a job gets.
 * Pure logic over a topo_t and the node's used sets: unit-tested on its own
 * (testsuite/unit/test_cpualloc.c, test_model_cpualloc.c).
 *
 * CPUs are packed by socket: the fewest sockets that hold the request (the
 * lowest-numbered socket that holds it alone, else the emptiest sockets
 * first), lowest ids within them, so the threads of one core go together.
 * GPUs are the free ones of the asked type closest to the chosen CPUs (the
 * most of the job's CPUs among the GPU's local CPUs, then lowest index);
 * with gpus_first the GPUs are chosen first and the CPUs near them. */
#ifndef CTLD_CPUALLOC_H
#define CTLD_CPUALLOC_H

#include <stdint.h>
#include "error.h"
#include "idset.h"
#include "topo.h"

struct cpualloc_req {
    uint32_t cpus;          /* CPUs (hardware threads), or cores with one_per_core */
    int one_per_core;       /* --hint=nomultithread, --threads-per-core=1: whole cores,
                             * every thread of a chosen core is the job's */
    int whole_node;         /* --exclusive: every CPU (all must be free) */
    uint32_t gpus;          /* GPUs on this node */
    const char *gpu_type;   /* NULL or "": any type */
    int gpus_first;         /* --gpus-per-task / --cpus-per-gpu: CPUs near the GPUs */
};

/* Choose.  On success 0, *cpus (size t->ncpus) and *gpus (size
 * max(t->ngpus, 1)) are new sets the caller destroys.  -1 with e saying
 * what is short when the node cannot give it now.  used_* may be NULL
 * (nothing used) and may be sized differently from t (ids past the
 * topology are ignored, missing ones count as free). */
int cpualloc_pick(const topo_t *t, const idset_t *used_cpus, const idset_t *used_gpus,
                  const struct cpualloc_req *r, idset_t **cpus, idset_t **gpus,
                  sl_error_t *e);

/* Free GPUs of a type (NULL/"" any) / GPUs of a type in all. */
uint32_t cpualloc_gpus_free(const topo_t *t, const idset_t *used_gpus, const char *type);
uint32_t cpualloc_gpus_total(const topo_t *t, const char *type);

/* Make *set hold ids 0..size-1 (created, or resized keeping members below
 * size).  -1 on allocation failure. */
int cpualloc_set_fit(idset_t **set, uint32_t size);

#endif
