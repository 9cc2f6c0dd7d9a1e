/* Model-based tests of host lists (src/common/hostlist.c): random pushes
 * (single names and bracket expressions), finds and uniq against an array
 * of strings; after every step the list must equal the array, and its
 * ranged string must expand back to the same names (as a multiset: it
 * groups names by prefix and suffix).  The list grows past its 16, 32, ...,
 * 2048-slot reallocations, then starts again. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostlist.h"
#include "model.h"
#include "unit.h"

#define MAX_NAMES 3000

static const char *prefixes[] = { "n", "gpu", "r1n", "a-b", "", "x9y" };
static const char *suffixes[] = { "", "-ib", "z" };
static const char *plain[] = { "login", "head", "db-a" };

struct ref {
    char *names[MAX_NAMES];
    size_t n;
    int unique;     /* sorted and unique since the last uniq */
};

static void ref_push(struct ref *r, const char *name)
{
    r->names[r->n++] = strdup(name);
    r->unique = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name: prefix, number of some width (zero padded), suffix. */
static void make_name(struct model *m, char *buf, size_t len, int *pre, int *suf,
                      uint32_t *num, int *width)
{
    *pre = (int)model_below(m, sizeof(prefixes) / sizeof(prefixes[0]));
    *suf = (int)model_below(m, sizeof(suffixes) / sizeof(suffixes[0]));
    *width = 1 + (int)model_below(m, 3);
    *num = model_below(m, 1200);
    snprintf(buf, len, "%s%0*u%s", prefixes[*pre], *width, *num, suffixes[*suf]);
}

static void op_push_host(struct model *m, hostlist_t *hl, struct ref *r)
{
    char name[64];
    int pre, suf, width;
    uint32_t num;
    if (model_chance(m, 10))
        snprintf(name, sizeof(name), "%s", plain[model_below(m, 3)]);
    else
        make_name(m, name, sizeof(name), &pre, &suf, &num, &width);
    ck_assert_int_eq(hostlist_push_host(hl, name), 0);
    ref_push(r, name);
}

/* "p[lo-hi,k]s,login": the names it means go into the model. */
static void op_push_expr(struct model *m, hostlist_t *hl, struct ref *r)
{
    char expr[256], name[64];
    int pre, suf, width;
    uint32_t lo;
    make_name(m, name, sizeof(name), &pre, &suf, &lo, &width);
    uint32_t hi = lo + model_below(m, 40), extra = model_below(m, 1300);
    if (r->n + (hi - lo) + 3 >= MAX_NAMES)
        return;
    int with_plain = model_chance(m, 30);
    snprintf(expr, sizeof(expr), "%s[%0*u-%0*u,%0*u]%s%s%s", prefixes[pre], width, lo, width,
             hi, width, extra, suffixes[suf], with_plain ? "," : "",
             with_plain ? plain[0] : "");
    sl_error_t e = { "" };
    MODEL_CHECK(m, hostlist_push(hl, expr, &e) == 0, "push('%s'): %s", expr, e.text);
    for (uint32_t v = lo; v <= hi; v++) {
        snprintf(name, sizeof(name), "%s%0*u%s", prefixes[pre], width, v, suffixes[suf]);
        ref_push(r, name);
    }
    snprintf(name, sizeof(name), "%s%0*u%s", prefixes[pre], width, extra, suffixes[suf]);
    ref_push(r, name);
    if (with_plain)
        ref_push(r, plain[0]);
}

static void op_uniq(struct model *m, hostlist_t *hl, struct ref *r)
{
    hostlist_uniq(hl);
    qsort(r->names, r->n, sizeof(char *), cmp_str);
    size_t out = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (out && !strcmp(r->names[out - 1], r->names[i]))
            free(r->names[i]);
        else
            r->names[out++] = r->names[i];
    }
    r->n = out;
    MODEL_CHECK(m, hostlist_count(hl) == r->n, "uniq left %zu names, model %zu",
                hostlist_count(hl), r->n);
    /* The model keeps the list's (natural) order, once it holds the same set. */
    char **got = malloc((r->n ? r->n : 1) * sizeof(char *));
    for (size_t i = 0; i < r->n; i++)
        got[i] = (char *)hostlist_nth(hl, i);
    qsort(got, r->n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < r->n; i++)
        MODEL_CHECK(m, !strcmp(got[i], r->names[i]), "uniq: '%s' where the model has '%s'",
                    got[i], r->names[i]);
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        r->names[i] = strdup(hostlist_nth(hl, i));
    }
    free(got);
    r->unique = 1;
}

