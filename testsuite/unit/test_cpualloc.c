/* Unit tests of the CPU and GPU allocator (src/ctld/cpualloc.c): socket
 * packing, whole cores, GPU locality both ways, refusals; then a model-based
 * test: thousands of random allocations and frees on random topologies
 * against per-CPU / per-GPU owners, checking no overlap, exact counts,
 * whole cores, GPU types, the fewest sockets, and that a request is refused
 * exactly when the free units or GPUs do not suffice. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpualloc.h"
#include "model.h"
#include "unit.h"

static char *enc(const idset_t *s)
{
    static char buf[256];
    char *t = idset_encode(s);
    snprintf(buf, sizeof(buf), "%s", t ? t : "?");
    free(t);
    return buf;
}

static idset_t *set_of(const char *expr, uint32_t size)
{
    return *expr ? idset_decode(expr, size, NULL, NULL) : idset_create(size);
}

/* 2 sockets x 2 cores x 2 threads, GPU 0 local to socket 0, GPUs 1-2 to socket 1. */
static topo_t *two_socket(void)
{
    topo_t *t = topo_synth(2, 2, 2, NULL);
    idset_t *s0 = set_of("0-3", 8), *s1 = set_of("4-7", 8);
    topo_add_gpu(t, "h200", "nvidia", "", "0000:01:00.0", 0, s0, NULL);
    topo_add_gpu(t, "h200", "nvidia", "", "0000:02:00.0", 1, s1, NULL);
    topo_add_gpu(t, "a100", "nvidia", "", "0000:03:00.0", 2, s1, NULL);
    idset_destroy(s0);
    idset_destroy(s1);
    return t;
}

static void check_pick(const topo_t *t, const char *used, const char *gused,
                       struct cpualloc_req r, const char *want_cpus, const char *want_gpus)
{
    idset_t *u = set_of(used, t->ncpus), *gu = set_of(gused, t->ngpus), *c = NULL, *g = NULL;
    sl_error_t e = { "" };
    int rc = cpualloc_pick(t, u, gu, &r, &c, &g, &e);
    if (!want_cpus) {
        ck_assert_msg(rc < 0, "expected a refusal, got %s", c ? enc(c) : "");
    } else {
        ck_assert_msg(rc == 0, "refused: %s", e.text);
        ck_assert_str_eq(enc(c), want_cpus);
        ck_assert_str_eq(enc(g), want_gpus);
    }
    idset_destroy(u);
    idset_destroy(gu);
    idset_destroy(c);
    idset_destroy(g);
}

START_TEST(packs_by_socket)
{
    topo_t *t = two_socket();
    check_pick(t, "", "", (struct cpualloc_req){ .cpus = 2 }, "0-1", "");
    check_pick(t, "0", "", (struct cpualloc_req){ .cpus = 2 }, "1-2", "");
    /* socket 0 has 1 free, socket 1 all 4: one socket holds 3 */
    check_pick(t, "0-2", "", (struct cpualloc_req){ .cpus = 3 }, "4-6", "");
    /* 5 CPUs need both sockets: the emptier first, then the other's lowest */
    check_pick(t, "0", "", (struct cpualloc_req){ .cpus = 5 }, "1,4-7", "");
    check_pick(t, "0", "", (struct cpualloc_req){ .cpus = 8 }, NULL, NULL);
    topo_destroy(t);
}
END_TEST

START_TEST(whole_cores)
{
    topo_t *t = two_socket();
    /* thread 0 used: core 0 is not free, cores 1 and 2 are taken whole */
    check_pick(t, "0", "", (struct cpualloc_req){ .cpus = 2, .one_per_core = 1 }, "4-7", "");
    check_pick(t, "0", "", (struct cpualloc_req){ .cpus = 1, .one_per_core = 1 }, "2-3", "");
    check_pick(t, "0,2,4,6", "", (struct cpualloc_req){ .cpus = 1, .one_per_core = 1 }, NULL,
               NULL);
    check_pick(t, "", "", (struct cpualloc_req){ .whole_node = 1 }, "0-7", "");
    check_pick(t, "3", "", (struct cpualloc_req){ .whole_node = 1 }, NULL, NULL);
    topo_destroy(t);
}
END_TEST

START_TEST(gpus_near_cpus)
{
    topo_t *t = two_socket();
    check_pick(t, "", "", (struct cpualloc_req){ .cpus = 1, .gpus = 1 }, "0", "0");
    /* CPUs land on socket 1: its GPUs first, lowest index */
    check_pick(t, "0-3", "", (struct cpualloc_req){ .cpus = 1, .gpus = 1 }, "4", "1");
    check_pick(t, "0-3", "1", (struct cpualloc_req){ .cpus = 1, .gpus = 1 }, "4", "2");
    check_pick(t, "", "", (struct cpualloc_req){ .cpus = 1, .gpus = 1, .gpu_type = "a100" },
               "0", "2");
    check_pick(t, "", "", (struct cpualloc_req){ .cpus = 1, .gpus = 2, .gpu_type = "a100" },
               NULL, NULL);
    check_pick(t, "", "0-2", (struct cpualloc_req){ .cpus = 1, .gpus = 1 }, NULL, NULL);
    topo_destroy(t);
}
END_TEST

