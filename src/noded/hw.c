/* hw.c: this node's hardware: SLUICE_FAKE_HW (tests), a TopologyFile, or
 * hwloc's view of the machine, as counts and as a topo_t (hw.h). */
#include "hw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake {
    uint32_t gpus;
    char gputype[64], gpuvendor[16];
};

static int fake_string(const char *key, const char *val, struct fake *f, sl_error_t *e)
{
    if (!strcmp(key, "gputype")) {
        if (!*val || strlen(val) >= sizeof(f->gputype))
            return sl_errprintf(e, "SLUICE_FAKE_HW: 'gputype=%s' must be 1 to %zu characters",
                                val, sizeof(f->gputype) - 1);
        snprintf(f->gputype, sizeof(f->gputype), "%s", val);
        return 0;
    }
    if (strcmp(val, "nvidia") && strcmp(val, "amd") && strcmp(val, "other"))
        return sl_errprintf(e, "SLUICE_FAKE_HW: 'gpuvendor=%s' is not nvidia, amd or other",
                            val);
    snprintf(f->gpuvendor, sizeof(f->gpuvendor), "%s", val);
    return 0;
}

static int fake_value(const char *key, const char *val, struct hw_info *hw, struct fake *f,
                      sl_error_t *e)
{
    char *end;
    unsigned long long v;

    if (!strcmp(key, "gputype") || !strcmp(key, "gpuvendor"))
        return fake_string(key, val, f, e);
    errno = 0;
    v = strtoull(val, &end, 10);
    if (!strcmp(key, "gpus")) {   /* 0 is fine: a node without GPUs */
        if (errno || end == val || *end || v > TOPO_MAX_GPUS)
            return sl_errprintf(e, "SLUICE_FAKE_HW: 'gpus=%s' is not a number from 0 to %d",
                                val, TOPO_MAX_GPUS);
        f->gpus = (uint32_t)v;
        return 0;
    }
    if (errno || end == val || *end || v == 0 || v > UINT32_MAX)
        return sl_errprintf(e, "SLUICE_FAKE_HW: '%s=%s' is not a positive number", key, val);
    if (!strcmp(key, "cpus"))
        hw->cpus = (uint32_t)v;
    else if (!strcmp(key, "mem"))
        hw->memory_mb = v;
    else if (!strcmp(key, "sockets"))
        hw->sockets = (uint32_t)v;
    else if (!strcmp(key, "cores"))
        hw->cores_per_socket = (uint32_t)v;
    else if (!strcmp(key, "threads"))
        hw->threads_per_core = (uint32_t)v;
    else
        return sl_errprintf(e, "SLUICE_FAKE_HW: unknown key '%s' (cpus, mem, sockets, cores, "
                               "threads, gpus, gputype, gpuvendor)", key);
    return 0;
}

/* Fill in what was left out so that sockets * cores * threads == cpus. */
static int fake_complete(struct hw_info *hw, sl_error_t *e)
{
    if (!hw->cpus || !hw->memory_mb)
        return sl_errprintf(e, "SLUICE_FAKE_HW needs cpus= and mem=");
    if (!hw->sockets)
        hw->sockets = 1;
    if (!hw->threads_per_core)
        hw->threads_per_core = 1;
    if (!hw->cores_per_socket)
        hw->cores_per_socket = hw->cpus / (hw->sockets * hw->threads_per_core);
    if ((uint64_t)hw->sockets * hw->cores_per_socket * hw->threads_per_core != hw->cpus)
        return sl_errprintf(e, "SLUICE_FAKE_HW: sockets=%u x cores=%u x threads=%u is not "
                               "cpus=%u", hw->sockets, hw->cores_per_socket,
                            hw->threads_per_core, hw->cpus);
    return 0;
}

/* The synthetic node: OS index = logical id; GPU i sits on socket
 * i * sockets / gpus (spread evenly, as on real two-socket GPU nodes) with
 * that socket's CPUs local to it; minors count per vendor from 0. */
static int fake_topo(struct hw_info *hw, const struct fake *f, sl_error_t *e)
{
    if (!(hw->topo = topo_synth(hw->sockets, hw->cores_per_socket, hw->threads_per_core, e)))
        return sl_errprefix(e, "SLUICE_FAKE_HW");
    uint32_t per_socket = hw->cores_per_socket * hw->threads_per_core;
    for (uint32_t i = 0; i < f->gpus; i++) {
        uint32_t s = (uint32_t)((uint64_t)i * hw->sockets / f->gpus);
        idset_t *cpus = idset_create(hw->cpus);
        for (uint32_t c = s * per_socket; c < (s + 1) * per_socket; c++)
            idset_set(cpus, c);
        int rc = topo_add_gpu(hw->topo, f->gputype[0] ? f->gputype : "gpu",
                              f->gpuvendor[0] ? f->gpuvendor : "nvidia", "", "", (int32_t)i,
                              cpus, e);
        idset_destroy(cpus);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int hw_parse_fake(const char *spec, struct hw_info *hw, sl_error_t *e)
{
    char *copy = strdup(spec), *save = NULL, *tok;
    struct fake f = { 0, "", "" };
    int rc = 0;

    if (!copy)
        return sl_errprintf(e, "out of memory");
    memset(hw, 0, sizeof(*hw));
    for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            rc = sl_errprintf(e, "SLUICE_FAKE_HW: '%s' is not key=value", tok);
            break;
        }
        *eq = '\0';
        rc = fake_value(tok, eq + 1, hw, &f, e);
    }
    free(copy);
    if (rc == 0)
        rc = fake_complete(hw, e);
    if (rc == 0)
        rc = fake_topo(hw, &f, e);
    if (rc < 0)
        hw_info_clear(hw);
    return rc;
}