static void op_find(struct model *m, hostlist_t *hl, struct ref *r)
{
    char name[64];
    int pre, suf, width;
    uint32_t num;
    if (r->n && model_chance(m, 50))
        snprintf(name, sizeof(name), "%s", r->names[model_below(m, (uint32_t)r->n)]);
    else
        make_name(m, name, sizeof(name), &pre, &suf, &num, &width);
    long want = -1;
    for (size_t i = 0; i < r->n && want < 0; i++)
        if (!strcmp(r->names[i], name))
            want = (long)i;
    MODEL_CHECK(m, hostlist_find(hl, name) == want, "find('%s') = %ld, model %ld", name,
                hostlist_find(hl, name), want);
}

/* The ranged string names the same hosts. */
static void check_ranged(struct model *m, const hostlist_t *hl, const struct ref *r)
{
    char *s = hostlist_ranged_string(hl);
    ck_assert_ptr_nonnull(s);
    sl_error_t e = { "" };
    hostlist_t *back = hostlist_expand(s, &e);
    MODEL_CHECK(m, back != NULL, "ranged string '%.200s' does not expand: %s", s, e.text);
    size_t n = hostlist_count(back);
    MODEL_CHECK(m, n == r->n, "ranged string '%.200s' has %zu names, model %zu", s, n, r->n);
    char **a = malloc((n ? n : 1) * sizeof(char *)), **b = malloc((n ? n : 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        a[i] = (char *)hostlist_nth(back, i);
        b[i] = r->names[i];
    }
    qsort(a, n, sizeof(char *), cmp_str);
    qsort(b, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++)
        MODEL_CHECK(m, !strcmp(a[i], b[i]), "ranged string '%.200s': '%s' where model has '%s'",
                    s, a[i], b[i]);
    free(a);
    free(b);
    hostlist_destroy(back);
    free(s);
}

static void check_list(struct model *m, const hostlist_t *hl, const struct ref *r)
{
    MODEL_CHECK(m, hostlist_count(hl) == r->n, "count %zu, model %zu", hostlist_count(hl), r->n);
    for (size_t i = 0; i < r->n; i++)
        MODEL_CHECK(m, !strcmp(hostlist_nth(hl, i), r->names[i]), "nth(%zu) '%s', model '%s'",
                    i, hostlist_nth(hl, i), r->names[i]);
    MODEL_CHECK(m, hostlist_nth(hl, r->n) == NULL, "nth past the end is not NULL");
}

START_TEST(hostlist_model)
{
    struct model m;
    model_init(&m);
    struct ref *r = calloc(1, sizeof(*r));
    hostlist_t *hl = hostlist_create();
    ck_assert_ptr_nonnull(hl);
    for (m.step = 0; m.step < 2500; m.step++) {
        uint32_t op = model_below(&m, 100);
        if (op < 45)
            op_push_host(&m, hl, r);
        else if (op < 70)
            op_push_expr(&m, hl, r);
        else if (op < 95)
            op_find(&m, hl, r);
        else
            op_uniq(&m, hl, r);
        check_list(&m, hl, r);
        /* The round trip expands the whole list: every step while it is
         * short, then every 8th (ASan's allocator makes it the cost). */
        if (r->n <= 256 || m.step % 8 == 0)
            check_ranged(&m, hl, r);
        if (r->n > MAX_NAMES - 100) {   /* start again: growth from empty */
            hostlist_destroy(hl);
            hl = hostlist_create();
            for (size_t i = 0; i < r->n; i++)
                free(r->names[i]);
            r->n = 0;
            r->unique = 0;
        }
    }
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i]);
    hostlist_destroy(hl);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: host lists");
    TCase *tc = tcase_create("hostlist");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, hostlist_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
