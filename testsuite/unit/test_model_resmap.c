/* Model-based tests of the resource map (src/ctld/resmap.c): random uses
 * and reservations on a few nodes against a list of intervals per node,
 * where usage is summed at every whole second; after every step random
 * fits/reserved questions on every node, the free-times list and rounding
 * must agree with it.  Each node's list passes its 8, 16, ..., 256-entry
 * reallocations. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "resmap.h"
#include "unit.h"

#define NODES 4
#define MAX_USES 400          /* per node */
#define NOW 1000
#define HORIZON (NOW + 300)   /* every finite time is below it */

struct ruse {
    int64_t start, end;
    uint32_t cpus, owner;
    uint64_t mem;
    int reservation;
};

struct rnode {
    uint32_t cpus;
    uint64_t mem;
    struct ruse uses[MAX_USES];
    size_t n;
};

static struct rnode ref[NODES];

static void usage_at(const struct rnode *n, int64_t t, uint64_t *cpus, uint64_t *mem)
{
    *cpus = *mem = 0;
    for (size_t i = 0; i < n->n; i++) {
        if (n->uses[i].start <= t && t < n->uses[i].end) {
            *cpus += n->uses[i].cpus;
            *mem += n->uses[i].mem;
        }
    }
}

/* Usage is constant from the last finite time on: scanning to HORIZON
 * covers an open end. */
static int ref_fits(const struct rnode *n, int64_t start, int64_t end, uint32_t cpus,
                    uint64_t mem)
{
    if (cpus > n->cpus || mem > n->mem)
        return 0;
    for (int64_t t = start; t < end && t <= HORIZON; t++) {
        uint64_t c, m;
        usage_at(n, t, &c, &m);
        if (c + cpus > n->cpus || m + mem > n->mem)
            return 0;
    }
    return 1;
}

static int64_t random_time(struct model *m)
{
    return NOW - 20 + (int64_t)model_below(m, HORIZON - NOW);
}

static int64_t random_end(struct model *m, int64_t start)
{
    if (model_chance(m, 10))
        return RESMAP_FOREVER;
    int64_t end = start + 1 + (int64_t)model_below(m, 80);
    return end < HORIZON ? end : HORIZON;
}

static void op_use(struct model *m, resmap_t *map)
{
    size_t node = model_below(m, NODES);
    struct rnode *n = &ref[node];
    if (n->n == MAX_USES)
        return;
    int64_t start = random_time(m), end = random_end(m, start);
    uint32_t cpus = model_below(m, 5), owner = model_below(m, 1000);
    uint64_t mem = model_below(m, 3000);
    resmap_use(map, node, start, end, cpus, mem, owner);
    n->uses[n->n++] = (struct ruse){ start < NOW ? NOW : start, end, cpus, owner, mem,
                                     start > NOW };
}

static void check_node(struct model *m, const resmap_t *map, size_t node)
{
    const struct rnode *n = &ref[node];
    for (int k = 0; k < 4; k++) {
        int64_t start = NOW + (int64_t)model_below(m, HORIZON - NOW);
        int64_t end = random_end(m, start);
        uint32_t cpus = model_below(m, n->cpus + 2);
        uint64_t mem = model_below(m, (uint32_t)n->mem + 2);
        int want = ref_fits(n, start, end, cpus, mem);
        MODEL_CHECK(m, resmap_fits(map, node, start, end, cpus, mem) == want,
                    "node %zu: fits [%lld, %lld) %u cpus %llu MB: %d, model %d", node,
                    (long long)start, (long long)end, cpus, (unsigned long long)mem, !want,
                    want);
        /* The first reservation, in the order made, that overlaps. */
        const struct ruse *r = NULL;
        for (size_t i = 0; i < n->n && !r; i++)
            if (n->uses[i].reservation && n->uses[i].start < end && start < n->uses[i].end)
                r = &n->uses[i];
        uint32_t owner = UINT32_MAX;
        int64_t at = -1;
        int got = resmap_reserved(map, node, start, end, &owner, &at);
        MODEL_CHECK(m, got == (r != NULL), "node %zu: reserved [%lld, %lld): %d", node,
                    (long long)start, (long long)end, got);
        if (r)
            MODEL_CHECK(m, owner == r->owner && at == r->start,
                        "node %zu: reservation by %u at %lld, model %u at %lld", node, owner,
                        (long long)at, r->owner, (long long)r->start);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void check_times(struct model *m, const resmap_t *map)
{
    static int64_t want[NODES * MAX_USES + 1], got[NODES * MAX_USES + 1];
    size_t n = 0;
    want[n++] = NOW;
    for (size_t k = 0; k < NODES; k++)
        for (size_t i = 0; i < ref[k].n; i++)
            if (ref[k].uses[i].end > NOW && ref[k].uses[i].end != RESMAP_FOREVER)
                want[n++] = ref[k].uses[i].end;
    qsort(want, n, sizeof(*want), cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || want[i] != want[u - 1])
            want[u++] = want[i];
    size_t max = model_chance(m, 50) ? u + 3 : 1 + model_below(m, (uint32_t)u + 1);
    size_t got_n = resmap_times(map, got, max);
    size_t want_n = u < max ? u : max;
    MODEL_CHECK(m, got_n == want_n, "%zu times (max %zu), model %zu", got_n, max, want_n);
    for (size_t i = 0; i < want_n; i++)
        MODEL_CHECK(m, got[i] == want[i], "time %zu is %lld, model %lld", i,
                    (long long)got[i], (long long)want[i]);
}

static void check_round(struct model *m, const resmap_t *map)
{
    int64_t t = model_chance(m, 5) ? RESMAP_FOREVER : random_time(m);
    int64_t res = model_below(m, 70);
    int64_t want = t;
    if (t > NOW && res > 1 && t != RESMAP_FOREVER)
        for (want = NOW; want < t; want += res)
            ;
    MODEL_CHECK(m, resmap_round(map, t, res) == want, "round(%lld, %lld) = %lld, model %lld",
                (long long)t, (long long)res, (long long)resmap_round(map, t, res),
                (long long)want);
}

START_TEST(resmap_model)
{
    struct model m;
    model_init(&m);
    memset(ref, 0, sizeof(ref));
    resmap_t *map = resmap_create(NODES, NOW);
    ck_assert_ptr_nonnull(map);
    for (size_t k = 0; k < NODES; k++) {
        ref[k].cpus = 4 + model_below(&m, 13);
        ref[k].mem = 4000 + model_below(&m, 8000);
        resmap_set_node(map, k, ref[k].cpus, ref[k].mem);
    }
    for (m.step = 0; m.step < 1500; m.step++) {
        uint32_t op = model_below(&m, 100);
        if (op < 85) {
            op_use(&m, map);
        } else {   /* a node's capacity changes (reconfigure) */
            size_t k = model_below(&m, NODES);
            ref[k].cpus = model_below(&m, 20);
            ref[k].mem = model_below(&m, 12000);
            resmap_set_node(map, k, ref[k].cpus, ref[k].mem);
        }
        for (size_t k = 0; k < NODES; k++)
            check_node(&m, map, k);
        check_times(&m, map);
        check_round(&m, map);
    }
    resmap_destroy(map);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: resource map");
    TCase *tc = tcase_create("resmap");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, resmap_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
