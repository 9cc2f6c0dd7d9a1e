#include "hw.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fake_value(const char *key, const char *val, struct hw_info *hw, sl_error_t *e)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(val, &end, 10);
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
                               "threads)", key);
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

int hw_parse_fake(const char *spec, struct hw_info *hw, sl_error_t *e)
{
    char *copy = strdup(spec), *save = NULL, *tok;
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
        rc = fake_value(tok, eq + 1, hw, e);
    }
    free(copy);
    return rc < 0 ? rc : fake_complete(hw, e);
}

static int hw_count(hwloc_topology_t t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t, type);
    return n > 0 ? n : 0;
}

static int hw_probe(const char *xml, struct hw_info *hw, sl_error_t *e)
{
    hwloc_topology_t t;
    int sockets, cores, pus;

    if (hwloc_topology_init(&t) < 0)
        return sl_errprintf(e, "hwloc: cannot initialise a topology");
    if (xml && hwloc_topology_set_xml(t, xml) < 0) {
        int err = errno;
        hwloc_topology_destroy(t);
        return sl_errprintf(e, "cannot use topology file %s: %s", xml, strerror(err));
    }
    if (hwloc_topology_load(t) < 0) {
        int err = errno;
        hwloc_topology_destroy(t);
        return sl_errprintf(e, "hwloc: cannot load the topology%s%s: %s", xml ? " from " : "",
                            xml ? xml : "", strerror(err));
    }
    pus = hw_count(t, HWLOC_OBJ_PU);
    cores = hw_count(t, HWLOC_OBJ_CORE);
    sockets = hw_count(t, HWLOC_OBJ_PACKAGE);
    if (pus == 0)
        pus = 1;
    if (cores == 0)
        cores = pus;
    if (sockets == 0)
        sockets = 1;
    hw->cpus = (uint32_t)pus;
    hw->sockets = (uint32_t)sockets;
    hw->cores_per_socket = (uint32_t)(cores / sockets ? cores / sockets : 1);
    hw->threads_per_core = (uint32_t)(pus / cores ? pus / cores : 1);
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
