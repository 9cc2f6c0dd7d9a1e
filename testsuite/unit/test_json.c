/* Unit tests: JSON text written by jsonw (job_list's rows) and read back by
 * jtape (squeue's reader), checked against jansson both ways: odd strings
 * (quotes, backslashes, control characters, UTF-8, invalid bytes),
 * numbers, nesting, empty containers, and malformed text refused. */
#define _GNU_SOURCE
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "jtape.h"
#include "unit.h"

static const char *const odd[] = {
    "", "plain", "with \"quotes\"", "back\\slash", "tab\there", "new\nline\r\n",
    "\x01\x02\x1f bell\a", "slash / solidus", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "a,b;c|d\x1f" "e", "[1,2]{\"k\":null}", "\x7f del",
};

/* Text for one string value, NUL-terminated. */
static char *write_str(const char *s, size_t *len)
{
    struct jsonw w;
    jsonw_init(&w);
    jsonw_str(&w, s);
    jsonw_char(&w, '\0');
    ck_assert(!w.oom);
    *len = w.len - 1;
    return w.buf;
}

START_TEST(strings_roundtrip_jansson)
{
    size_t len;
    char *text = write_str(odd[_i], &len);
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &je);
    ck_assert_msg(v != NULL, "jansson refused %s: %s", text, je.text);
    ck_assert_str_eq(json_string_value(v), odd[_i]);
    json_decref(v);
    free(text);
}
END_TEST

START_TEST(strings_roundtrip_jtape)
{
    size_t len;
    char *text = write_str(odd[_i], &len);
    struct jtape tp = { 0 };
    sl_error_t e;
    ck_assert_int_eq(jtape_parse(&tp, text, len, &e), 0);
    ck_assert_int_eq(tp.t[0].type, JT_STR);
    ck_assert_str_eq(tp.t[0].v.s, odd[_i]);
    ck_assert_uint_eq(tp.t[0].n, strlen(odd[_i]));
    jtape_free(&tp);
}
END_TEST

START_TEST(escapes_exact)
{
    size_t len;
    char *text = write_str("\"\\\n\t\x01", &len);
    ck_assert_str_eq(text, "\"\\\"\\\\\\n\\t\\u0001\"");
    free(text);
    /* Invalid UTF-8 (a lone continuation byte, a truncated sequence, an
     * overlong form, a surrogate) becomes U+FFFD; valid text passes. */
    text = write_str("a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80" "e\xc3\xa9", &len);
    ck_assert_str_eq(text, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde\xc3\xa9\"");
    free(text);
    text = write_str(NULL, &len);
    ck_assert_str_eq(text, "null");
    free(text);
}
END_TEST

START_TEST(numbers_and_words)
{
    struct jsonw w;
    static const int64_t nums[] = { 0, 7, -1, 1234567890123LL, INT64_MAX, INT64_MIN };
    jsonw_init(&w);
    jsonw_char(&w, '[');
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        jsonw_int(&w, nums[i]);
        jsonw_char(&w, ',');
    }
    jsonw_bool(&w, 1);
    jsonw_char(&w, ',');
    jsonw_bool(&w, 0);
    jsonw_char(&w, ',');
    jsonw_null(&w);
    jsonw_text(&w, ",2.5,1e3,18446744073709551616]");
    struct jtape tp = { 0 };
    sl_error_t e;
    char *text = w.buf;
    ck_assert_int_eq(jtape_parse(&tp, text, w.len, &e), 0);
    ck_assert_int_eq(tp.t[0].type, JT_ARR);
    ck_assert_uint_eq(tp.t[0].n, 12);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_int_eq(tp.t[1 + i].type, JT_INT);
        ck_assert(tp.t[1 + i].v.i == nums[i]);
    }
    ck_assert_int_eq(tp.t[7].type, JT_TRUE);
    ck_assert_int_eq(tp.t[8].type, JT_FALSE);
    ck_assert_int_eq(tp.t[9].type, JT_NULL);
    ck_assert_int_eq(tp.t[10].type, JT_REAL);
    ck_assert(tp.t[10].v.d == 2.5);
    ck_assert(tp.t[11].v.d == 1000.0);
    ck_assert_int_eq(tp.t[12].type, JT_REAL);   /* too large for int64 */
    jtape_free(&tp);
}
END_TEST

/* Found by fuzzing: a real number ending the text was read by strtod
 * past len (jtape.h promises nothing past len is touched). */
START_TEST(real_at_end_of_text)
{
    struct jtape tp = { 0 };
    sl_error_t e;
    char *text = strdup("1.5999");
    ck_assert_int_eq(jtape_parse(&tp, text, 3, &e), 0);
    ck_assert_int_eq(tp.t[0].type, JT_REAL);
    ck_assert(tp.t[0].v.d == 1.5);
    jtape_free(&tp);
    text = strdup("-2e3x");
    ck_assert_int_eq(jtape_parse(&tp, text, 4, &e), 0);
    ck_assert(tp.t[0].v.d == -2000.0);
    jtape_free(&tp);
}
END_TEST

