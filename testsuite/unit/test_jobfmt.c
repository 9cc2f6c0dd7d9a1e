/* test_jobfmt.c: state names and codes, the column engine in its three
 * styles, and Key=Value records, checked by the exact text printed. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobfmt.h"
#include "unit.h"

static void get_twice(const json_t *r, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", 2 * (long long)json_integer_value(json_object_get(r, "n")));
}

static const struct jobfmt_field fields[] = {
    { "JobID", 'i', "JOBID", 12, 0, "id", NULL, 0 },
    { "Name", 'j', "NAME", 10, 1, "name", NULL, 0 },
    { "Twice", 'w', "TWICE", 6, 1, NULL, get_twice, JOBFMT_AGGREGATE },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

/* Print header and one row of {"id":7,"name":"longername","n":21}. */
static char *render(const char *spec, enum jobfmt_style style, const char *sep,
                    int trailing)
{
    sl_error_t e = { "" };
    jobfmt_t *f = jobfmt_parse(spec, style, fields, &e);
    json_t *rec = json_pack("{s:i,s:s,s:i}", "id", 7, "name", "longername", "n", 21);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ck_assert_msg(f != NULL, "'%s': %s", spec, e.text);
    if (sep)
        jobfmt_set_parsable(f, sep, trailing);
    jobfmt_print_header(f, m);
    jobfmt_print_row(f, rec, NULL, m);
    fclose(m);
    json_decref(rec);
    jobfmt_destroy(f);
    return text;
}

static const struct {
    const char *spec;
    enum jobfmt_style style;
    const char *sep;
    int trailing;
    const char *out;
} cases[] = {
    { "%.5i %-6j|%w", JOBFMT_PERCENT, NULL, 0, "JOBID NAME  |TWICE\n    7 longer|42\n" },
    { "[%i] %.4j end", JOBFMT_PERCENT, NULL, 0, "[JOBID] NAME end\n[7] long end\n" },
    { "JobID:4,Name,Twice:.3", JOBFMT_NAMES, NULL, 0,
      "JOBI      NAMETWI\n7   longername 42\n" },
    { "JobID:|,Name:.4|,Twice:5", JOBFMT_NAMES, NULL, 0, "JOBID|NAME|TWICE\n7|long|   42\n" },
    { "jobid,name%6", JOBFMT_SACCT, NULL, 0,
      "JOBID          NAME \n------------ ------ \n7            longe+ \n" },
    { "JobID,Name", JOBFMT_SACCT, "|", 1, "JOBID|NAME|\n7|longername|\n" },
    { "name%-12,twice%.5", JOBFMT_SACCT, NULL, 0,
      "NAME         TWICE \n------------ ----- \nlongername      42 \n" },
    { "JobID,Name", JOBFMT_SACCT, "|", 0, "JOBID|NAME\n7|longername\n" },
};

START_TEST(test_columns)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = render(cases[i].spec, cases[i].style, cases[i].sep, cases[i].trailing);
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "'%s':\n%s---want:\n%s", cases[i].spec,
                      out, cases[i].out);
        free(out);
    }
}
END_TEST

START_TEST(test_bad_formats)
{
    static const struct { const char *spec; enum jobfmt_style style; const char *msg; } bad[] = {
        { "%.5z", JOBFMT_PERCENT, "Invalid format field '%.5z'" },
        { "%", JOBFMT_PERCENT, "Invalid format field '%'" },
        { "JobID,Nope", JOBFMT_NAMES, "Invalid job format specification: Nope" },
        { "JobID,Nope", JOBFMT_SACCT, "Invalid field requested: \"Nope\"" },
        { "JobID%x", JOBFMT_SACCT, "Invalid field width: \"JobID%x\"" },
        { "JobID%5", JOBFMT_NAMES, "Invalid field specification: \"JobID%5\"" },
        { "", JOBFMT_SACCT, "No fields requested" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_error_t e = { "" };
        ck_assert_ptr_null(jobfmt_parse(bad[i].spec, bad[i].style, fields, &e));
        ck_assert_str_eq(e.text, bad[i].msg);
    }
}
END_TEST

START_TEST(test_row_key)
{
    sl_error_t e;
    jobfmt_t *f = jobfmt_parse("%j %w", JOBFMT_PERCENT, fields, &e);
    json_t *a = json_pack("{s:s,s:i}", "name", "x", "n", 1);
    json_t *b = json_pack("{s:s,s:i}", "name", "x", "n", 2);
    char *ka = jobfmt_row_key(f, a, NULL), *kb = jobfmt_row_key(f, b, NULL);
    ck_assert_str_eq(ka, kb);   /* aggregates are not part of the key */
    free(ka);
    free(kb);
    json_decref(a);
    json_decref(b);
    jobfmt_destroy(f);
}
END_TEST

START_TEST(test_states)
{
    char buf[32];
    ck_assert_str_eq(jobfmt_state_code("PENDING"), "PD");
    ck_assert_str_eq(jobfmt_state_code("OUT_OF_MEMORY"), "OOM");
    ck_assert_str_eq(jobfmt_state_code("BOGUS"), "?");
    ck_assert_str_eq(jobfmt_state_parse("r"), "RUNNING");
    ck_assert_str_eq(jobfmt_state_parse("Cancelled"), "CANCELLED");
    ck_assert_str_eq(jobfmt_state_parse("cd"), "COMPLETED");
    ck_assert_ptr_null(jobfmt_state_parse("xx"));
    ck_assert_str_eq(jobfmt_node_state("DRAINING", 1, 0, buf, sizeof(buf)), "drng");
    ck_assert_str_eq(jobfmt_node_state("ALLOCATED", 0, 0, buf, sizeof(buf)), "alloc*");
    ck_assert_str_eq(jobfmt_node_state("MIXED", 1, 1, buf, sizeof(buf)), "mixed");
    ck_assert_str_eq(jobfmt_hms(5, buf, sizeof(buf)), "00:00:05");
    ck_assert_str_eq(jobfmt_hms(90061, buf, sizeof(buf)), "1-01:01:01");
    ck_assert_str_eq(jobfmt_hms(-1, buf, sizeof(buf)), "UNLIMITED");
}
END_TEST

START_TEST(test_kv)
{
    static const struct jobfmt_kv kv[] = {
        { "JobId", "id", NULL, 0 },      { "Name", "name", NULL, 0 },
        { "Twice", NULL, get_twice, JOBFMT_KV_NEWLINE },
        { "Missing", "nothing", NULL, 0 },
    };
    json_t *rec = json_pack("{s:i,s:s,s:i}", "id", 3, "name", "a", "n", 2);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    jobfmt_print_kv(kv, 4, rec, NULL, 0, m);
    jobfmt_print_kv(kv, 4, rec, NULL, 1, m);
    fclose(m);
    ck_assert_str_eq(text, "JobId=3 Name=a\n   Twice=4 Missing=(null)\n"
                           "JobId=3 Name=a Twice=4 Missing=(null)\n");
    free(text);
    json_decref(rec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobfmt");
    TCase *tc = tcase_create("jobfmt");

    tcase_add_test(tc, test_columns);
    tcase_add_test(tc, test_bad_formats);
    tcase_add_test(tc, test_row_key);
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_kv);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
