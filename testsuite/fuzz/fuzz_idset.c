/* fuzz_idset.c: --array index expressions (idset.c).  The first two bytes
 * give MaxArraySize, the rest is the expression.  Promises checked: every
 * id is below the limit, the count matches the members, encoding and
 * decoding again gives the same set, and first/next/last agree. */
#include "fuzz.h"
#include "idset.h"

static void check_members(const char *expr, const idset_t *s, uint32_t limit)
{
    uint32_t n = 0, prev = IDSET_NONE;
    for (uint32_t id = idset_first(s); id != IDSET_NONE; id = idset_next(s, id)) {
        FUZZ_CHECK(id < limit && idset_test(s, id), "'%s': bad member %u", expr, id);
        FUZZ_CHECK(prev == IDSET_NONE || id > prev, "'%s': %u after %u", expr, id, prev);
        prev = id;
        n++;
    }
    FUZZ_CHECK(n == idset_count(s), "'%s': %u members, count says %u", expr, n,
               idset_count(s));
    FUZZ_CHECK(idset_last(s) == prev, "'%s': last %u, walk ended at %u", expr, idset_last(s),
               prev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t limit, throttle = 7, t2;
    sl_error_t e;
    idset_t *s, *again;
    char *expr, *text;
    if (size < 2 || size > 256)
        return 0;
    limit = 1 + ((uint32_t)data[0] << 8 | data[1]) * 2;   /* 1..131071 */
    expr = fuzz_str(data + 2, size - 2);
    s = idset_decode(expr, limit, &throttle, &e);
    if (!s) {
        FUZZ_CHECK(e.text[0], "'%s' refused without a message", expr);
        free(expr);
        return 0;
    }
    FUZZ_CHECK(idset_count(s) > 0 && idset_size(s) == limit, "'%s': count %u size %u", expr,
               idset_count(s), idset_size(s));
    check_members(expr, s, limit);
    text = idset_encode(s);
    FUZZ_CHECK(text, "'%s': encode failed", expr);
    again = idset_decode(text, limit, &t2, &e);
    FUZZ_CHECK(again, "'%s' -> '%s' refused: %s", expr, text, e.text);
    FUZZ_CHECK(t2 == 0 && idset_count(again) == idset_count(s), "'%s' -> '%s': %u then %u",
               expr, text, idset_count(s), idset_count(again));
    for (uint32_t id = idset_first(s); id != IDSET_NONE; id = idset_next(s, id))
        FUZZ_CHECK(idset_test(again, id), "'%s' -> '%s' lost %u", expr, text, id);
    idset_destroy(again);
    again = idset_copy(s);
    idset_clear(again, idset_first(s));
    FUZZ_CHECK(idset_count(again) + 1 == idset_count(s), "'%s': clear", expr);
    check_members(expr, again, limit);
    idset_destroy(again);
    free(text);
    idset_destroy(s);
    free(expr);
    return 0;
}
