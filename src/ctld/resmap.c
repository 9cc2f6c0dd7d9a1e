/* resmap.c: per-node usage intervals.  A node holds few jobs at once, so a
 * flat list per node, scanned at its change points, is fast enough. */
#include "resmap.h"

#include <stdlib.h>
#include <string.h>

struct use {
    int64_t start, end;
    uint32_t cpus, gpus;
    uint64_t mem;
    int reservation;
    uint32_t owner;
};

struct node_map {
    uint32_t cpus, gpus;
    uint64_t mem;
    struct use *uses;
    size_t n, cap;
};

struct resmap {
    int64_t now;
    size_t nnodes;
    struct node_map *nodes;
};

resmap_t *resmap_create(size_t nnodes, int64_t now)
{
    resmap_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->now = now;
    m->nnodes = nnodes;
    m->nodes = calloc(nnodes ? nnodes : 1, sizeof(*m->nodes));
    if (!m->nodes) {
        free(m);
        return NULL;
    }
    return m;
}

void resmap_destroy(resmap_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nnodes; i++)
        free(m->nodes[i].uses);
    free(m->nodes);
    free(m);
}

void resmap_set_node(resmap_t *m, size_t node, uint32_t cpus, uint64_t mem)
{
    m->nodes[node].cpus = cpus;
    m->nodes[node].mem = mem;
}

static void use_add(resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t cpus,
                    uint64_t mem, uint32_t gpus, int reservation, uint32_t owner)
{
    struct node_map *nm = &m->nodes[node];
    if (nm->n == nm->cap) {
        size_t cap = nm->cap ? nm->cap * 2 : 8;
        struct use *u = realloc(nm->uses, cap * sizeof(*u));
        if (!u)
            return;
        nm->uses = u;
        nm->cap = cap;
    }
    nm->uses[nm->n++] = (struct use){ start, end, cpus, gpus, mem, reservation, owner };
}

void resmap_use(resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t cpus,
                uint64_t mem, uint32_t owner)
{
    use_add(m, node, start < m->now ? m->now : start, end, cpus, mem, 0, start > m->now, owner);
}

void resmap_set_gpus(resmap_t *m, size_t node, uint32_t gpus)
{
    m->nodes[node].gpus = gpus;
}

void resmap_use_gpus(resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t gpus,
                     uint32_t owner)
{
    if (gpus)
        use_add(m, node, start < m->now ? m->now : start, end, 0, 0, gpus, start > m->now,
                owner);
}

static uint64_t gpus_at(const struct node_map *nm, int64_t t)
{
    uint64_t g = 0;
    for (size_t i = 0; i < nm->n; i++)
        if (nm->uses[i].start <= t && t < nm->uses[i].end)
            g += nm->uses[i].gpus;
    return g;
}

/* GPUs are a dimension of their own: a job fits when each dimension does. */
int resmap_fits_gpus(const resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t gpus)
{
    const struct node_map *nm = &m->nodes[node];
    if (!gpus)
        return 1;
    if (gpus > nm->gpus || gpus_at(nm, start) + gpus > nm->gpus)
        return 0;
    for (size_t i = 0; i < nm->n; i++) {
        int64_t t = nm->uses[i].start;
        if (t > start && t < end && gpus_at(nm, t) + gpus > nm->gpus)
            return 0;
    }
    return 1;
}

int64_t resmap_round(const resmap_t *m, int64_t t, int64_t res)
{
    if (t <= m->now || res <= 1 || t == RESMAP_FOREVER)
        return t;
    return m->now + ((t - m->now + res - 1) / res) * res;
}

/* Usage at time t: the sum of uses covering t. */
static void usage_at(const struct node_map *nm, int64_t t, uint64_t *cpus, uint64_t *mem)
{
    *cpus = *mem = 0;
    for (size_t i = 0; i < nm->n; i++) {
        if (nm->uses[i].start <= t && t < nm->uses[i].end) {
            *cpus += nm->uses[i].cpus;
            *mem += nm->uses[i].mem;
        }
    }
}

int resmap_fits(const resmap_t *m, size_t node, int64_t start, int64_t end, uint32_t cpus,
                uint64_t mem)
{
    const struct node_map *nm = &m->nodes[node];
    uint64_t uc, um;
    if (cpus > nm->cpus || mem > nm->mem)
        return 0;
    /* Usage only rises where a use starts: check start and every such point. */
    usage_at(nm, start, &uc, &um);
    if (uc + cpus > nm->cpus || um + mem > nm->mem)
        return 0;
    for (size_t i = 0; i < nm->n; i++) {
        int64_t t = nm->uses[i].start;
        if (t <= start || t >= end)
            continue;
        usage_at(nm, t, &uc, &um);
        if (uc + cpus > nm->cpus || um + mem > nm->mem)
            return 0;
    }
    return 1;
}

int resmap_reserved(const resmap_t *m, size_t node, int64_t start, int64_t end,
                    uint32_t *owner, int64_t *at)
{
    const struct node_map *nm = &m->nodes[node];
    for (size_t i = 0; i < nm->n; i++) {
        if (nm->uses[i].reservation && nm->uses[i].start < end && start < nm->uses[i].end) {
            if (owner)
                *owner = nm->uses[i].owner;
            if (at)
                *at = nm->uses[i].start;
            return 1;
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t resmap_times(const resmap_t *m, int64_t *out, size_t max)
{
    size_t n = 0, total = 1;
    for (size_t i = 0; i < m->nnodes; i++)
        total += m->nodes[i].n;
    int64_t *all = malloc(total * sizeof(*all));
    if (!all || !max) {
        free(all);
        return 0;
    }
    all[n++] = m->now;
    for (size_t i = 0; i < m->nnodes; i++) {
        for (size_t k = 0; k < m->nodes[i].n; k++) {
            int64_t e = m->nodes[i].uses[k].end;
            if (e > m->now && e != RESMAP_FOREVER)
                all[n++] = e;
        }
    }
    qsort(all, n, sizeof(*all), cmp_i64);
    size_t w = 0;
    for (size_t i = 0; i < n && w < max; i++) {
        if (w == 0 || all[i] != out[w - 1])
            out[w++] = all[i];
    }
    free(all);
    return w;
}
