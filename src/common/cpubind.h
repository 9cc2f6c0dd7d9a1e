/* cpubind.h: which CPUs each task of a job (or step) on one node is bound
 * to, from the CPUs the job holds there, --cpu-bind and the part of
 * --distribution after ':' (Slurm's meanings).  Pure computation over a
 * topo_t: sluiced's task/affinity plugin runs it with the node's topology
 * (possibly a fixture, not this machine) and hands the stepd OS index
 * lists; the stepd clips them to CPUs that exist (bind.c). */
#ifndef SL_CPUBIND_H
#define SL_CPUBIND_H

#include <stdint.h>
#include "error.h"
#include "idset.h"
#include "topo.h"

enum cpubind_mode {
    CPUBIND_DEFAULT,     /* no type given: cores for tasks, the whole allocation for a batch job */
    CPUBIND_NONE,
    CPUBIND_THREADS,
    CPUBIND_CORES,
    CPUBIND_SOCKETS,
    CPUBIND_MAP,         /* map_cpu:LIST: OS index per task */
    CPUBIND_MASK,        /* mask_cpu:LIST: OS mask per task */
};

struct cpubind_spec {
    enum cpubind_mode mode;
    int verbose;
    uint32_t nlist;      /* map/mask entries */
    idset_t **list;      /* [nlist] OS index sets */
};

/* Parse a --cpu-bind value ("verbose,cores", "map_cpu:0,2", "q",
 * "mask_cpu:0x3,0xc").  The list of map_cpu/mask_cpu runs to the end of
 * the string (Slurm: it must come last).  -1 with a message naming the bad
 * word.  NULL or "" gives the default. */
int cpubind_parse(const char *s, struct cpubind_spec *out, sl_error_t *e);
void cpubind_spec_free(struct cpubind_spec *s);

/* Within-node CPU order from --distribution ("block:cyclic", "*:block",
 * "cyclic"): 1 = cyclic over sockets, 0 = block (the default).  -1 with a
 * message for a value that is neither. */
int cpubind_dist_cyclic(const char *distribution, sl_error_t *e);

struct cpubind_req {
    const topo_t *topo;        /* the node; NULL: one socket, a core per CPU */
    const char *cpu_ids;       /* OS indexes the job holds here ("0-1,44-45") */
    const char *cpu_bind;      /* --cpu-bind, NULL for the default */
    const char *distribution;  /* --distribution, NULL for block */
    uint32_t ntasks;           /* tasks on this node */
    uint32_t cpus_per_task;
    uint32_t first_task;       /* global rank of the node's first task (map/mask) */
    int whole;                 /* a batch job: one task holding the whole allocation */
};

struct cpubind_plan {
    uint32_t ntasks;
    idset_t **task_os;         /* [ntasks] OS indexes each task is bound to */
    int verbose;
    const char *kind;          /* Slurm's word in the verbose line: NONE, MASK, MAP */
};

int cpubind_plan(const struct cpubind_req *r, struct cpubind_plan *p, sl_error_t *e);
void cpubind_plan_free(struct cpubind_plan *p);

/* "0x3" for an OS index set (bit i = CPU i), as Slurm's verbose line. */
char *cpubind_hex(const idset_t *s);

#endif