START_TEST(cpus_near_gpus)
{
    topo_t *t = two_socket();
    /* GPU 0 busy: the GPU is on socket 1 and so are the CPUs */
    check_pick(t, "", "0", (struct cpualloc_req){ .cpus = 2, .gpus = 1, .gpus_first = 1 },
               "4-5", "1");
    /* more CPUs than the GPU's socket has: the rest elsewhere */
    check_pick(t, "", "0", (struct cpualloc_req){ .cpus = 6, .gpus = 1, .gpus_first = 1 },
               "0-1,4-7", "1");
    /* the GPU whose socket has the most free CPUs */
    check_pick(t, "4-6", "", (struct cpualloc_req){ .cpus = 1, .gpus = 1, .gpus_first = 1 },
               "0", "0");
    topo_destroy(t);
}
END_TEST

START_TEST(gpu_counts_and_resize)
{
    topo_t *t = two_socket();
    idset_t *gu = set_of("1", 3);
    ck_assert_uint_eq(cpualloc_gpus_total(t, NULL), 3);
    ck_assert_uint_eq(cpualloc_gpus_total(t, "h200"), 2);
    ck_assert_uint_eq(cpualloc_gpus_free(t, gu, "h200"), 1);
    ck_assert_uint_eq(cpualloc_gpus_free(t, gu, ""), 2);
    ck_assert_int_eq(cpualloc_set_fit(&gu, 8), 0);
    ck_assert_uint_eq(idset_size(gu), 8);
    ck_assert_str_eq(enc(gu), "1");
    ck_assert_int_eq(cpualloc_set_fit(&gu, 1), 0);
    ck_assert_str_eq(enc(gu), "");
    idset_t *none = NULL;
    ck_assert_int_eq(cpualloc_set_fit(&none, 0), 0);
    ck_assert_uint_eq(idset_size(none), 1);
    idset_destroy(none);
    idset_destroy(gu);
    topo_destroy(t);
}
END_TEST

/* ---- the model ---- */

#define MAX_JOBS 64
static const char *types[] = { "h200", "a100" };

struct mjob {
    int live;
    idset_t *cpus, *gpus;
};

static topo_t *random_topo(struct model *m)
{
    uint32_t s = 1 + model_below(m, 3), k = 1 + model_below(m, 4), th = 1 + model_below(m, 2);
    topo_t *t = topo_synth(s, k, th, NULL);
    uint32_t ng = model_below(m, 5);
    for (uint32_t i = 0; i < ng; i++) {
        uint32_t sock = model_below(m, s), per = k * th;
        idset_t *near = idset_create(t->ncpus);
        for (uint32_t c = sock * per; c < (sock + 1) * per; c++)
            idset_set(near, c);
        topo_add_gpu(t, types[model_below(m, 2)], "nvidia", "", "", (int32_t)i, near, NULL);
        idset_destroy(near);
    }
    return t;
}

/* Reference: free units, and the fewest sockets that hold need of them. */
static uint32_t ref_free_units(const topo_t *t, const int *owner, int per_core, uint32_t sock)
{
    uint32_t step = per_core ? t->threads_per_core : 1, n = 0;
    for (uint32_t k = 0; k < t->ncpus / step; k++) {
        int ok = sock == UINT32_MAX || topo_socket_of(t, k * step) == sock;
        for (uint32_t c = k * step; c < (k + 1) * step; c++)
            ok = ok && owner[c] < 0;
        n += ok;
    }
    return n;
}

static uint32_t ref_min_sockets(const topo_t *t, const int *owner, int per_core, uint32_t need)
{
    uint32_t f[8] = { 0 }, used = 0, have = 0;
    for (uint32_t s = 0; s < t->sockets; s++)
        f[s] = ref_free_units(t, owner, per_core, s);
    while (have < need) {   /* largest first is optimal for a count */
        uint32_t b = 0;
        for (uint32_t s = 1; s < t->sockets; s++)
            if (f[s] > f[b])
                b = s;
        have += f[b];
        f[b] = 0;
        used++;
    }
    return used;
}

static uint32_t sockets_of(const topo_t *t, const idset_t *cpus)
{
    uint32_t seen = 0;
    for (uint32_t c = idset_first(cpus); c != IDSET_NONE; c = idset_next(cpus, c))
        seen |= 1u << topo_socket_of(t, c);
    return (uint32_t)__builtin_popcount(seen);
}

