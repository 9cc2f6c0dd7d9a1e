/* cpubind_plan.c: from the job's CPUs on a node to each task's CPUs
 * (cpubind.h).  Works on logical CPUs (socket, core, thread order) so that
 * cores and sockets are those of the topology, then hands back OS indexes. */
#include "cpubind.h"

#include <stdlib.h>
#include <string.h>

struct alloc {
    const topo_t *t;
    uint32_t n;          /* allocated logical CPUs */
    uint32_t *cpu;       /* [n] in the order tasks take them */
    idset_t *os;         /* the same, as OS indexes */
};

static void alloc_free(struct alloc *a)
{
    free(a->cpu);
    idset_destroy(a->os);
}

/* Logical CPUs whose OS index is in cpu_ids, each known to the topology. */
static int alloc_build(struct alloc *a, const char *cpu_ids, sl_error_t *e)
{
    const topo_t *t = a->t;
    uint32_t max_os = 0;

    for (uint32_t i = 0; i < t->ncpus; i++)
        max_os = t->os_index[i] > max_os ? t->os_index[i] : max_os;
    a->os = idset_decode(cpu_ids, TOPO_MAX_CPUS * 2, NULL, e);
    if (!a->os)
        return -1;
    if (idset_count(a->os) == 0)
        return sl_errprintf(e, "cpu_ids '%s' holds no CPU", cpu_ids);
    if (!(a->cpu = calloc(t->ncpus, sizeof(*a->cpu))))
        return sl_errprintf(e, "out of memory");
    for (uint32_t i = 0; i < t->ncpus; i++) {
        if (idset_test(a->os, t->os_index[i]))
            a->cpu[a->n++] = i;
    }
    if (a->n != idset_count(a->os))
        return sl_errprintf(e, "cpu_ids '%s' names CPUs the node's topology does not have "
                               "(OS indexes up to %u)", cpu_ids, max_os);
    return 0;
}

/* Cyclic: the first CPU of each socket, then the second of each, ... */
static int alloc_cyclic(struct alloc *a, sl_error_t *e)
{
    uint32_t *out = calloc(a->n ? a->n : 1, sizeof(*out)), k = 0;
    uint32_t *next = calloc(a->t->sockets, sizeof(*next));

    if (!out || !next) {
        free(out);
        free(next);
        return sl_errprintf(e, "out of memory");
    }
    while (k < a->n) {
        for (uint32_t s = 0; s < a->t->sockets && k < a->n; s++) {
            while (next[s] < a->n && topo_socket_of(a->t, a->cpu[next[s]]) != s)
                next[s]++;
            if (next[s] < a->n)
                out[k++] = a->cpu[next[s]++];
        }
    }
    free(next);
    free(a->cpu);
    a->cpu = out;
    return 0;
}

static uint32_t unit_of(const topo_t *t, enum cpubind_mode m, uint32_t cpu)
{
    return m == CPUBIND_SOCKETS ? topo_socket_of(t, cpu) : topo_core_of(t, cpu);
}

/* Task k's share.  threads: cpus_per_task CPUs in order (wrapping when
 * tasks outnumber CPUs).  cores and sockets: whole units (each with the
 * allocation's CPUs in it), enough cores for cpus_per_task, one socket. */
static idset_t *task_share(const struct alloc *a, const struct cpubind_req *r,
                           enum cpubind_mode m, uint32_t k)
{
    uint32_t cpt = r->cpus_per_task ? r->cpus_per_task : 1;
    uint32_t *units, nunits = 0, per;
    idset_t *s = idset_create(TOPO_MAX_CPUS * 2);

    if (!s)
        return NULL;
    if (m == CPUBIND_THREADS) {
        for (uint32_t c = 0; c < cpt && c < a->n; c++)
            idset_set(s, a->t->os_index[a->cpu[(k * cpt + c) % a->n]]);
        return s;
    }
    if (!(units = calloc(a->n, sizeof(*units)))) {
        idset_destroy(s);
        return NULL;
    }
    for (uint32_t o = 0; o < a->n; o++) {
        uint32_t u = unit_of(a->t, m, a->cpu[o]), seen = 0;
        for (uint32_t i = 0; i < nunits && !seen; i++)
            seen = units[i] == u;
        if (!seen)
            units[nunits++] = u;
    }
    per = m == CPUBIND_SOCKETS ? 1 : (cpt + a->t->threads_per_core - 1) / a->t->threads_per_core;
    for (uint32_t i = 0; i < per && i < nunits; i++) {
        uint32_t u = units[(k * per + i) % nunits];
        for (uint32_t o = 0; o < a->n; o++)
            if (unit_of(a->t, m, a->cpu[o]) == u)
                idset_set(s, a->t->os_index[a->cpu[o]]);
    }
    free(units);
    return s;
}

