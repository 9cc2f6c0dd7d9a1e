/* Model-based tests of id sets (src/common/idset.c), the array task bitmaps,
 * and of the task lists the commands read back (jobarray_each): random
 * set/clear/copy against a byte per id, with membership, count, first,
 * last, iteration and the encode -> decode / jobarray_each round trips
 * checked after every step, at sizes around each 64-bit word boundary. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "idset.h"
#include "jobarray.h"
#include "model.h"
#include "unit.h"

static const uint32_t sizes[] = { 1, 2, 63, 64, 65, 127, 128, 129, 1000, 4097 };

struct ref {
    uint32_t size;
    unsigned char *in;
};

static uint32_t ref_count(const struct ref *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->size; i++)
        n += r->in[i];
    return n;
}

struct each_state {
    const struct ref *r;
    uint32_t prev;
    int first;
    uint32_t n;
    int bad;
};

static int each_check(uint32_t idx, void *arg)
{
    struct each_state *st = arg;
    if (idx >= st->r->size || !st->r->in[idx] || (!st->first && idx <= st->prev))
        st->bad = 1;
    st->first = 0;
    st->prev = idx;
    st->n++;
    return 0;
}

static void check_set(struct model *m, const idset_t *s, const struct ref *r)
{
    uint32_t want = ref_count(r);
    MODEL_CHECK(m, idset_size(s) == r->size, "size %u, model %u", idset_size(s), r->size);
    MODEL_CHECK(m, idset_count(s) == want, "count %u, model %u", idset_count(s), want);
    for (uint32_t i = 0; i < r->size + 130; i++) {
        int in = i < r->size && r->in[i];
        MODEL_CHECK(m, !idset_test(s, i) == !in, "test(%u) = %d, model %d", i,
                    idset_test(s, i), in);
    }
    MODEL_CHECK(m, idset_test(s, IDSET_NONE) == 0, "test(IDSET_NONE) is set");
    /* Iteration visits exactly the members, ascending. */
    uint32_t n = 0, last = IDSET_NONE;
    for (uint32_t i = idset_first(s); i != IDSET_NONE; i = idset_next(s, i)) {
        MODEL_CHECK(m, i < r->size && r->in[i], "iteration yields %u, not a member", i);
        MODEL_CHECK(m, last == IDSET_NONE || i > last, "iteration not ascending at %u", i);
        MODEL_CHECK(m, n <= want, "iteration yields more than %u ids", want);
        last = i;
        n++;
    }
    MODEL_CHECK(m, n == want, "iteration yields %u ids, model %u", n, want);
    MODEL_CHECK(m, idset_last(s) == last, "last %u, iteration ends at %u", idset_last(s), last);
    /* Text form: decodes to the same set; jobarray_each reads it too. */
    char *txt = idset_encode(s);
    ck_assert_ptr_nonnull(txt);
    struct each_state st = { r, 0, 1, 0, 0 };
    sl_error_t e = { "" };
    MODEL_CHECK(m, jobarray_each(txt, each_check, &st, &e) == 0, "jobarray_each('%s'): %s",
                txt, e.text);
    MODEL_CHECK(m, !st.bad && st.n == want, "jobarray_each('%s') saw %u ids, model %u%s", txt,
                st.n, want, st.bad ? ", some wrong" : "");
    if (want) {
        uint32_t throttle = 99;
        idset_t *back = idset_decode(txt, r->size, &throttle, &e);
        MODEL_CHECK(m, back != NULL, "decode('%s'): %s", txt, e.text);
        MODEL_CHECK(m, throttle == 0, "decode('%s') set a throttle", txt);
        for (uint32_t i = 0; i < r->size; i++)
            MODEL_CHECK(m, !idset_test(back, i) == !r->in[i], "'%s' decodes %u wrongly", txt, i);
        MODEL_CHECK(m, idset_count(back) == want, "'%s' decodes to %u ids", txt,
                    idset_count(back));
        idset_destroy(back);
    } else {
        MODEL_CHECK(m, txt[0] == '\0', "empty set encodes as '%s'", txt);
    }
    free(txt);
}

/* A random expression "A,B-C,D-E:S%T" and the set it means. */
static void check_decode(struct model *m, uint32_t size)
{
    char expr[512];
    size_t len = 0;
    unsigned char *want = calloc(size, 1);
    ck_assert_ptr_nonnull(want);
    uint32_t items = 1 + model_below(m, 5), throttle = 0;
    for (uint32_t k = 0; k < items; k++) {
        uint32_t lo = model_below(m, size), hi = lo + model_below(m, size - lo), step = 1;
        int kind = (int)model_below(m, 3);
        if (kind == 0)
            hi = lo;
        else if (kind == 2)
            step = 1 + model_below(m, 9);
        for (uint64_t i = lo; i <= hi; i += step)
            want[i] = 1;
        len += (size_t)snprintf(expr + len, sizeof(expr) - len, "%s%u", k ? "," : "", lo);
        if (kind)
            len += (size_t)snprintf(expr + len, sizeof(expr) - len, "-%u", hi);
        if (kind == 2)
            len += (size_t)snprintf(expr + len, sizeof(expr) - len, ":%u", step);
    }
    if (model_chance(m, 30)) {
        throttle = 1 + model_below(m, 100);
        snprintf(expr + len, sizeof(expr) - len, "%%%u", throttle);
    }
    uint32_t got_throttle = 0;
    sl_error_t e = { "" };
    idset_t *s = idset_decode(expr, size, &got_throttle, &e);
    MODEL_CHECK(m, s != NULL, "decode('%s', %u): %s", expr, size, e.text);
    MODEL_CHECK(m, got_throttle == throttle, "'%s': throttle %u", expr, got_throttle);
    for (uint32_t i = 0; i < size; i++)
        MODEL_CHECK(m, !idset_test(s, i) == !want[i], "'%s': id %u wrong", expr, i);
    idset_destroy(s);
    /* One past the limit is refused. */
    snprintf(expr, sizeof(expr), "%u", size);
    MODEL_CHECK(m, idset_decode(expr, size, NULL, &e) == NULL, "'%s' accepted below %u", expr,
                size);
    free(want);
}

static void run_size(struct model *m, uint32_t size, long steps)
{
    struct ref r = { size, calloc(size, 1) };
    ck_assert_ptr_nonnull(r.in);
    idset_t *s = idset_create(size);
    ck_assert_ptr_nonnull(s);
    for (long i = 0; i < steps; i++, m->step++) {
        uint32_t id = model_below(m, size + 2);   /* sometimes past the end: ignored */
        uint32_t op = model_below(m, 100);
        /* Fill or drain in bursts so that full and empty sets both occur. */
        int fill = (i / (steps / 4 + 1)) % 2 == 0;
        if (op < (fill ? 60u : 25u)) {
            idset_set(s, id);
            if (id < size)
                r.in[id] = 1;
        } else if (op < 90) {
            idset_clear(s, id);
            if (id < size)
                r.in[id] = 0;
        } else if (op < 95) {
            idset_t *c = idset_copy(s);    /* continue on the copy */
            ck_assert_ptr_nonnull(c);
            idset_destroy(s);
            s = c;
        } else {
            check_decode(m, size);
        }
        check_set(m, s, &r);
    }
    idset_destroy(s);
    free(r.in);
}

START_TEST(idset_model)
{
    struct model m;
    model_init(&m);
    uint32_t size = sizes[_i];
    run_size(&m, size, size > 1000 ? 1500 : 3000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: id sets");
    TCase *tc = tcase_create("idset");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, idset_model, 0, (int)(sizeof(sizes) / sizeof(sizes[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
