/* fuzz_hostlist.c: host list expressions (hostlist.c).  Promises checked:
 * compressing a list and expanding the result gives the same names (as a
 * set: compression groups by prefix), hostlist_uniq leaves sorted distinct
 * names, and a refused expression leaves the list as it was. */
#include "fuzz.h"
#include "hostlist.h"

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of hl, sorted and without duplicates (malloc'd array of
 * pointers into hl). */
static const char **names_sorted(const hostlist_t *hl, size_t *n)
{
    size_t count = hostlist_count(hl), out = 0;
    const char **v = malloc((count ? count : 1) * sizeof(*v));
    if (!v)
        abort();
    for (size_t i = 0; i < count; i++)
        v[i] = hostlist_nth(hl, i);
    qsort(v, count, sizeof(*v), names_cmp);
    for (size_t i = 0; i < count; i++)
        if (!out || strcmp(v[out - 1], v[i]))
            v[out++] = v[i];
    *n = out;
    return v;
}

static void same_names(const char *expr, const hostlist_t *a, const hostlist_t *b,
                       const char *ranged)
{
    size_t na, nb;
    const char **va = names_sorted(a, &na), **vb = names_sorted(b, &nb);
    FUZZ_CHECK(na == nb, "'%s' -> '%s': %zu names, then %zu", expr, ranged, na, nb);
    for (size_t i = 0; i < na; i++)
        FUZZ_CHECK(strcmp(va[i], vb[i]) == 0, "'%s' -> '%s': '%s' became '%s'", expr, ranged,
                   va[i], vb[i]);
    free(va);
    free(vb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error_t e;
    hostlist_t *hl, *again;
    char *expr, *ranged;
    if (size > 512)
        return 0;
    expr = fuzz_str(data, size);
    if (fuzz_hostlist_size(expr) > 500) {
        free(expr);
        return 0;
    }
    hl = hostlist_create();
    hostlist_push_host(hl, "keep");
    if (hostlist_push(hl, expr, &e) < 0) {
        FUZZ_CHECK(hostlist_count(hl) == 1 && e.text[0], "'%s' refused but changed the list",
                   expr);
        goto out;
    }
    ranged = hostlist_ranged_string(hl);
    FUZZ_CHECK(ranged, "'%s': no ranged string", expr);
    again = hostlist_expand(ranged, &e);
    FUZZ_CHECK(again, "'%s' -> '%s' refused: %s", expr, ranged, e.text);
    same_names(expr, hl, again, ranged);
    hostlist_uniq(again);
    for (size_t i = 1; i < hostlist_count(again); i++)
        FUZZ_CHECK(strcmp(hostlist_nth(again, i - 1), hostlist_nth(again, i)) != 0,
                   "'%s': uniq kept '%s' twice", expr, hostlist_nth(again, i));
    for (size_t i = 0; i < hostlist_count(again); i++)
        FUZZ_CHECK(hostlist_find(hl, hostlist_nth(again, i)) >= 0, "'%s': '%s' not found",
                   expr, hostlist_nth(again, i));
    hostlist_destroy(again);
    free(ranged);
out:
    hostlist_destroy(hl);
    free(expr);
    return 0;
}
