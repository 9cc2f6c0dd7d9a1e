/* Tests of step placement (src/ctld/steplace.c): Slurm's cases by hand,
 * then a model: random steps created and ended on random allocations, each
 * answer checked against a reference that says, by counting, whether any
 * placement exists on the whole allocation (else EINVAL) and on what the
 * running steps leave free (else EAGAIN), and every placement checked for
 * what the request asked. */
#include <check.h>
#include <string.h>
#include "model.h"
#include "steplace.h"
#include "unit.h"

#define MAXN 6

struct alloc {
    size_t n;
    uint32_t cpus[MAXN], used[MAXN];
    uint64_t mem[MAXN], umem[MAXN];
};

static enum steplace_rc place(struct alloc *a, struct steplace_req *r, uint32_t *t)
{
    struct steplace_alloc sa = { a->n, a->cpus, a->mem, a->used, a->umem };
    const char *why = NULL;
    enum steplace_rc rc = steplace(&sa, r, t, &why);
    ck_assert(rc == STEPLACE_OK || why);
    return rc;
}

static struct alloc two_by_two(void)
{
    struct alloc a = { 2, { 2, 2 }, { 0 }, { 0 }, { 0 } };
    return a;
}

START_TEST(slurm_cases)
{
    struct alloc a = two_by_two();
    uint32_t t[MAXN];
    struct steplace_req r = { .ntasks = 3 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);    /* fewest nodes, block */
    ck_assert(t[0] == 2 && t[1] == 1);
    r = (struct steplace_req){ .ntasks = 2 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 2 && t[1] == 0);
    r = (struct steplace_req){ .ntasks = 2, .nnodes = 2 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);    /* -N2 -n2: one each */
    ck_assert(t[0] == 1 && t[1] == 1);
    r = (struct steplace_req){ 0 };                      /* srun alone: one per node */
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 1 && t[1] == 1);
    r = (struct steplace_req){ .ntasks_per_node = 2 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 2 && t[1] == 2);
    r = (struct steplace_req){ .nnodes = 3 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_NEVER);
    r = (struct steplace_req){ .ntasks = 5 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_NEVER);
    r = (struct steplace_req){ .cpus_per_task = 3 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_NEVER);
    /* -w n2 -n1 runs on n2; -x n1 avoids n1. */
    unsigned char w[MAXN] = { 0, 1 }, x[MAXN] = { 1, 0 };
    r = (struct steplace_req){ .ntasks = 1, .want = w };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 0 && t[1] == 1);
    r = (struct steplace_req){ .ntasks = 1, .avoid = x };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 0 && t[1] == 1);
    r = (struct steplace_req){ .ntasks = 3, .avoid = x };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_NEVER);
    /* Busy CPUs: EAGAIN, unless the step overlaps. */
    a.used[0] = 2;
    a.used[1] = 1;
    r = (struct steplace_req){ .ntasks = 2 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_BUSY);
    r.overlap = 1;
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    r = (struct steplace_req){ .ntasks = 1 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 0 && t[1] == 1);
    /* Memory: more than the job holds is EINVAL, more than is free EAGAIN. */
    a = two_by_two();
    a.mem[0] = a.mem[1] = 1000;
    r = (struct steplace_req){ .ntasks = 1, .mem_mb = 2000 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_NEVER);
    a.umem[0] = a.umem[1] = 600;
    r = (struct steplace_req){ .ntasks = 1, .mem_mb = 500 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_BUSY);
    /* -N2 -n3 on nodes of 2 and 1 free CPUs: the node with room runs 2. */
    a = two_by_two();
    a.used[0] = 1;
    r = (struct steplace_req){ .ntasks = 3, .nnodes = 2 };
    ck_assert_int_eq(place(&a, &r, t), STEPLACE_OK);
    ck_assert(t[0] == 1 && t[1] == 2);
}
END_TEST

/* ---- the model */

