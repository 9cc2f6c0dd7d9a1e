/* hw.h: what this node has, as reported in node_register. */
#ifndef SL_NODED_HW_H
#define SL_NODED_HW_H

#include <stdint.h>
#include "error.h"

struct hw_info {
    uint32_t cpus;               /* processing units (hardware threads) */
    uint32_t sockets;
    uint32_t cores_per_socket;
    uint32_t threads_per_core;
    uint64_t memory_mb;
};

/* SLUICE_FAKE_HW="cpus=C,mem=M[,sockets=S,cores=K,threads=T]" (tests)
 * wins; else topology_file (hwloc XML), if not NULL; else probe this
 * machine with hwloc. */
int hw_discover(const char *topology_file, struct hw_info *hw, sl_error_t *e);

/* Parse the SLUICE_FAKE_HW syntax. */
int hw_parse_fake(const char *spec, struct hw_info *hw, sl_error_t *e);

#endif
