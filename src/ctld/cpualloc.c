/* cpualloc.c: choose a job's CPUs and GPUs on one node (cpualloc.h). */
#include "cpualloc.h"

#include <stdlib.h>
#include <string.h>

static int in_set(const idset_t *s, uint32_t id)
{
    return s && id < idset_size(s) && idset_test(s, id);
}

static int type_matches(const struct topo_gpu *g, const char *type)
{
    return !type || !*type || strcmp(g->type, type) == 0;
}

uint32_t cpualloc_gpus_total(const topo_t *t, const char *type)
{
    uint32_t n = 0;
    for (uint32_t i = 0; t && i < t->ngpus; i++)
        n += type_matches(&t->gpus[i], type);
    return n;
}

uint32_t cpualloc_gpus_free(const topo_t *t, const idset_t *used_gpus, const char *type)
{
    uint32_t n = 0;
    for (uint32_t i = 0; t && i < t->ngpus; i++)
        n += type_matches(&t->gpus[i], type) && !in_set(used_gpus, i);
    return n;
}

int cpualloc_set_fit(idset_t **set, uint32_t size)
{
    if (size == 0)
        size = 1;
    if (*set && idset_size(*set) == size)
        return 0;
    idset_t *n = idset_create(size);
    if (!n)
        return -1;
    for (uint32_t id = *set ? idset_first(*set) : IDSET_NONE; id != IDSET_NONE && id < size;
         id = idset_next(*set, id))
        idset_set(n, id);
    idset_destroy(*set);
    *set = n;
    return 0;
}

/* The unit a request counts: a thread, or a whole core. */
struct units {
    const topo_t *t;
    const idset_t *used;
    int per_core;
    uint32_t step;      /* CPUs per unit */
    uint32_t count;     /* units on the node */
};

static int unit_free(const struct units *u, uint32_t k)
{
    for (uint32_t c = k * u->step; c < (k + 1) * u->step; c++)
        if (in_set(u->used, c))
            return 0;
    return 1;
}

static uint32_t unit_socket(const struct units *u, uint32_t k)
{
    return topo_socket_of(u->t, k * u->step);
}

/* A unit is a candidate in this round: free, not taken yet, and in (or,
 * with want_pref 0, outside) the preferred set when there is one. */
static int unit_ok(const struct units *u, uint32_t k, const idset_t *taken, const idset_t *pref,
                   int want_pref)
{
    if (!unit_free(u, k) || in_set(taken, k * u->step))
        return 0;
    if (!pref)
        return 1;
    int hit = 0;
    for (uint32_t c = k * u->step; c < (k + 1) * u->step && !hit; c++)
        hit = in_set(pref, c);
    return hit == want_pref;
}

static void unit_take(const struct units *u, uint32_t k, idset_t *taken)
{
    for (uint32_t c = k * u->step; c < (k + 1) * u->step; c++)
        idset_set(taken, c);
}

/* Take up to need units among the candidates, packed by socket; returns
 * how many were taken. */
static uint32_t take_packed(const struct units *u, idset_t *taken, const idset_t *pref,
                            int want_pref, uint32_t need)
{
    uint32_t ns = u->t->sockets, *free_in = calloc(ns, sizeof(*free_in));
    uint32_t *order = calloc(ns, sizeof(*order)), nchosen = 0;
    char *chosen = calloc(ns, 1);
    uint32_t got = 0, have = 0;
    if (!free_in || !chosen || !order)
        goto out;
    for (uint32_t k = 0; k < u->count; k++)
        free_in[unit_socket(u, k)] += unit_ok(u, k, taken, pref, want_pref);
    for (uint32_t s = 0; s < ns && !have; s++) {   /* one socket that holds it alone */
        if (free_in[s] >= need) {
            chosen[s] = 1;
            order[nchosen++] = s;
            have = need;
        }
    }
    while (have < need) {   /* else the emptiest sockets, lowest id on ties */
        uint32_t best = ns;
        for (uint32_t s = 0; s < ns; s++)
            if (!chosen[s] && free_in[s] && (best == ns || free_in[s] > free_in[best]))
                best = s;
        if (best == ns)
            break;
        chosen[best] = 1;
        order[nchosen++] = best;
        have += free_in[best];
    }
    /* Socket by socket in that order, so only the last is partly used. */
    for (uint32_t i = 0; i < nchosen; i++) {
        for (uint32_t k = 0; k < u->count && got < need; k++) {
            if (unit_socket(u, k) == order[i] && unit_ok(u, k, taken, pref, want_pref)) {
                unit_take(u, k, taken);
                got++;
            }
        }
    }
out:
    free(free_in);
    free(order);
    free(chosen);
    return got;
}

