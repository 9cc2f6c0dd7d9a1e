/* hw.h: what this node has, as reported in node_register.
 *
 * The counts (cpus, sockets, ...) are the old "cpus"/"sockets" fields of
 * node_register; topo is the full description sent as its "topology"
 * (topo.h): the logical CPUs with their OS indexes, and the GPUs. */
#ifndef SL_NODED_HW_H
#define SL_NODED_HW_H

#include <stddef.h>
#include <stdint.h>
#include <hwloc.h>
#include "error.h"
#include "topo.h"

struct hw_info {
    uint32_t cpus;               /* processing units (hardware threads) */
    uint32_t sockets;
    uint32_t cores_per_socket;
    uint32_t threads_per_core;
    uint64_t memory_mb;
    topo_t *topo;                /* owned; never NULL after a successful discovery */
};

/* SLUICE_FAKE_HW="cpus=C,mem=M[,sockets=S,cores=K,threads=T,gpus=N,
 * gputype=TYPE,gpuvendor=V]" (tests) wins; else topology_file (hwloc XML),
 * if not NULL; else probe this machine with hwloc. */
int hw_discover(const char *topology_file, struct hw_info *hw, sl_error_t *e);

/* Parse the SLUICE_FAKE_HW syntax (and build its synthetic topology). */
int hw_parse_fake(const char *spec, struct hw_info *hw, sl_error_t *e);

void hw_info_clear(struct hw_info *hw);   /* frees topo; accepts a cleared one */

/* hw_gpu.c: add the GPUs of a loaded topology (I/O devices kept) to topo,
 * whose CPUs were built from the same hwloc topology.  this_machine: the
 * topology was probed here (not an XML file), so the driver's files under
 * /proc may name a GPU hwloc could not. */
int hw_gpus_add(hwloc_topology_t t, topo_t *topo, int this_machine, sl_error_t *e);

/* The gres type of a GPU model name: the first word that holds a digit,
 * lower-cased, letters and digits only; a word of digits alone takes the
 * word before it ("GeForce RTX 4090" -> "rtx4090").  Words are split at
 * blanks and - _ / ( ) [ ] ,.  "NVIDIA H200" -> "h200", "Tesla
 * V100-SXM2-16GB" -> "v100", "AMD Instinct MI250X" -> "mi250x"; no such
 * word (or an empty name) -> "gpu". */
void hw_gpu_type(const char *model, char *out, size_t len);

#endif
