/* Model-based tests of dependency lists (src/common/depend.c): random lists
 * (every type, ids grouped "type:A:B", array tasks including 0 and the
 * largest, leading zeros, +minutes, ',' or '?') are written out by a
 * reference writer, parsed, compared item by item, formatted and parsed
 * again; out-of-range task indices and too many ids must be refused. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "depend.h"
#include "model.h"
#include "unit.h"

struct gen {
    char text[2048];
    size_t len;
    struct dep items[DEPEND_MAX_IDS + 8];
    size_t n;
    int any;
    int bad;     /* the text must be refused */
};

static void put(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g->len += (size_t)vsnprintf(g->text + g->len, sizeof(g->text) - g->len, fmt, ap);
    va_end(ap);
}

/* A number written with 0-2 leading zeros. */
static void put_num(struct model *m, struct gen *g, uint64_t v)
{
    uint32_t zeros = model_chance(m, 15) ? 1 + model_below(m, 2) : 0;
    put(g, "%.*s%llu", (int)zeros, "00", (unsigned long long)v);
}

static uint32_t random_id(struct model *m)
{
    switch (model_below(m, 4)) {
    case 0: return 1 + model_below(m, 9);
    case 1: return UINT32_MAX - model_below(m, 3);
    default: return 1 + model_below(m, 1000000);
    }
}

static void gen_item(struct model *m, struct gen *g)
{
    enum dep_type t = (enum dep_type)model_below(m, DEP_SEQUENTIAL + 1);
    put(g, "%s", depend_type_name(t));
    if (t == DEP_SINGLETON || t == DEP_SEQUENTIAL) {
        g->items[g->n++] = (struct dep){ t, 0, DEPEND_WHOLE, 0 };
        return;
    }
    uint32_t ids = 1 + (model_chance(m, 30) ? model_below(m, 3) : 0);
    for (uint32_t k = 0; k < ids; k++) {
        struct dep d = { t, random_id(m), DEPEND_WHOLE, 0 };
        put(g, ":");
        put_num(m, g, d.job_id);
        if (model_chance(m, 40)) {
            uint64_t task;
            switch (model_below(m, 5)) {
            case 0: task = 0; break;
            case 1: task = INT32_MAX; break;
            case 2: task = (uint64_t)INT32_MAX + 1 + model_below(m, 3); g->bad = 1; break;
            default: task = model_below(m, 100000); break;
            }
            d.task_id = (int32_t)(task <= INT32_MAX ? task : 0);
            put(g, "_");
            put_num(m, g, task);
        }
        if (t == DEP_AFTER && model_chance(m, 30)) {
            d.minutes = 1 + model_below(m, 10000);
            put(g, "+");
            put_num(m, g, d.minutes);
        }
        g->items[g->n++] = d;
    }
}

static void gen_list(struct model *m, struct gen *g)
{
    memset(g, 0, sizeof(*g));
    g->any = model_chance(m, 30);
    uint32_t items = 1 + model_below(m, 8);
    for (uint32_t i = 0; i < items && g->n < DEPEND_MAX_IDS + 4; i++) {
        if (i)
            put(g, "%c", g->any ? '?' : ',');
        gen_item(m, g);
    }
    if (g->n > DEPEND_MAX_IDS)
        g->bad = 1;
    if (items == 1)
        g->any = 0;   /* a lone item ("afterok:1:2") has no separator to tell */
}

static void check_same(struct model *m, const struct deplist *d, const struct gen *g,
                       const char *what)
{
    MODEL_CHECK(m, d->n == g->n, "%s '%s': %zu items, model %zu", what, g->text, d->n, g->n);
    MODEL_CHECK(m, !d->any == !g->any, "%s '%s': any=%d", what, g->text, d->any);
    for (size_t i = 0; i < g->n; i++) {
        const struct dep *x = &d->items[i], *y = &g->items[i];
        MODEL_CHECK(m, x->type == y->type && x->job_id == y->job_id &&
                           x->task_id == y->task_id && x->minutes == y->minutes,
                    "%s '%s': item %zu is %s:%u_%d+%u, model %s:%u_%d+%u", what, g->text, i,
                    depend_type_name(x->type), x->job_id, x->task_id, x->minutes,
                    depend_type_name(y->type), y->job_id, y->task_id, y->minutes);
    }
}

START_TEST(depend_model)
{
    struct model m;
    model_init(&m);
    static struct gen g;
    for (m.step = 0; m.step < 20000; m.step++) {
        gen_list(&m, &g);
        struct deplist d;
        sl_error_t e = { "" };
        int rc = depend_parse(g.text, &d, &e);
        if (g.bad) {
            MODEL_CHECK(&m, rc < 0, "'%s' accepted", g.text);
            MODEL_CHECK(&m, d.items == NULL && d.n == 0, "'%s': refused list not empty",
                        g.text);
            continue;
        }
        MODEL_CHECK(&m, rc == 0, "'%s' refused: %s", g.text, e.text);
        check_same(&m, &d, &g, "parse");
        char *txt = depend_format(&d);
        ck_assert_ptr_nonnull(txt);
        struct deplist again;
        MODEL_CHECK(&m, depend_parse(txt, &again, &e) == 0, "format of '%s' gives '%s': %s",
                    g.text, txt, e.text);
        check_same(&m, &again, &g, "format then parse");
        char *txt2 = depend_format(&again);
        MODEL_CHECK(&m, !strcmp(txt, txt2), "format not stable: '%s' then '%s'", txt, txt2);
        free(txt);
        free(txt2);
        depend_free(&d);
        depend_free(&again);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: dependency lists");
    TCase *tc = tcase_create("depend");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, depend_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
