/* pmi1_wire.h: the "simple PMI" (PMI-1) wire protocol that MPICH's client
 * (and Intel MPI's, MVAPICH's) speaks: one text line per command,
 * "cmd=NAME key=value key=value\n".  This file holds what needs no socket:
 * parsing a line, answering the commands a node can answer alone, the
 * process map, and packing a node's puts for the cross-node barrier.
 * mpi_pmi1.c owns the sockets and the barrier. */
#ifndef SL_PMI1_WIRE_H
#define SL_PMI1_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

/* MPICH's PMIU_MAXLINE is 1024; a longer line is refused, not cut. */
#define PMI1_MAXLINE 1024
#define PMI1_KVSNAME_MAX 256
#define PMI1_KEYLEN_MAX 256
#define PMI1_VALLEN_MAX 1024

/* The words of one line: pairs[i] "key", pairs[i+1] "value". */
struct pmi1_cmd {
    char buf[PMI1_MAXLINE + 1];
    const char *key[32];
    const char *val[32];
    int n;
};

/* Parse one line (without its '\n').  Refuses a line without "cmd=" first,
 * a word without '=', more than 32 words, or a line over PMI1_MAXLINE. */
int pmi1_cmd_parse(struct pmi1_cmd *c, const char *line, size_t len, sl_error_t *e);
/* The value of key, or NULL. */
const char *pmi1_cmd_get(const struct pmi1_cmd *c, const char *key);

/* Slurm's and MPICH's PMI_process_mapping for a block distribution:
 * "(vector,(0,2,3),(2,1,2))" = nodes 0-1 hold 3 ranks each, node 2 holds 2.
 * Returns a malloc'd string. */
char *pmi1_process_mapping(const uint32_t *tasks_per_node, uint32_t num_nodes);

/* The node's puts since the last barrier, as one blob for the fence (a
 * JSON object), and the fence's result (every node's blob, concatenated)
 * merged into kvs.  Returns -1 with e set on a malformed result. */
char *pmi1_blob_pack(json_t *puts, size_t *len);
int pmi1_blob_merge(json_t *kvs, const void *data, size_t len, sl_error_t *e);

#endif
