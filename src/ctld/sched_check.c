/* sched_check.c: what the controller checks at submit: could any node of the
 * partition ever run this job?  And --test-only's estimate. */
#include <stdlib.h>
#include <string.h>
#include "cpualloc.h"
#include "featexpr.h"
#include "hostlist.h"
#include "parse.h"
#include "sched_api.h"

static int part_has(const struct conf_partition *p, const char *name)
{
    for (size_t i = 0; i < p->nnodes; i++)
        if (strcmp(p->nodes[i], name) == 0)
            return 1;
    return 0;
}

static int check_nodelist(struct ctld *c, struct job *j, const struct conf_partition *p,
                          hostlist_t *req, hostlist_t *excl, sl_error_t *e)
{
    for (size_t i = 0; req && i < hostlist_count(req); i++) {
        const char *name = hostlist_nth(req, i);
        if (!conf_node_find(c->conf, name))
            return sl_errprintf(e, "Invalid node name specified: %s", name);
        if (!part_has(p, name))
            return sl_errprintf(e, "Requested node configuration is not available: node %s "
                                   "is not in partition %s", name, p->name);
        if (excl && hostlist_find(excl, name) >= 0)
            return sl_errprintf(e, "node %s is both required and excluded", name);
    }
    if (req && hostlist_count(req) > j->nodes_min)
        j->nodes_min = (uint32_t)hostlist_count(req);
    return 0;
}

/* Without -N, spread tasks over as many nodes as the largest node needs. */
static void spread_nodes(struct ctld *c, struct job *j, const struct conf_partition *p)
{
    uint32_t maxcpus = 0;
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct conf_node *cfg = conf_part_node(c->conf, p, i);
        if (cfg->cpus > maxcpus)
            maxcpus = cfg->cpus;
    }
    uint64_t total = (uint64_t)j->ntasks * (j->cpus_per_task ? j->cpus_per_task : 1);
    if (j->nodes_max == 0 && maxcpus && total > maxcpus && !j->ntasks_per_node) {
        uint32_t want = (uint32_t)((total + maxcpus - 1) / maxcpus);
        if (want > j->nodes_min)
            j->nodes_min = want;
    }
}

/* Why too few nodes fit: name the limit the job passes, the largest node
 * of the partition, not just the counts (-c 8 on 4-CPU nodes). */
static int fit_error(struct ctld *c, const struct job *j, const struct conf_partition *p,
                     uint32_t fit, sl_error_t *e)
{
    uint32_t cpus = sched_cpus_per_node(j, NULL), maxcpus = 0;
    uint32_t cpt = j->cpus_per_task ? j->cpus_per_task : 1;
    unsigned long long mem = sched_mem_per_node(j, NULL), maxmem = 0;
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct conf_node *cfg = conf_part_node(c->conf, p, i);
        maxcpus = cfg->cpus > maxcpus ? cfg->cpus : maxcpus;
        maxmem = cfg->real_memory_mb > maxmem ? cfg->real_memory_mb : maxmem;
    }
    if (cpus > maxcpus && j->min_cpus == cpus)
        return sl_errprintf(e, "Requested node configuration is not available: CPU count per "
                               "node can not be satisfied: --mincpus=%u, the nodes of "
                               "partition %s have at most %u", cpus, p->name, maxcpus);
    if (cpus > maxcpus)
        return sl_errprintf(e, "Requested node configuration is not available: CPU count per "
                               "node can not be satisfied: %u CPUs per node needed (%u "
                               "task(s) x %u CPUs per task), the nodes of partition %s have "
                               "at most %u", cpus, cpus / cpt, cpt, p->name, maxcpus);
    if (mem > maxmem)
        return sl_errprintf(e, "Requested node configuration is not available: memory "
                               "specification can not be satisfied: %llu MB per node "
                               "needed, the nodes of partition %s have at most %llu MB", mem,
                            p->name, maxmem);
    return sl_errprintf(e, "Requested node configuration is not available: %u node(s) with "
                           "%u CPUs and %llu MB each needed, partition %s has %u such "
                           "node(s)", sched_nodes_needed(j), cpus, mem, p->name, fit);
}

/* --constraint: some node of the partition has the features.  GPUs: a type
 * some node of it has, and no more per node than the largest such node
 * has.  ok[i] tells which nodes qualify on both counts. */
