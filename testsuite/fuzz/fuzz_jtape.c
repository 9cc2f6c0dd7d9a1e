/* fuzz_jtape.c: the in-place JSON reader squeue uses for large replies
 * (jtape.c), against jansson, and the JSON writer the controller uses for
 * them (jsonw.c).  First byte 0 mod 2: the rest is JSON text.  Promises
 * checked: whatever jansson reads (no duplicate keys, nesting within
 * jtape's 64 levels), jtape reads too, to the same value; jtape_get finds
 * each key of the top object.  Else the rest is one string for jsonw_str:
 * its output is JSON that jansson reads back, to the same string when the
 * input was UTF-8. */
#include <math.h>

#include "fuzz.h"
#include "jsonw.h"
#include "jtape.h"

/* The jansson value of the token at i. */
static json_t *tape_value(const struct jtape *tp, size_t i)
{
    const struct jt_tok *t = &tp->t[i];
    json_t *v;
    switch (t->type) {
    case JT_NULL: return json_null();
    case JT_TRUE: return json_true();
    case JT_FALSE: return json_false();
    case JT_INT: return json_integer(t->v.i);
    case JT_REAL: return json_real(t->v.d);
    case JT_STR: return json_stringn_nocheck(t->v.s, t->n);
    case JT_ARR:
        v = json_array();
        for (size_t k = i + 1; k < t->next; k = tp->t[k].next)
            json_array_append_new(v, tape_value(tp, k));
        return v;
    default:
        v = json_object();
        for (size_t k = i + 1; k < t->next; k = tp->t[k + 1].next)
            json_object_setn_new_nocheck(v, tp->t[k].v.s, tp->t[k].n, tape_value(tp, k + 1));
        return v;
    }
}

static size_t depth_of(const json_t *v)
{
    size_t d = 0, i;
    const char *k;
    json_t *m;
    if (json_is_array(v))
        json_array_foreach(v, i, m) {
            size_t x = depth_of(m);
            d = x > d ? x : d;
        }
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, m) {
            size_t x = depth_of(m);
            d = x > d ? x : d;
        }
    return d + (json_is_array(v) || json_is_object(v));
}

/* jansson and jtape may read one real a last bit apart; the values are
 * otherwise equal. */
static int same(const json_t *a, const json_t *b)
{
    size_t i;
    const char *k;
    json_t *m;
    if (json_is_real(a) && json_is_real(b)) {
        double x = json_real_value(a), y = json_real_value(b);
        return x == y || fabs(x - y) <= 1e-15 * fabs(x);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        json_array_foreach(a, i, m)
            if (!same(m, json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, m)
            if (!same(m, json_object_get(b, k)))
                return 0;
        return 1;
    }
    return json_equal(a, b);
}

static void reader(const uint8_t *data, size_t size)
{
    json_t *ref = json_loadb((const char *)data, size,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    struct jtape tp = { 0 };
    sl_error_t e;
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    if (jtape_parse(&tp, text, size, &e) < 0) {
        /* jansson also stops at a NUL byte as if the text ended there. */
        FUZZ_CHECK(!ref || depth_of(ref) > 64 || memchr(data, 0, size),
                   "jansson reads what jtape refuses: %s", e.text);
        FUZZ_CHECK(e.text[0], "refused without a message");
    } else if (ref && !memchr(data, 0, size)) {
        json_t *got = tape_value(&tp, 0);
        FUZZ_CHECK(tp.t[0].next == tp.n, "top value ends at %u of %zu", tp.t[0].next, tp.n);
        FUZZ_CHECK(same(ref, got), "jtape and jansson differ");
        if (json_is_object(ref)) {
            const char *k;
            size_t klen;
            json_t *m;
            json_object_keylen_foreach(ref, k, klen, m) {
                size_t at = jtape_get(&tp, 0, k);
                if (klen != strlen(k))
                    continue;   /* a key holding \u0000: no C string names it */
                FUZZ_CHECK(at != JT_NONE, "key '%s' not found", k);
                json_t *v = tape_value(&tp, at);
                FUZZ_CHECK(same(m, v), "key '%s' has another value", k);
                json_decref(v);
            }
        }
        json_decref(got);
    }
    json_decref(ref);
    jtape_free(&tp);
}

static void writer(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    struct jsonw w;
    json_t *back, *direct = json_string(s);
    jsonw_init(&w);
    jsonw_str(&w, s);
    back = json_loadb(w.buf, w.len, JSON_DECODE_ANY, NULL);
    FUZZ_CHECK(json_is_string(back), "jsonw_str wrote what jansson cannot read: %.*s",
               (int)w.len, w.buf);
    if (direct)
        FUZZ_CHECK(json_equal(back, direct), "'%s' changed on the way", s);
    json_decref(direct);
    json_decref(back);
    jsonw_free(&w);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    if (data[0] % 2)
        writer(data + 1, size - 1);
    else
        reader(data + 1, size - 1);
    return 0;
}