START_TEST(jansson_value_and_nesting)
{
    json_t *v = json_pack("{s:[i,s,{}], s:[], s:n}", "a", 1, "x\"y", "b", "c");
    struct jsonw w;
    struct jtape tp = { 0 };
    sl_error_t e;
    jsonw_init(&w);
    jsonw_json(&w, v);
    ck_assert_int_eq(jtape_parse(&tp, w.buf, w.len, &e), 0);
    size_t a = jtape_get(&tp, 0, "a"), b = jtape_get(&tp, 0, "b");
    ck_assert_uint_ne(a, JT_NONE);
    ck_assert_uint_eq(tp.t[a].n, 3);
    ck_assert_str_eq(jtape_str(&tp, a + 2), "x\"y");
    ck_assert_int_eq(tp.t[a + 3].type, JT_OBJ);
    ck_assert_uint_eq(tp.t[a + 3].n, 0);
    ck_assert_int_eq(tp.t[b].type, JT_ARR);
    ck_assert_uint_eq(tp.t[b].n, 0);
    ck_assert_int_eq(tp.t[jtape_get(&tp, 0, "c")].type, JT_NULL);
    ck_assert_uint_eq(jtape_get(&tp, 0, "missing"), JT_NONE);
    ck_assert_int_eq(jtape_int(&tp, a + 1, -5), 1);
    ck_assert_int_eq(jtape_int(&tp, a + 2, -5), -5);
    jtape_free(&tp);
    json_decref(v);
}
END_TEST

/* \u escapes as other writers (jansson with JSON_ENSURE_ASCII) send them. */
START_TEST(unicode_escapes)
{
    const char *in = "\"\\u00e9\\u20ac\\ud83d\\ude00\\/\\b\\f\"";
    struct jtape tp = { 0 };
    sl_error_t e;
    ck_assert_int_eq(jtape_parse(&tp, strdup(in), strlen(in), &e), 0);
    ck_assert_str_eq(tp.t[0].v.s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\b\f");
    jtape_free(&tp);
}
END_TEST

static const char *const bad[] = {
    "", "[", "[1,]", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"abc", "\"a\nb\"", "\"\\x\"",
    "\"\\ud800\"", "\"\\udc00\"", "\"\\u12\"", "nul", "tru", "-", "1.2.3", "[1]x", "{1:2}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
};

START_TEST(malformed_refused)
{
    struct jtape tp = { 0 };
    sl_error_t e;
    ck_assert_int_eq(jtape_parse(&tp, strdup(bad[_i]), strlen(bad[_i]), &e), -1);
    ck_assert(strstr(e.text, "JSON") != NULL);
    jtape_free(&tp);
}
END_TEST

/* A columnar reply as the controller writes it, with an empty one. */
START_TEST(rows_shape)
{
    static const char *const texts[] = {
        "{\"id\":3,\"body\":{\"columns\":[\"job_id\",\"name\"],\"rows\":[]}}",
        "{\"id\":3,\"body\":{\"columns\":[\"job_id\",\"name\"],\"rows\":"
        "[[1,\"a\"],[2,null],[3,\"c,d\"]]}}",
    };
    for (size_t k = 0; k < 2; k++) {
        struct jtape tp = { 0 };
        sl_error_t e;
        ck_assert_int_eq(jtape_parse(&tp, strdup(texts[k]), strlen(texts[k]), &e), 0);
        size_t body = jtape_get(&tp, 0, "body"), rows = jtape_get(&tp, body, "rows");
        ck_assert_int_eq(jtape_int(&tp, jtape_get(&tp, 0, "id"), 0), 3);
        ck_assert_uint_eq(tp.t[rows].n, k ? 3 : 0);
        if (k) {
            size_t r3 = tp.t[tp.t[rows + 1].next].next;
            ck_assert_int_eq(tp.t[r3 + 1].v.i, 3);
            ck_assert_str_eq(tp.t[r3 + 2].v.s, "c,d");
        }
        jtape_free(&tp);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");
    int n = sizeof(odd) / sizeof(odd[0]);
    tcase_add_loop_test(tc, strings_roundtrip_jansson, 0, n);
    tcase_add_loop_test(tc, strings_roundtrip_jtape, 0, n);
    tcase_add_test(tc, escapes_exact);
    tcase_add_test(tc, numbers_and_words);
    tcase_add_test(tc, real_at_end_of_text);
    tcase_add_test(tc, jansson_value_and_nesting);
    tcase_add_test(tc, unicode_escapes);
    tcase_add_loop_test(tc, malformed_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, rows_shape);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
