/* steplace.h: where a job step's tasks go within its allocation (pure logic,
 * no controller state: unit- and model-tested on its own).
 *
 * doc/protocol.md, "Creating, ending and listing steps": tasks go on the
 * fewest nodes that hold them, or spread as evenly as -n over -N allows (the
 * first nodes get one more), ranks block-wise in node order; a step uses
 * ntasks x cpus_per_task CPUs and shares none with the job's other steps
 * unless it overlaps.  A request that could never fit the allocation is
 * STEPLACE_NEVER (EINVAL); one that fits the allocation but not what its
 * other steps leave free now is STEPLACE_BUSY (EAGAIN). */
#ifndef CTLD_STEPLACE_H
#define CTLD_STEPLACE_H

#include <stddef.h>
#include <stdint.h>

/* The allocation, node by node (index i in the job's node order). */
struct steplace_alloc {
    size_t nnodes;
    const uint32_t *cpus;       /* CPUs the job holds on node i */
    const uint64_t *mem_mb;     /* memory the job holds on node i (0: not counted) */
    const uint32_t *used_cpus;  /* held by running steps that do not overlap */
    const uint64_t *used_mem;   /* likewise */
};

/* What the step asks for; 0 means "not given" for the counts. */
struct steplace_req {
    uint32_t ntasks, nnodes, ntasks_per_node, cpus_per_task;
    uint64_t mem_mb;            /* per node */
    const unsigned char *want;  /* node i named by -w (NULL: none named) */
    const unsigned char *avoid; /* node i named by -x (NULL: none) */
    int overlap;                /* ignores, and is ignored by, other steps */
};

enum steplace_rc { STEPLACE_OK = 0, STEPLACE_NEVER = -1, STEPLACE_BUSY = -2 };

/* Fill tasks[i] (nnodes entries) with the tasks placed on node i.  On
 * failure tasks is left zeroed and why (if not NULL) names the problem. */
enum steplace_rc steplace(const struct steplace_alloc *a, const struct steplace_req *r,
                          uint32_t *tasks, const char **why);

#endif