static int pick_cpus(const topo_t *t, const idset_t *used, const struct cpualloc_req *r,
                     const idset_t *pref, idset_t *out, sl_error_t *e)
{
    if (r->whole_node) {
        for (uint32_t c = 0; c < t->ncpus; c++) {
            if (in_set(used, c))
                return sl_errprintf(e, "the whole node is needed and CPU %u is in use", c);
            idset_set(out, c);
        }
        return 0;
    }
    struct units u = { t, used, r->one_per_core, r->one_per_core ? t->threads_per_core : 1, 0 };
    u.count = t->ncpus / u.step;
    uint32_t got = 0;
    if (pref)
        got = take_packed(&u, out, pref, 1, r->cpus);
    if (got < r->cpus)
        got += take_packed(&u, out, pref, 0, r->cpus - got);
    if (got < r->cpus)
        return sl_errprintf(e, "%u free %s needed, %u free", r->cpus,
                            r->one_per_core ? "cores" : "CPUs", got);
    return 0;
}

struct gpu_score {
    uint32_t index, score;
};

static int score_cmp(const void *a, const void *b)
{
    const struct gpu_score *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Score each free GPU of the type by its local CPUs in near (those free,
 * when near is NULL), best first; take r->gpus of them. */
static int pick_gpus(const topo_t *t, const idset_t *used_gpus, const idset_t *used_cpus,
                     const idset_t *near, const struct cpualloc_req *r, idset_t *out,
                     sl_error_t *e)
{
    if (!r->gpus)
        return 0;
    struct gpu_score *s = calloc(t->ngpus ? t->ngpus : 1, sizeof(*s));
    uint32_t n = 0;
    if (!s)
        return sl_errprintf(e, "out of memory");
    for (uint32_t i = 0; i < t->ngpus; i++) {
        const struct topo_gpu *g = &t->gpus[i];
        if (!type_matches(g, r->gpu_type) || in_set(used_gpus, i))
            continue;
        uint32_t sc = 0;
        for (uint32_t c = 0; c < t->ncpus; c++) {
            int local = !g->cpus || in_set(g->cpus, c);
            sc += local && (near ? in_set(near, c) : !in_set(used_cpus, c));
        }
        s[n++] = (struct gpu_score){ i, sc };
    }
    if (n < r->gpus) {
        free(s);
        return sl_errprintf(e, "%u free GPUs%s%s needed, %u free", r->gpus,
                            r->gpu_type && *r->gpu_type ? " of type " : "",
                            r->gpu_type ? r->gpu_type : "", n);
    }
    qsort(s, n, sizeof(*s), score_cmp);
    for (uint32_t i = 0; i < r->gpus; i++)
        idset_set(out, s[i].index);
    free(s);
    return 0;
}

/* The CPUs local to the chosen GPUs. */
static idset_t *gpus_local(const topo_t *t, const idset_t *gpus)
{
    idset_t *pref = idset_create(t->ncpus);
    for (uint32_t i = idset_first(gpus); pref && i != IDSET_NONE; i = idset_next(gpus, i)) {
        for (uint32_t c = 0; c < t->ncpus; c++)
            if (!t->gpus[i].cpus || idset_test(t->gpus[i].cpus, c))
                idset_set(pref, c);
    }
    return pref;
}

int cpualloc_pick(const topo_t *t, const idset_t *used_cpus, const idset_t *used_gpus,
                  const struct cpualloc_req *r, idset_t **cpus, idset_t **gpus,
                  sl_error_t *e)
{
    idset_t *c = idset_create(t->ncpus), *g = idset_create(t->ngpus ? t->ngpus : 1);
    int rc = c && g ? 0 : sl_errprintf(e, "out of memory");
    if (rc == 0 && r->gpus_first) {
        idset_t *pref = NULL;
        rc = pick_gpus(t, used_gpus, used_cpus, NULL, r, g, e);
        if (rc == 0 && !(pref = gpus_local(t, g)))
            rc = sl_errprintf(e, "out of memory");
        if (rc == 0)
            rc = pick_cpus(t, used_cpus, r, pref, c, e);
        idset_destroy(pref);
    } else if (rc == 0) {
        rc = pick_cpus(t, used_cpus, r, NULL, c, e);
        if (rc == 0)
            rc = pick_gpus(t, used_gpus, used_cpus, c, r, g, e);
    }
    if (rc < 0) {
        idset_destroy(c);
        idset_destroy(g);
        return -1;
    }
    *cpus = c;
    *gpus = g;
    return 0;
}
