/* nodealloc.c: which CPUs and GPUs of its nodes a job holds.  The choice
 * (cpualloc.c) is made when the job starts, kept in the job record ("alloc":
 * per node, logical CPU ids and GPU indexes) and applied to each node's
 * used_cpus / used_gpus, so a restarted controller rebuilds them exactly
 * from the jobs it reloads. */
#include <stdlib.h>
#include <string.h>
#include "cpualloc.h"
#include "log.h"
#include "nodealloc.h"
#include "sched_api.h"

void nodealloc_req(const struct job *j, struct cpualloc_req *r)
{
    memset(r, 0, sizeof(*r));
    r->cpus = sched_cpus_asked(j);
    r->one_per_core = j->threads_per_core == 1;
    r->whole_node = j->exclusive;
    r->gpus = sched_gpus_per_node(j);
    r->gpu_type = j->gpu_type;
    r->gpus_first = r->gpus && (j->gpus_per_task || j->cpus_per_gpu);
}

/* The node's sets, sized to its topology as it is now. */
static int node_sets(struct node *n, const topo_t *t)
{
    return cpualloc_set_fit(&n->used_cpus, t->ncpus) < 0 ||
           cpualloc_set_fit(&n->used_gpus, t->ngpus) < 0 ? -1 : 0;
}

int nodealloc_fits(struct node *n, const struct job *j)
{
    struct cpualloc_req r;
    nodealloc_req(j, &r);
    const topo_t *t = node_topo(n);
    if (!t || node_sets(n, t) < 0)
        return 0;
    if (r.gpus && cpualloc_gpus_free(t, n->used_gpus, r.gpu_type) < r.gpus)
        return 0;
    /* Counts decide for plain requests; whole cores and GPU locality need
     * the real choice (it is cheap: one pass over the node's CPUs). */
    if (!r.gpus && !r.one_per_core)
        return 1;
    idset_t *c = NULL, *g = NULL;
    int ok = cpualloc_pick(t, n->used_cpus, n->used_gpus, &r, &c, &g, NULL) == 0;
    idset_destroy(c);
    idset_destroy(g);
    return ok;
}

json_t *nodealloc_pick(struct job *j, struct node **nodes, size_t n, sl_error_t *e)
{
    struct cpualloc_req r;
    json_t *out = json_array();
    nodealloc_req(j, &r);
    for (size_t i = 0; i < n; i++) {
        const topo_t *t = node_topo(nodes[i]);
        idset_t *c = NULL, *g = NULL;
        if (!t || node_sets(nodes[i], t) < 0 ||
            cpualloc_pick(t, nodes[i]->used_cpus, nodes[i]->used_gpus, &r, &c, &g, e) < 0) {
            if (!t)
                sl_errprintf(e, "no topology");
            sl_errprefix(e, "node %s", nodes[i]->name);
            json_decref(out);
            return NULL;
        }
        char *cs = idset_encode(c), *gs = idset_encode(g);
        const char *type = NULL;   /* for display: the GPUs' type when they share one */
        for (uint32_t k = idset_first(g); k != IDSET_NONE; k = idset_next(g, k))
            type = !type || !strcmp(type, t->gpus[k].type) ? t->gpus[k].type : "";
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "node", nodes[i]->name,
                                             "cpus", cs ? cs : "", "gpus", gs ? gs : "",
                                             "gpu_type", type ? type : ""));
        free(cs);
        free(gs);
        idset_destroy(c);
        idset_destroy(g);
    }
    return out;
}

json_t *nodealloc_entry(const struct job *j, const char *node)
{
    size_t i;
    json_t *v;
    json_array_foreach(j->alloc, i, v) {
        const char *name = json_string_value(json_object_get(v, "node"));
        if (name && strcmp(name, node) == 0)
            return v;
    }
    return NULL;
}

/* Set or clear the ids of an idset string in *set (ids past it ignored). */
static uint32_t apply_list(idset_t *set, const char *list, int on)
{
    if (!list || !*list)
        return 0;
    idset_t *ids = idset_decode(list, TOPO_MAX_CPUS, NULL, NULL);
    uint32_t n = 0;
    for (uint32_t id = ids ? idset_first(ids) : IDSET_NONE; id != IDSET_NONE;
         id = idset_next(ids, id), n++) {
        if (id >= idset_size(set))
            continue;
        if (on)
            idset_set(set, id);
        else
            idset_clear(set, id);
    }
    idset_destroy(ids);
    return n;
}

