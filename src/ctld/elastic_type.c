/* elastic_type.c: an elastic partition's node takes its instance type when
 * it is resumed, not from its name.
 *
 * The config generates each partition's names per type (conf_elastic.c),
 * so every type has a template node: the first of its names.  A powered-
 * down node is shapeless: when the scheduler places a job on powered-down
 * nodes of the partition, elastic_job_type ranks the partition's types by
 * the strategy (the names' order), tries each on a probe node, and
 * elastic_choose picks the one to resume the nodes as.  The node then
 * carries a copy of its own conf_node with the type's CPUs, memory, GPUs
 * and features (n->etype_cfg, which n->cfg points to), so the scheduler,
 * the allocator, sinfo and the registration check all see that type.  The
 * type is saved with the node's power state (power_node_save), so a
 * controller killed with -9 knows what each node was resumed as. */
#include <stdlib.h>
#include <string.h>
#include "elastic.h"
#include "elastic_part.h"
#include "log.h"
#include "power.h"

/* n as conf node tmpl's type (the conf's own entry when that is its type). */
void elastic_node_retype(const conf_t *conf, struct node *n, const struct conf_node *tmpl)
{
    const struct conf_node *base = conf_node_find(conf, n->name);
    if (!base || !base->instance_type || !tmpl->instance_type)
        return;
    if (n->cfg->instance_type && strcmp(n->cfg->instance_type, tmpl->instance_type) == 0 &&
        (n->cfg == base || n->cfg == n->etype_cfg))
        return;
    struct conf_node *old = n->etype_cfg;
    n->etype_cfg = NULL;
    if (strcmp(base->instance_type, tmpl->instance_type) == 0) {
        n->cfg = base;
    } else if ((n->etype_cfg = malloc(sizeof(*n->etype_cfg)))) {
        struct conf_node *x = n->etype_cfg;
        *x = *base;            /* its name, host, port; the type's shape */
        x->cpus = tmpl->cpus;
        x->sockets = tmpl->sockets;
        x->cores_per_socket = tmpl->cores_per_socket;
        x->threads_per_core = tmpl->threads_per_core;
        x->real_memory_mb = tmpl->real_memory_mb;
        x->features = tmpl->features;
        x->gres = tmpl->gres;
        x->gres_list = tmpl->gres_list;
        x->ngres = tmpl->ngres;
        x->instance_type = tmpl->instance_type;
        x->instance_types = tmpl->instance_types;
        n->cfg = x;
    } else {
        n->cfg = base;
    }
    free(old);
    /* What an earlier instance reported is not this one's. */
    topo_destroy(n->topo);
    n->topo = NULL;
    node_topo_reset(n);
}

/* The template of type name among the nodes named like n (<part>-<k>). */
static const struct conf_node *tmpl_named(const conf_t *conf, const struct node *n,
                                          const char *type)
{
    const char *dash = strrchr(n->name, '-');
    size_t len = dash ? (size_t)(dash - n->name) + 1 : 0;
    for (size_t i = 0; len && i < conf->nnodes; i++) {
        const struct conf_node *x = &conf->nodes[i];
        if (x->instance_type && strcmp(x->instance_type, type) == 0 &&
            strncmp(x->name, n->name, len) == 0)
            return x;
    }
    return NULL;
}

int elastic_node_retype_name(const conf_t *conf, struct node *n, const char *type)
{
    const struct conf_node *t = type ? tmpl_named(conf, n, type) : NULL;
    if (!t)
        return -1;
    elastic_node_retype(conf, n, t);
    return 0;
}

void elastic_node_reconfigure(const conf_t *newconf, struct node *n,
                              const struct conf_node *cfg)
{
    char *type = n->etype_cfg ? strdup(n->etype_cfg->instance_type) : NULL;
    free(n->etype_cfg);
    n->etype_cfg = NULL;
    n->cfg = cfg;
    if (type && cfg->instance_type && elastic_node_retype_name(newconf, n, type) < 0)
        log_info("node %s: instance type %s is no longer in its partition", n->name, type);
    free(type);
}

/* p's types in the strategy's order: the first name of each (the names
 * come per type, in rank order). */
static size_t part_types(struct ctld *c, const struct conf_partition *p,
                         const struct conf_node **out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < p->nnodes && n < max; k++) {
        const struct conf_node *x = conf_part_node(c->conf, p, k);
        if (x->instance_type && (!n || strcmp(out[n - 1]->instance_type, x->instance_type)))
            out[n++] = x;
    }
    return n;
}

const struct conf_node *elastic_job_type(struct ctld *c, const struct conf_partition *p,
                                         struct node *probe, uint32_t count,
                                         elastic_fits_fn fits, void *arg)
{
    const struct conf_node *t[64];
    uint32_t vcpus[64];
    int ok[64], allowed;
    size_t n = part_types(c, p, t, 64);
    for (size_t i = 0; i < n; i++) {
        elastic_node_retype(c->conf, probe, t[i]);
        vcpus[i] = t[i]->cpus;
        ok[i] = fits(c, probe, arg);
    }
    long r = elastic_choose(p->strategy, vcpus, ok, n, count, elastic_vcpus(c, p),
                            elastic_max_vcpus(c, p), &allowed);
    return r < 0 ? NULL : t[r];
}
