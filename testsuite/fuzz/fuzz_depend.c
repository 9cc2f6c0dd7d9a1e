/* fuzz_depend.c: --dependency expressions (depend.c).  Promises checked:
 * the canonical form parses back to the same items, ids are never 0 except
 * for singleton/sequential, and a task id is a real index (>= 0) or whole. */
#include "depend.h"
#include "fuzz.h"

static void check_items(const char *expr, const struct deplist *d)
{
    FUZZ_CHECK(d->n >= 1 && d->n <= DEPEND_MAX_IDS, "'%s': %zu items", expr, d->n);
    for (size_t i = 0; i < d->n; i++) {
        const struct dep *x = &d->items[i];
        int bare = x->type == DEP_SINGLETON || x->type == DEP_SEQUENTIAL;
        FUZZ_CHECK(x->type <= DEP_SEQUENTIAL, "'%s': type %d", expr, (int)x->type);
        FUZZ_CHECK(bare ? x->job_id == 0 : x->job_id != 0, "'%s': item %zu job id %u", expr,
                   i, x->job_id);
        FUZZ_CHECK(x->task_id == DEPEND_WHOLE || x->task_id >= 0, "'%s': item %zu task %d",
                   expr, i, x->task_id);
        FUZZ_CHECK(x->minutes == 0 || x->type == DEP_AFTER, "'%s': minutes on %s", expr,
                   depend_type_name(x->type));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct deplist d, again;
    sl_error_t e;
    char *expr, *text;
    if (size > 1024)
        return 0;
    expr = fuzz_str(data, size);
    if (depend_parse(expr, &d, &e) < 0) {
        FUZZ_CHECK(d.n == 0 && !d.items && e.text[0], "'%s' refused untidily", expr);
        free(expr);
        return 0;
    }
    check_items(expr, &d);
    text = depend_format(&d);
    FUZZ_CHECK(text, "'%s': format failed", expr);
    FUZZ_CHECK(depend_parse(text, &again, &e) == 0, "'%s' -> '%s' refused: %s", expr, text,
               e.text);
    FUZZ_CHECK(again.n == d.n && (d.n < 2 || again.any == d.any), "'%s' -> '%s'", expr, text);
    for (size_t i = 0; i < d.n; i++)
        FUZZ_CHECK(memcmp(&again.items[i], &d.items[i], sizeof(d.items[i])) == 0,
                   "'%s' -> '%s': item %zu differs", expr, text, i);
    depend_free(&again);
    free(text);
    depend_free(&d);
    free(expr);
    return 0;
}