int64_t nodealloc_apply(struct node *n, const struct job *j, int on)
{
    json_t *ent = j->alloc ? nodealloc_entry(j, n->name) : NULL;
    const topo_t *t = node_topo(n);
    if (!ent || !t || node_sets(n, t) < 0)
        return -1;
    const char *cpus = json_string_value(json_object_get(ent, "cpus"));
    apply_list(n->used_gpus, json_string_value(json_object_get(ent, "gpus")), on);
    return apply_list(n->used_cpus, cpus, on);
}

uint32_t nodealloc_count(const char *list)
{
    idset_t *ids = list && *list ? idset_decode(list, TOPO_MAX_CPUS, NULL, NULL) : NULL;
    uint32_t n = ids ? idset_count(ids) : 0;
    idset_destroy(ids);
    return n;
}

static const char *vendor_of(const struct topo_gpu *g)
{
    return !strcmp(g->vendor, "nvidia") || !strcmp(g->vendor, "amd") ? g->vendor : "other";
}

json_t *nodealloc_gpus_json(const topo_t *t, const char *list)
{
    json_t *out = json_array();
    idset_t *ids = list && *list ? idset_decode(list, TOPO_MAX_GPUS, NULL, NULL) : NULL;
    for (uint32_t i = ids ? idset_first(ids) : IDSET_NONE; i != IDSET_NONE;
         i = idset_next(ids, i)) {
        if (i >= t->ngpus)
            continue;
        const struct topo_gpu *g = &t->gpus[i];
        json_array_append_new(out, json_pack("{s:i, s:i, s:s, s:s, s:s}", "index", (int)i,
                                             "minor", (int)g->minor, "vendor", vendor_of(g),
                                             "bus_id", g->bus_id, "type", g->type));
    }
    idset_destroy(ids);
    return out;
}

void nodealloc_launch_fields(struct node *n, const struct job *j, json_t *rec)
{
    const topo_t *t = node_topo(n);
    json_t *ent = nodealloc_entry(j, n->name);
    if (!t)
        return;
    json_object_set_new(rec, "node_gpus", json_integer(t->ngpus));
    if (!ent)   /* started before allocations were recorded: unbound */
        return;
    const char *cpus = json_string_value(json_object_get(ent, "cpus"));
    idset_t *set = cpus && *cpus ? idset_decode(cpus, t->ncpus, NULL, NULL) : NULL;
    char *os = set ? topo_os_list(t, set) : NULL;
    if (os)
        json_object_set_new(rec, "cpu_ids", json_string(os));
    free(os);
    idset_destroy(set);
    json_object_set_new(rec, "gpus",
                        nodealloc_gpus_json(t, json_string_value(json_object_get(ent, "gpus"))));
}

/* CPUs (and GPUs) of node name that the job's running steps hold, except
 * overlapping ones (which share, and are not counted against others).  A
 * step holds GPUs only when it asked for some ("gpu_req"); one that did not
 * sees all of the job's GPUs there, as in Slurm. */
static void steps_held(const struct job *j, const char *name, idset_t *used, idset_t *gused)
{
    size_t i, k;
    json_t *rec, *ent;
    json_array_foreach(j->steps, i, rec) {
        if (json_is_true(json_object_get(rec, "overlap")))
            continue;
        int gpus = json_is_true(json_object_get(rec, "gpu_req"));
        json_array_foreach(json_object_get(rec, "alloc"), k, ent) {
            if (strcmp(json_string_value(json_object_get(ent, "node")) ?: "", name))
                continue;
            apply_list(used, json_string_value(json_object_get(ent, "cpus")), 1);
            if (gpus && gused)
                apply_list(gused, json_string_value(json_object_get(ent, "gpus")), 1);
        }
    }
}

/* Everything of size n outside the list counts as used. */
static idset_t *outside(const char *list, uint32_t n)
{
    idset_t *mine = idset_create(n), *used = idset_create(n);
    if (mine && used) {
        apply_list(mine, list, 1);
        for (uint32_t k = 0; k < n; k++)
            if (!idset_test(mine, k))
                idset_set(used, k);
    }
    idset_destroy(mine);
    if (!mine && used) {
        idset_destroy(used);
        return NULL;
    }
    return used;
}