static uint32_t cap_of(const struct steplace_req *r, uint32_t cpus, uint64_t mem_left,
                       int mem_counted)
{
    uint32_t cpt = r->cpus_per_task ? r->cpus_per_task : 1, m = cpus / cpt;
    if (r->mem_mb && mem_counted && r->mem_mb > mem_left)
        return 0;
    return r->ntasks_per_node && m > r->ntasks_per_node ? r->ntasks_per_node : m;
}

/* The task and node counts the request comes to (as steplace.h says). */
static int counts(const struct alloc *a, const struct steplace_req *r, uint32_t *n,
                  uint32_t *N, uint32_t *nw, uint32_t *nc)
{
    *nw = *nc = 0;
    for (size_t i = 0; i < a->n; i++) {
        int w = r->want && r->want[i], x = r->avoid && r->avoid[i];
        if (w && x)
            return -1;
        *nw += (uint32_t)w;
        *nc += (uint32_t)!x;
    }
    *N = r->nnodes ? r->nnodes : r->ntasks ? 0 : *nw ? *nw : *nc;
    *n = r->ntasks ? r->ntasks : *N * (r->ntasks_per_node ? r->ntasks_per_node : 1);
    if (!*n || *n < *nw || (*N && (*N < *nw || *N > *nc)))
        return -1;
    if (*N > *n)
        *N = *n;
    return 0;
}

/* Does any placement exist with these capacities? */
static int feasible(const struct alloc *a, const struct steplace_req *r, int free_only)
{
    uint32_t n, N, nw, nc, cap[MAXN];
    if (counts(a, r, &n, &N, &nw, &nc) < 0)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        uint32_t cpus = a->cpus[i] - (free_only && !r->overlap ? a->used[i] : 0);
        uint64_t ml = a->mem[i] - (free_only && !r->overlap ? a->umem[i] : 0);
        cap[i] = r->avoid && r->avoid[i] ? 0 : cap_of(r, cpus, ml, a->mem[i] > 0);
    }
    if (!N) {     /* -n only: every named node runs one, the rest anywhere */
        uint64_t sum = 0;
        for (size_t i = 0; i < a->n; i++) {
            if (r->want && r->want[i] && cap[i] < 1)
                return 0;
            sum += cap[i];
        }
        return sum >= n;
    }
    uint32_t base = n / N, extra = n % N, inB = 0, plusW = 0, plusO = 0;
    for (size_t i = 0; i < a->n; i++) {
        int w = r->want && r->want[i];
        if (w && cap[i] < base)
            return 0;
        if (r->avoid && r->avoid[i])
            continue;
        inB += cap[i] >= base;
        if (cap[i] > base)
            *(w ? &plusW : &plusO) += 1;
    }
    uint32_t room = N - nw;
    return inB >= N && plusW + (plusO < room ? plusO : room) >= extra;
}

static void check_placement(struct model *m, const struct alloc *a,
                            const struct steplace_req *r, const uint32_t *t)
{
    uint32_t n, N, nw, nc, sum = 0, used = 0, lo = UINT32_MAX, hi = 0;
    uint32_t cpt = r->cpus_per_task ? r->cpus_per_task : 1;
    MODEL_CHECK(m, counts(a, r, &n, &N, &nw, &nc) == 0, "placed a request with bad counts");
    for (size_t i = 0; i < a->n; i++) {
        uint32_t free_c = a->cpus[i] - (r->overlap ? 0 : a->used[i]);
        sum += t[i];
        if (!t[i]) {
            MODEL_CHECK(m, !(r->want && r->want[i]), "node %zu named by -w got no task", i);
            continue;
        }
        used++;
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
        MODEL_CHECK(m, !(r->avoid && r->avoid[i]), "node %zu excluded but used", i);
        MODEL_CHECK(m, t[i] * cpt <= free_c, "node %zu: %u tasks x %u CPUs over %u free", i,
                    t[i], cpt, free_c);
        MODEL_CHECK(m, !r->ntasks_per_node || t[i] <= r->ntasks_per_node, "over tasks/node");
        if (r->mem_mb && a->mem[i])
            MODEL_CHECK(m, r->mem_mb <= a->mem[i] - (r->overlap ? 0 : a->umem[i]),
                        "node %zu: memory over what is free", i);
    }
    MODEL_CHECK(m, sum == n, "%u tasks placed, %u asked", sum, n);
    if (N) {
        MODEL_CHECK(m, used == N, "%u nodes used, %u asked", used, N);
        MODEL_CHECK(m, hi - lo <= 1, "uneven spread %u..%u", lo, hi);
    }
}

