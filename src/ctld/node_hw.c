/* node_hw.c: a node's hardware as the controller sees it: what it reported
 * in node_register, the topology jobs are given from (node_topo), and the
 * drain of a node whose hardware falls short of its configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "log.h"
#include "node_gpus.h"

/* Counts that do not multiply out become one socket of single-thread cores. */
static topo_t *cfg_synth(const struct conf_node *cfg)
{
    uint32_t s = cfg->sockets ? cfg->sockets : 1;
    uint32_t t = cfg->threads_per_core ? cfg->threads_per_core : 1;
    uint32_t k = cfg->cpus / (s * t);
    if (k == 0 || s * k * t != cfg->cpus) {
        s = t = 1;
        k = cfg->cpus ? cfg->cpus : 1;
    }
    return topo_synth(s, k, t, NULL);
}

/* Reported CPUs (else the configuration's) with the effective GPUs
 * (node_gpus_effective): what the allocator hands out. */
const topo_t *node_topo(struct node *n)
{
    if (!n->eff_topo) {
        if (!n->topo && !n->cfg_topo)
            n->cfg_topo = cfg_synth(n->cfg);
        n->eff_topo = node_gpus_effective(n->topo ? n->topo : n->cfg_topo, n->cfg,
                                          conf_autodetect_off(n->ctld->conf), NULL, 0);
    }
    return n->eff_topo;
}

void node_topo_reset(struct node *n)
{
    topo_destroy(n->cfg_topo);
    topo_destroy(n->eff_topo);
    n->cfg_topo = n->eff_topo = NULL;
}

/* Reasons this file sets, and so may lift when the hardware is right. */
static int hw_reason(const char *r)
{
    return r && (strncmp(r, "Low ", 4) == 0 || strncmp(r, "Bad topology", 12) == 0);
}

void node_hw_check(struct ctld *c, struct node *n)
{
    char why[256] = "";
    if (!n->registered)
        return;
    if (n->topo_error)
        snprintf(why, sizeof(why), "Bad topology: %s", n->topo_error);
    else if (n->rep_cpus < n->cfg->cpus)
        snprintf(why, sizeof(why), "Low CPUs: node reports %u, configured %u", n->rep_cpus,
                 n->cfg->cpus);
    else if (n->rep_mem_mb < n->cfg->real_memory_mb)
        snprintf(why, sizeof(why), "Low RealMemory: node reports %llu MB, configured %llu MB",
                 (unsigned long long)n->rep_mem_mb, (unsigned long long)n->cfg->real_memory_mb);
    else if (n->topo && !conf_autodetect_off(c->conf))
        topo_destroy(node_gpus_effective(n->topo, n->cfg, 0, why, sizeof(why)));
    int hw_drained = n->drain && hw_reason(n->reason);
    if (why[0] && (!n->drain || hw_drained)) {
        if (!hw_drained || strcmp(n->reason, why) != 0)
            log_warn("node %s drained: %s", n->name, why);
        n->drain = 1;
        job_set_str(&n->reason, why);
        n->reason_time = ctld_now();
        n->reason_uid = 0;
    } else if (!why[0] && hw_drained) {
        log_info("node %s: hardware matches its configuration again: undrained", n->name);
        n->drain = 0;
        job_set_str(&n->reason, NULL);
    }
}

/* node_register's counts and "topology" (absent from an older sluiced:
 * the configuration's stands in).  A malformed topology does not stop the
 * registration: the node is drained with the reason instead. */
void node_hw_register(struct ctld *c, struct node *n, json_t *q)
{
    json_t *tj = json_object_get(q, "topology");
    n->rep_cpus = (uint32_t)json_integer_value(json_object_get(q, "cpus"));
    n->rep_mem_mb = (uint64_t)json_integer_value(json_object_get(q, "memory_mb"));
    n->rep_sockets = (uint32_t)json_integer_value(json_object_get(q, "sockets"));
    n->rep_cores = (uint32_t)json_integer_value(json_object_get(q, "cores_per_socket"));
    n->rep_threads = (uint32_t)json_integer_value(json_object_get(q, "threads_per_core"));
    topo_destroy(n->topo);
    n->topo = NULL;
    free(n->topo_error);
    n->topo_error = NULL;
    if (tj) {
        sl_error_t e = { "" };
        n->topo = topo_from_json(tj, &e);
        if (!n->topo) {
            log_error("node %s: node_register field \"topology\" refused: %s", n->name, e.text);
            n->topo_error = strdup(e.text);
        }
    }
    node_topo_reset(n);
    node_hw_check(c, n);
}