void hw_info_clear(struct hw_info *hw)
{
    topo_destroy(hw->topo);
    memset(hw, 0, sizeof(*hw));
}

static unsigned count_inside(hwloc_topology_t t, hwloc_obj_t in, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_inside_cpuset_by_type(t, in->cpuset, type);
    return n > 0 ? (unsigned)n : 0;
}

/* Is every socket's core count and every core's thread count the same?
 * topo_t describes only such machines. */
static int shape_uniform(hwloc_topology_t t, unsigned sockets, unsigned cores, unsigned pus)
{
    hwloc_obj_t pkg = NULL, core = NULL;
    if (!sockets || !cores || cores % sockets || pus % cores)
        return 0;
    while ((pkg = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, pkg)))
        if (count_inside(t, pkg, HWLOC_OBJ_CORE) != cores / sockets)
            return 0;
    while ((core = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_CORE, core)))
        if (count_inside(t, core, HWLOC_OBJ_PU) != pus / cores)
            return 0;
    return 1;
}

/* Logical CPUs socket by socket, core by core, thread by thread, each with
 * its OS index.  A machine of uneven shape (or without Package and Core
 * objects) becomes one socket of single-thread cores in hwloc's PU order. */
static topo_t *cpus_from_hwloc(hwloc_topology_t t, sl_error_t *e)
{
    unsigned pus = (unsigned)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    unsigned cores = (unsigned)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    unsigned sockets = (unsigned)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE);
    int uniform = shape_uniform(t, sockets, cores, pus);
    topo_t *topo;

    if (!pus) {
        sl_errprintf(e, "hwloc: the topology has no processing units");
        return NULL;
    }
    topo = uniform ? topo_synth(sockets, cores / sockets, pus / cores, e)
                   : topo_synth(1, pus, 1, e);
    if (!topo)
        return NULL;
    uint32_t i = 0;
    hwloc_obj_t pkg = NULL, core, pu;
    if (!uniform) {
        for (pu = NULL; (pu = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, pu)); )
            topo->os_index[i++] = pu->os_index;
        return topo;
    }
    while ((pkg = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, pkg))) {
        for (core = NULL; (core = hwloc_get_next_obj_inside_cpuset_by_type(
                               t, pkg->cpuset, HWLOC_OBJ_CORE, core)); )
            for (pu = NULL; (pu = hwloc_get_next_obj_inside_cpuset_by_type(
                                 t, core->cpuset, HWLOC_OBJ_PU, pu)); )
                topo->os_index[i++] = pu->os_index;
    }
    return topo;
}

static int probe_load(hwloc_topology_t t, const char *xml, sl_error_t *e)
{
    /* Without I/O objects hwloc reports no PCI devices, hence no GPUs. */
    if (hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT) < 0)
        return sl_errprintf(e, "hwloc: cannot keep I/O devices: %s", strerror(errno));
    if (xml && hwloc_topology_set_xml(t, xml) < 0)
        return sl_errprintf(e, "cannot use topology file %s: %s", xml, strerror(errno));
    if (hwloc_topology_load(t) < 0)
        return sl_errprintf(e, "hwloc: cannot load the topology%s%s: %s", xml ? " from " : "",
                            xml ? xml : "", strerror(errno));
    return 0;
}

static int hw_probe(const char *xml, struct hw_info *hw, sl_error_t *e)
{
    hwloc_topology_t t;

    if (hwloc_topology_init(&t) < 0)
        return sl_errprintf(e, "hwloc: cannot initialise a topology");
    if (probe_load(t, xml, e) < 0 || !(hw->topo = cpus_from_hwloc(t, e))
        || hw_gpus_add(t, hw->topo, xml == NULL, e) < 0) {
        hwloc_topology_destroy(t);
        hw_info_clear(hw);
        return -1;
    }
    hw->cpus = hw->topo->ncpus;
    hw->sockets = hw->topo->sockets;
    hw->cores_per_socket = hw->topo->cores_per_socket;
    hw->threads_per_core = hw->topo->threads_per_core;
    hw->memory_mb = hwloc_get_root_obj(t)->total_memory / (1024 * 1024);
    hwloc_topology_destroy(t);
    return 0;
}

int hw_discover(const char *topology_file, struct hw_info *hw, sl_error_t *e)
{
    const char *fake = getenv("SLUICE_FAKE_HW");

    memset(hw, 0, sizeof(*hw));
    if (fake && *fake)
        return hw_parse_fake(fake, hw, e);
    return hw_probe(topology_file, hw, e);
}