/* One node of a step: its CPUs (and GPUs when gpus_want) from the job's. */
static json_t *step_node(const struct job *j, const char *name, json_t *ent, const topo_t *t,
                         uint32_t cpus, const struct nodealloc_step_gpus *g, size_t i,
                         int overlap, sl_error_t *e)
{
    const char *jg = json_string_value(json_object_get(ent, "gpus")) ?: "";
    idset_t *used = outside(json_string_value(json_object_get(ent, "cpus")), t->ncpus);
    idset_t *gused = g ? outside(jg, t->ngpus ? t->ngpus : 1) : NULL, *cs = NULL, *gs = NULL;
    json_t *out = NULL;
    if (!used || (g && !gused)) {
        sl_errprintf(e, "out of memory");
        goto done;
    }
    if (!overlap)
        steps_held(j, name, used, gused);
    struct cpualloc_req r = { 0 };
    r.cpus = cpus;
    r.one_per_core = j->threads_per_core == 1;
    if (g) {
        r.gpus = g->want[i];
        r.gpu_type = g->type;
        r.gpus_first = g->per_task;
    }
    if (cpualloc_pick(t, used, gused, &r, &cs, &gs, e) < 0) {
        sl_errprefix(e, "the job's CPUs%s on %s that its other steps leave free",
                     g ? " and GPUs" : "", name);
        goto done;
    }
    char *list = idset_encode(cs), *glist = g && r.gpus ? idset_encode(gs) : NULL;
    if (list && (!g || !r.gpus || glist))
        out = json_pack("{s:s, s:s, s:s}", "node", name, "cpus", list, "gpus",
                        g ? (glist ? glist : "") : jg);
    else
        sl_errprintf(e, "out of memory");
    free(list);
    free(glist);
done:
    idset_destroy(used);
    idset_destroy(gused);
    idset_destroy(cs);
    idset_destroy(gs);
    return out;
}

json_t *nodealloc_step(struct ctld *c, const struct job *j, json_t *names, json_t *counts,
                       uint32_t cpus_per_task, int overlap, const struct nodealloc_step_gpus *g,
                       sl_error_t *e)
{
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(names, i, v) {
        const char *name = json_string_value(v);
        struct node *n = node_find(c, name);
        json_t *ent = nodealloc_entry(j, name);
        const topo_t *t = n ? node_topo(n) : NULL;
        if (!ent || !t) {   /* a job started unbound: so are its steps */
            json_decref(out);
            return json_null();
        }
        uint32_t cpus = (uint32_t)json_integer_value(json_array_get(counts, i)) *
                        (cpus_per_task ? cpus_per_task : 1);
        json_t *one = step_node(j, name, ent, t, cpus, g, i, overlap, e);
        if (!one) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, one);
    }
    return out;
}

uint32_t nodealloc_job_gpus(const struct job *j, const char *node)
{
    json_t *ent = j->alloc ? nodealloc_entry(j, node) : NULL;
    return ent ? nodealloc_count(json_string_value(json_object_get(ent, "gpus"))) : 0;
}

void nodealloc_step_fields(struct ctld *c, json_t *alloc, json_t *into)
{
    json_t *ids = json_array(), *gpus = json_array(), *ent;
    size_t i;
    json_array_foreach(alloc, i, ent) {
        struct node *n = node_find(c, json_string_value(json_object_get(ent, "node")));
        const topo_t *t = n ? node_topo(n) : NULL;
        const char *cpus = json_string_value(json_object_get(ent, "cpus"));
        idset_t *set = t && cpus && *cpus ? idset_decode(cpus, t->ncpus, NULL, NULL) : NULL;
        char *os = set ? topo_os_list(t, set) : NULL;
        json_array_append_new(ids, json_string(os ? os : ""));
        json_array_append_new(gpus, t ? nodealloc_gpus_json(t, json_string_value(
                                             json_object_get(ent, "gpus")))
                                      : json_array());
        free(os);
        idset_destroy(set);
    }
    json_object_set_new(into, "cpu_ids", ids);
    json_object_set_new(into, "gpus", gpus);
}
