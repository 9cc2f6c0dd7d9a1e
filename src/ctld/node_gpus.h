/* node_gpus.h: which GPUs a node offers, from what it reports and what its
 * configuration says (doc/design.md, "Node inventory").  Pure functions of
 * a topology and a conf_node, so that they are unit-tested alone. */
#ifndef CTLD_NODE_GPUS_H
#define CTLD_NODE_GPUS_H

#include <stddef.h>
#include "conf.h"
#include "idset.h"
#include "topo.h"

/* The node's effective topology: base's CPUs, and as GPUs
 *  - no Gres= in cfg: base's GPUs (AutoDetect=hwloc), or none (off);
 *  - Gres=: for each entry, the first `count` GPUs of base in bus order
 *    whose type matches (case aside), then GPUs of unknown type ("gpu"),
 *    which take the configured type; untyped entries take what is left.
 *    An entry that finds too few is filled with synthesized GPUs (no bus
 *    id, local to every CPU), so the configured count always stands.
 * The result lists matched GPUs in base's (bus) order, then the synthesized.
 * low (if not NULL) gets "Low GPUs: node reports 1 gpu:a100, configured 2"
 * for the first short entry, or "" — never with autodetect_off, where the
 * configuration is trusted as written.  A new topology (topo_destroy). */
topo_t *node_gpus_effective(const topo_t *base, const struct conf_node *cfg, int autodetect_off,
                            char *low, size_t lowlen);

/* "gpu:h200:4" / "gpu:a100:2,gpu:v100:1": the GPUs grouped by type in
 * order of first appearance, GPUs of unknown type ("gpu") as "gpu:2"; ""
 * when none. */
void node_gres_string(const topo_t *t, char *buf, size_t len);
/* "gpu:h200:1(IDX:0)" per type, the indexes (into t->gpus) that used
 * holds; "gpu:h200:0(IDX:N/A)" for a type none of whose GPUs is used; ""
 * when the node has no GPU.  used may be NULL. */
void node_gres_used_string(const topo_t *t, const idset_t *used, char *buf, size_t len);

#endif