/* map_cpu / mask_cpu: the list entry of the task's global rank, which must
 * lie within the job's CPUs here. */
static idset_t *task_listed(const struct alloc *a, const struct cpubind_spec *sp,
                            uint32_t rank, sl_error_t *e)
{
    const idset_t *want = sp->list[rank % sp->nlist];
    idset_t *s;

    for (uint32_t id = idset_first(want); id != IDSET_NONE; id = idset_next(want, id)) {
        if (!idset_test(a->os, id)) {
            char *have = idset_encode(a->os);
            sl_errprintf(e, "--cpu-bind: CPU %u (task %u) is not one of the job's CPUs on "
                            "this node (%s)", id, rank, have ? have : "?");
            free(have);
            return NULL;
        }
    }
    if ((s = idset_copy(want)) == NULL)
        sl_errprintf(e, "out of memory");
    return s;
}

static int plan_tasks(const struct alloc *a, const struct cpubind_req *r,
                      const struct cpubind_spec *sp, struct cpubind_plan *p, sl_error_t *e)
{
    for (uint32_t k = 0; k < p->ntasks; k++) {
        idset_t *s;
        if (sp->mode == CPUBIND_MAP || sp->mode == CPUBIND_MASK)
            s = task_listed(a, sp, r->first_task + k, e);
        else if (sp->mode == CPUBIND_NONE || r->whole)
            s = idset_copy(a->os);
        else
            s = task_share(a, r, sp->mode == CPUBIND_DEFAULT ? CPUBIND_CORES : sp->mode, k);
        if (!s)
            return e->text[0] ? -1 : sl_errprintf(e, "out of memory");
        p->task_os[k] = s;
    }
    return 0;
}

static const char *plan_kind(enum cpubind_mode m)
{
    return m == CPUBIND_NONE ? "NONE" : m == CPUBIND_MAP ? "MAP" : "MASK";
}

int cpubind_plan(const struct cpubind_req *r, struct cpubind_plan *p, sl_error_t *e)
{
    struct cpubind_spec sp;
    struct alloc a = { .t = r->topo };
    topo_t *own = NULL;
    int cyclic, rc = -1;

    memset(p, 0, sizeof(*p));
    if (cpubind_parse(r->cpu_bind, &sp, e) < 0)
        return -1;
    if ((cyclic = cpubind_dist_cyclic(r->distribution, e)) < 0)
        goto out;
    if (!a.t) {
        /* No topology: every CPU its own core, OS index = logical. */
        idset_t *ids = idset_decode(r->cpu_ids ? r->cpu_ids : "", TOPO_MAX_CPUS, NULL, e);
        uint32_t last = ids ? idset_last(ids) : IDSET_NONE;
        idset_destroy(ids);
        if (!ids || !(own = topo_synth(1, last == IDSET_NONE ? 1 : last + 1, 1, e)))
            goto out;
        a.t = own;
    }
    if (alloc_build(&a, r->cpu_ids ? r->cpu_ids : "", e) < 0 ||
        (cyclic && alloc_cyclic(&a, e) < 0))
        goto out;
    p->ntasks = r->whole ? 1 : (r->ntasks ? r->ntasks : 1);
    p->verbose = sp.verbose;
    p->kind = plan_kind(sp.mode);
    if (!(p->task_os = calloc(p->ntasks, sizeof(*p->task_os)))) {
        sl_errprintf(e, "out of memory");
        goto out;
    }
    rc = plan_tasks(&a, r, &sp, p, e);
out:
    if (rc < 0)
        cpubind_plan_free(p);
    alloc_free(&a);
    topo_destroy(own);
    cpubind_spec_free(&sp);
    return rc;
}