static void model_alloc(struct model *m, const topo_t *t, int *owner, int *gowner,
                        struct mjob *jobs, int slot)
{
    struct cpualloc_req r = { 0 };
    r.one_per_core = model_chance(m, 30);
    r.whole_node = model_chance(m, 5);
    r.cpus = 1 + model_below(m, 4);
    r.gpus = model_chance(m, 50) ? model_below(m, 3) : 0;
    r.gpu_type = model_chance(m, 30) ? types[model_below(m, 2)] : NULL;
    r.gpus_first = r.gpus && model_chance(m, 50);
    idset_t *u = idset_create(t->ncpus), *gu = idset_create(t->ngpus ? t->ngpus : 1);
    uint32_t gfree = 0;
    for (uint32_t c = 0; c < t->ncpus; c++)
        if (owner[c] >= 0)
            idset_set(u, c);
    for (uint32_t g = 0; g < t->ngpus; g++) {
        if (gowner[g] >= 0)
            idset_set(gu, g);
        else
            gfree += !r.gpu_type || !strcmp(t->gpus[g].type, r.gpu_type);
    }
    uint32_t ufree = r.whole_node ? (idset_count(u) ? 0 : 1)
                                  : ref_free_units(t, owner, r.one_per_core, UINT32_MAX);
    int should = (r.whole_node ? ufree == 1 : ufree >= r.cpus) && gfree >= r.gpus;
    idset_t *c = NULL, *g = NULL;
    int rc = cpualloc_pick(t, u, gu, &r, &c, &g, NULL);
    MODEL_CHECK(m, (rc == 0) == should, "pick %s (cpus %u per_core %d whole %d gpus %u)",
                rc == 0 ? "succeeded" : "refused", r.cpus, r.one_per_core, r.whole_node, r.gpus);
    if (rc == 0) {
        uint32_t step = r.one_per_core ? t->threads_per_core : 1;
        uint32_t want = r.whole_node ? t->ncpus : r.cpus * step;
        MODEL_CHECK(m, idset_count(c) == want, "got %u CPUs, want %u", idset_count(c), want);
        MODEL_CHECK(m, idset_count(g) == r.gpus, "got %u GPUs", idset_count(g));
        for (uint32_t x = idset_first(c); x != IDSET_NONE; x = idset_next(c, x)) {
            MODEL_CHECK(m, owner[x] < 0, "CPU %u given twice", x);
            MODEL_CHECK(m, !r.one_per_core || idset_test(c, topo_core_of(t, x) * step),
                        "core of CPU %u not whole", x);
        }
        for (uint32_t x = idset_first(g); x != IDSET_NONE; x = idset_next(g, x)) {
            MODEL_CHECK(m, gowner[x] < 0, "GPU %u given twice", x);
            MODEL_CHECK(m, !r.gpu_type || !strcmp(t->gpus[x].type, r.gpu_type), "GPU type");
        }
        if (!r.whole_node && !r.gpus_first)
            MODEL_CHECK(m, sockets_of(t, c) == ref_min_sockets(t, owner, r.one_per_core, r.cpus),
                        "spread over %u sockets", sockets_of(t, c));
        for (uint32_t x = idset_first(c); x != IDSET_NONE; x = idset_next(c, x))
            owner[x] = slot;
        for (uint32_t x = idset_first(g); x != IDSET_NONE; x = idset_next(g, x))
            gowner[x] = slot;
        jobs[slot] = (struct mjob){ 1, c, g };
    }
    idset_destroy(u);
    idset_destroy(gu);
}

static void model_free(const topo_t *t, int *owner, int *gowner, struct mjob *jb, int slot)
{
    for (uint32_t x = 0; x < t->ncpus; x++)
        if (owner[x] == slot)
            owner[x] = -1;
    for (uint32_t x = 0; x < t->ngpus; x++)
        if (gowner[x] == slot)
            gowner[x] = -1;
    idset_destroy(jb->cpus);
    idset_destroy(jb->gpus);
    memset(jb, 0, sizeof(*jb));
}

START_TEST(model_random)
{
    struct model m;
    model_init(&m);
    for (int round = 0; round < 40; round++) {
        topo_t *t = random_topo(&m);
        int owner[64], gowner[8];
        struct mjob jobs[MAX_JOBS] = { { 0 } };
        memset(owner, -1, sizeof(owner));
        memset(gowner, -1, sizeof(gowner));
        for (int op = 0; op < 200; op++, m.step++) {
            int slot = (int)model_below(&m, MAX_JOBS);
            if (jobs[slot].live)
                model_free(t, owner, gowner, &jobs[slot], slot);
            else
                model_alloc(&m, t, owner, gowner, jobs, slot);
        }
        for (int s = 0; s < MAX_JOBS; s++)
            if (jobs[s].live)
                model_free(t, owner, gowner, &jobs[s], s);
        topo_destroy(t);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpualloc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, packs_by_socket);
    tcase_add_test(tc, whole_cores);
    tcase_add_test(tc, gpus_near_cpus);
    tcase_add_test(tc, cpus_near_gpus);
    tcase_add_test(tc, gpu_counts_and_resize);
    tcase_add_test(tc, model_random);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
