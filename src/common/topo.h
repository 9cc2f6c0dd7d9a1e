/* topo.h: a node's processors and GPUs as the controller allocates them.
 *
 * Logical CPU ids (Slurm's abstract CPU_IDs) run socket by socket, core by
 * core, thread by thread: logical CPU i is thread i % T of core (i / T) % K
 * of socket i / (K * T).  Each maps to the OS processing-unit index the
 * kernel uses (sched_setaffinity, cpuset.cpus), which hwloc may number
 * otherwise (0 and 44 are often the two threads of one core).
 *
 * sluiced builds one (hwloc, a TopologyFile=, or synthesized from counts)
 * and sends it in node_register as "topology" (topo_to_json); the controller
 * keeps it per node to choose which CPUs and GPUs a job gets. */
#ifndef SL_TOPO_H
#define SL_TOPO_H

#include <stdint.h>
#include <jansson.h>
#include "error.h"
#include "idset.h"

#define TOPO_MAX_CPUS 65536
#define TOPO_MAX_GPUS 256

struct topo_gpu {
    char *type;      /* gres type: lower-case model ("h200", "a100", "mi250x"), "gpu" if unknown */
    char *vendor;    /* "nvidia", "amd" or "other" */
    char *name;      /* model name as found; "" when unknown */
    char *bus_id;    /* PCI "0000:3b:00.0"; "" when unknown (synthesized GPUs) */
    int32_t minor;   /* ordinal among the node's GPUs of its vendor: the
                      * CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES index */
    idset_t *cpus;   /* logical CPUs local to it (same NUMA node / package) */
};

typedef struct topo {
    uint32_t sockets, cores_per_socket, threads_per_core;
    uint32_t ncpus;           /* sockets * cores_per_socket * threads_per_core */
    uint32_t *os_index;       /* [ncpus]: the OS index of each logical CPU */
    uint32_t ngpus;
    struct topo_gpu *gpus;    /* in PCI bus order */
} topo_t;

/* S sockets of K cores of T threads, OS index = logical id, no GPUs.
 * NULL (and e set) if a count is 0 or the product exceeds TOPO_MAX_CPUS. */
topo_t *topo_synth(uint32_t sockets, uint32_t cores, uint32_t threads, sl_error_t *e);
void topo_destroy(topo_t *t);   /* accepts NULL */
topo_t *topo_copy(const topo_t *t);

/* Append a GPU; cpus NULL means local to every CPU.  Copies the strings and
 * the set.  -1 (e set) past TOPO_MAX_GPUS or when cpus holds ids >= ncpus. */
int topo_add_gpu(topo_t *t, const char *type, const char *vendor, const char *name,
                 const char *bus_id, int32_t minor, const idset_t *cpus, sl_error_t *e);

/* {"sockets", "cores_per_socket", "threads_per_core", "os_index": [...],
 *  "gpus": [{"type", "vendor", "name", "bus_id", "minor", "cpus": "0-21"}]} */
json_t *topo_to_json(const topo_t *t);
/* Checks everything (counts, os_index length and uniqueness, GPU fields);
 * NULL with a message naming the bad field otherwise. */
topo_t *topo_from_json(const json_t *v, sl_error_t *e);

static inline uint32_t topo_core_of(const topo_t *t, uint32_t cpu)
{
    return cpu / t->threads_per_core;           /* node-wide core index */
}
static inline uint32_t topo_socket_of(const topo_t *t, uint32_t cpu)
{
    return cpu / (t->threads_per_core * t->cores_per_socket);
}

/* The OS indexes of a set of logical CPUs, as a list string ("0-3,44-47"),
 * for sched_setaffinity / cpuset.cpus.  malloc'd. */
char *topo_os_list(const topo_t *t, const idset_t *logical);

#endif