static int check_eligible(struct ctld *c, const struct job *j, const struct conf_partition *p,
                      char *ok, sl_error_t *e)
{
    uint32_t want = sched_gpus_per_node(j), most = 0, typed = 0;
    uint32_t featured = 0, roomy = 0;
    uint64_t most_tmp = 0;
    if (j->constraint && featexpr_check(j->constraint, e) < 0)
        return -1;
    for (size_t i = 0; i < p->nnodes; i++) {
        struct node *n = node_of_part(c, p, i);
        const topo_t *t = node_topo(n);
        int feat = !j->constraint || featexpr_match(j->constraint, n->cfg->features, -1);
        uint32_t have = cpualloc_gpus_total(t, j->gpu_type);
        featured += feat;
        typed += have > 0;
        most = have > most ? have : most;
        ok[i] = have >= want && feat && n->cfg->tmp_disk_mb >= j->tmp_mb;
        roomy += n->cfg->tmp_disk_mb >= j->tmp_mb;
        most_tmp = n->cfg->tmp_disk_mb > most_tmp ? n->cfg->tmp_disk_mb : most_tmp;
    }
    if (!roomy)
        return sl_errprintf(e, "Requested node configuration is not available: --tmp=%lluM "
                               "needed on each node, the nodes of partition %s have at most "
                               "TmpDisk=%llu", (unsigned long long)j->tmp_mb, p->name,
                            (unsigned long long)most_tmp);
    if (!featured)
        return sl_errprintf(e, "Invalid feature specification: no node of partition %s has "
                               "the features '%s'", p->name, j->constraint);
    if (!want)
        return 0;
    if (j->gpu_type && !typed)
        return sl_errprintf(e, "Requested node configuration is not available: no node of "
                               "partition %s has GPUs of type '%s'", p->name, j->gpu_type);
    if (want > most)
        return sl_errprintf(e, "Requested node configuration is not available: Requested %u "
                               "GPUs per node, the most any node of partition %s has is %u",
                            want, p->name, most);
    return 0;
}

int sched_validate(struct ctld *c, struct job *j, const struct conf_partition *p, sl_error_t *e)
{
    char buf[32];
    if (p->max_time != TIME_INFINITE &&
        (j->time_limit == TIME_INFINITE || j->time_limit > p->max_time))
        return sl_errprintf(e, "Requested time limit is invalid (missing or exceeds some "
                               "limit): partition %s allows at most %s", p->name,
                            format_duration(p->max_time, buf, sizeof(buf)));
    hostlist_t *req = NULL, *excl = NULL;
    if (j->req_nodelist && !(req = hostlist_expand(j->req_nodelist, e)))
        return sl_errprefix(e, "invalid --nodelist");
    if (j->exclude && !(excl = hostlist_expand(j->exclude, e))) {
        hostlist_destroy(req);
        return sl_errprefix(e, "invalid --exclude");
    }
    int rc = check_nodelist(c, j, p, req, excl, e);
    if (rc == 0)
        spread_nodes(c, j, p);
    if (rc == 0 && p->max_cpus_per_node && sched_cpus_per_node(j, NULL) > p->max_cpus_per_node)
        rc = sl_errprintf(e, "Requested node configuration is not available: %u CPUs per node "
                             "requested, partition %s allows %u (MaxCPUsPerNode)",
                          sched_cpus_per_node(j, NULL), p->name, p->max_cpus_per_node);
    if (rc == 0 && p->max_nodes && j->nodes_min > p->max_nodes)
        rc = sl_errprintf(e, "Node count specification invalid: partition %s allows %u "
                             "nodes per job", p->name, p->max_nodes);
    if (rc == 0 && p->elastic && p->spot && sched_nodes_needed(j) > 1)
        rc = sl_errprintf(e, "Multi-node jobs are not supported on spot capacity: partition "
                             "%s is Purchasing=spot and this job needs %u nodes (use an "
                             "on-demand partition)", p->name, sched_nodes_needed(j));
    uint32_t fit = 0;
    char *gpu_ok = calloc(p->nnodes + 1, 1);
    if (rc == 0)
        rc = gpu_ok ? check_eligible(c, j, p, gpu_ok, e) : sl_errprintf(e, "out of memory");
    for (size_t i = 0; rc == 0 && i < p->nnodes; i++) {
        const struct conf_node *cfg = conf_part_node(c->conf, p, i);
        if (!(excl && hostlist_find(excl, cfg->name) >= 0) && gpu_ok[i] &&
            cfg->cpus >= sched_cpus_per_node(j, cfg) &&
            cfg->real_memory_mb >= sched_mem_per_node(j, cfg))
            fit++;
    }
    if (rc == 0 && fit < sched_nodes_needed(j))
        rc = fit_error(c, j, p, fit, e);
    hostlist_destroy(req);
    hostlist_destroy(excl);
    free(gpu_ok);
    return rc;
}

int sched_test(struct ctld *c, struct job *j, char **nodes)
{
    const struct conf_partition *parts[16];
    size_t np = sched_job_parts(c, j, parts, 16);
    struct node **picked = calloc(c->nnodes + 1, sizeof(*picked));
    const char *why;
    int ok = 0;
    for (size_t i = 0; i < np && !ok; i++) {
        if (parts[i]->state != PART_UP)
            continue;
        size_t n = sched_pick_now(c, j, parts[i], picked, &why, NULL);
        if (n == sched_nodes_needed(j)) {
            hostlist_t *hl = hostlist_create();
            for (size_t k = 0; k < n; k++)
                hostlist_push_host(hl, picked[k]->name);
            *nodes = hostlist_ranged_string(hl);
            hostlist_destroy(hl);
            job_set_str(&j->partition, parts[i]->name);
            ok = 1;
        }
    }
    free(picked);
    return ok;
}
