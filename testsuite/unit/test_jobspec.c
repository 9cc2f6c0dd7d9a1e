/* Unit tests: the job spec's limits (jobspec.c): UTF-8 validation, the
 * escaping used in messages, and jobspec_check's refusals, each naming the
 * field and the limit. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "jobspec.h"
#include "unit.h"

START_TEST(utf8_valid_and_invalid)
{
    ck_assert_int_eq(utf8_invalid_at("", 0), -1);
    ck_assert_int_eq(utf8_invalid_at("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), -1);
    ck_assert_int_eq(utf8_invalid_at("caf\xe9", 4), 3);            /* Latin-1 */
    ck_assert_int_eq(utf8_invalid_at("a\xc0\xaf", 3), 1);          /* overlong '/' */
    ck_assert_int_eq(utf8_invalid_at("a\xed\xa0\x80", 4), 1);      /* surrogate */
    ck_assert_int_eq(utf8_invalid_at("\xf4\x90\x80\x80", 4), 0);   /* above U+10FFFF */
    ck_assert_int_eq(utf8_invalid_at("ab\xe2\x82", 4), 2);         /* cut short */
    ck_assert_int_eq(utf8_invalid_at("\x80", 1), 0);               /* lone continuation */
}
END_TEST

START_TEST(escape_for_messages)
{
    char out[32];
    text_escape("d\xe9j\xc3\xa0\n", 6, out, sizeof(out));
    ck_assert_str_eq(out, "d\\xE9j\xc3\xa0\\x0A");
    text_escape("0123456789012345678901234567890123456789", 40, out, 12);
    ck_assert_str_eq(out, "01234567...");
}
END_TEST

static void refused(json_t *spec, const char *w1, const char *w2)
{
    sl_error_t e = { "" };
    ck_assert_int_eq(jobspec_check(spec, &e), -1);
    ck_assert_msg(strstr(e.text, w1) && (!w2 || strstr(e.text, w2)), "message: %s", e.text);
    json_decref(spec);
}

START_TEST(limits_name_each_field)
{
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[1024] = '\0';
    json_t *ok = json_pack("{s:s, s:s, s:s}", "script", "#!/bin/sh\n", "cwd", "/tmp", "name", big);
    ck_assert_int_eq(jobspec_check(ok, NULL), 0);
    json_decref(ok);
    big[1024] = 'x';
    big[1025] = '\0';
    refused(json_pack("{s:s}", "name", big), "name (--job-name) is 1025 bytes", "1024");
    refused(json_pack("{s:s}", "comment", big), "comment", "1024");
    big[1025] = 'x';
    refused(json_pack("{s:s}", "stdout", big), "stdout (--output)", "4096");
    refused(json_pack("{s:s#}", "script", "#!/bin/sh\n\0x", (size_t)12), "script contains a NUL "
            "byte at offset 10", NULL);
    refused(json_pack("{s:{s:s#}}", "env", "A", "x\0y", (size_t)3), "NUL byte at offset 1", NULL);
    refused(json_pack("{s:{s:s}}", "env", "A=B", "x"), "environment variable name", NULL);
    refused(json_pack("{s:{s:s}}", "env", "", "x"), "environment variable name", NULL);
    refused(json_pack("{s:{s:i}}", "env", "A", 1), "env", NULL);
    refused(json_pack("{s:[s,i]}", "argv", "a", 1), "argv[1]", NULL);
}
END_TEST

START_TEST(exec_limits)
{
    json_t *env = json_object();
    char *big = malloc(JOBSPEC_EXEC_STR_MAX);
    memset(big, 'v', JOBSPEC_EXEC_STR_MAX - 1);
    big[JOBSPEC_EXEC_STR_MAX - 3] = '\0';     /* "B=" + value + NUL: exactly the limit */
    json_object_set_new(env, "B", json_string(big));
    json_t *spec = json_pack("{s:O}", "env", env);
    ck_assert_int_eq(jobspec_check(spec, NULL), 0);
    json_decref(spec);
    big[JOBSPEC_EXEC_STR_MAX - 3] = 'v';
    big[JOBSPEC_EXEC_STR_MAX - 2] = '\0';
    json_object_set_new(env, "B", json_string(big));
    refused(json_pack("{s:O}", "env", env), "environment variable B", "131071");
    json_object_clear(env);
    for (int i = 0; i < 100; i++) {           /* 100 x 64 KiB: over 6 MiB in all */
        char name[16];
        snprintf(name, sizeof(name), "V%d", i);
        big[64 * 1024] = '\0';
        json_object_set_new(env, name, json_string(big));
    }
    refused(json_pack("{s:O}", "env", env), "the environment (100 variables)", "6291456");
    json_decref(env);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobspec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, utf8_valid_and_invalid);
    tcase_add_test(tc, escape_for_messages);
    tcase_add_test(tc, limits_name_each_field);
    tcase_add_test(tc, exec_limits);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