struct mstep {
    uint32_t t[MAXN], cpt;
    uint64_t mem;
    int overlap;
};

static void random_req(struct model *m, const struct alloc *a, struct steplace_req *r,
                       unsigned char *w, unsigned char *x)
{
    memset(r, 0, sizeof(*r));
    memset(w, 0, MAXN);
    memset(x, 0, MAXN);
    r->ntasks = model_chance(m, 70) ? 1 + model_below(m, 10) : 0;
    r->nnodes = model_chance(m, 40) ? 1 + model_below(m, (uint32_t)a->n + 1) : 0;
    r->ntasks_per_node = model_chance(m, 20) ? 1 + model_below(m, 4) : 0;
    r->cpus_per_task = model_chance(m, 40) ? 1 + model_below(m, 4) : 0;
    r->mem_mb = model_chance(m, 25) ? 100 * model_below(m, 20) : 0;
    r->overlap = model_chance(m, 15);
    for (size_t i = 0; i < a->n; i++) {
        w[i] = model_chance(m, 12);
        x[i] = model_chance(m, 12);
    }
    r->want = model_chance(m, 30) ? w : NULL;
    r->avoid = model_chance(m, 30) ? x : NULL;
}

START_TEST(placement_model)
{
    struct model m;
    model_init(&m);
    for (int round = 0; round < 60; round++) {
        struct alloc a;
        memset(&a, 0, sizeof(a));
        a.n = 1 + model_below(&m, MAXN);
        struct mstep steps[64];
        size_t nsteps = 0;
        for (size_t i = 0; i < a.n; i++) {
            a.cpus[i] = 1 + model_below(&m, 8);
            a.mem[i] = model_chance(&m, 50) ? 500 * (1 + model_below(&m, 4)) : 0;
        }
        for (int k = 0; k < 150; k++, m.step++) {
            if (nsteps && (model_chance(&m, 35) || nsteps == 64)) {   /* a step ends */
                size_t v = model_below(&m, (uint32_t)nsteps);
                for (size_t i = 0; !steps[v].overlap && i < a.n; i++) {
                    a.used[i] -= steps[v].t[i] * steps[v].cpt;
                    a.umem[i] -= steps[v].t[i] ? steps[v].mem : 0;
                }
                steps[v] = steps[--nsteps];
                continue;
            }
            struct steplace_req r;
            unsigned char w[MAXN], x[MAXN];
            uint32_t t[MAXN];
            random_req(&m, &a, &r, w, x);
            enum steplace_rc rc = place(&a, &r, t), want = !feasible(&a, &r, 0)
                                                              ? STEPLACE_NEVER
                                                          : !feasible(&a, &r, 1)
                                                              ? STEPLACE_BUSY
                                                              : STEPLACE_OK;
            MODEL_CHECK(&m, rc == want, "steplace said %d, the reference %d", rc, want);
            if (rc != STEPLACE_OK)
                continue;
            check_placement(&m, &a, &r, t);
            struct mstep *s = &steps[nsteps++];
            memcpy(s->t, t, sizeof(t));
            s->cpt = r.cpus_per_task ? r.cpus_per_task : 1;
            s->mem = r.mem_mb;
            s->overlap = r.overlap;
            for (size_t i = 0; !s->overlap && i < a.n; i++) {
                a.used[i] += t[i] * s->cpt;
                a.umem[i] += t[i] ? s->mem : 0;
            }
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("steplace");
    TCase *tc = tcase_create("steplace");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, slurm_cases);
    tcase_add_test(tc, placement_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
