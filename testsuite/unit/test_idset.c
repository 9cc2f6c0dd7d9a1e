/* Unit tests: array index sets (idset.c) and dependency expressions (depend.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "depend.h"
#include "idset.h"
#include "unit.h"

static const struct {
    const char *expr;
    const char *encoded;   /* NULL = refused */
    uint32_t throttle;
    const char *error;     /* part of the message when refused */
} idcases[] = {
    { "0-15", "0-15", 0, NULL },
    { "1,3,5-7", "1,3,5-7", 0, NULL },
    { "0-15:4", "0,4,8,12", 0, NULL },
    { "0-9999%50", "0-9999", 50, NULL },
    { "10000", "10000", 0, NULL },
    { "7,7,7", "7", 0, NULL },
    { "10001", NULL, 0, "MaxArraySize" },
    { "5-2", NULL, 0, "backwards" },
    { "1-5:0", NULL, 0, "step" },
    { "a-b", NULL, 0, "expected a number" },
    { "1-5%", NULL, 0, "throttle" },
    { "1-5%0", NULL, 0, "throttle" },
    { "", NULL, 0, "no indices" },
    { "1;2", NULL, 0, "unexpected" },
    { "-3", NULL, 0, "expected a number" },
};

START_TEST(idset_cases)
{
    sl_error_t e = { "" };
    uint32_t throttle = 99;
    idset_t *s = idset_decode(idcases[_i].expr, 10001, &throttle, &e);
    if (!idcases[_i].encoded) {
        ck_assert_msg(!s, "'%s' should be refused", idcases[_i].expr);
        ck_assert_msg(strstr(e.text, idcases[_i].error), "'%s': '%s' lacks '%s'",
                      idcases[_i].expr, e.text, idcases[_i].error);
        ck_assert_ptr_nonnull(strstr(e.text, "invalid array specification"));
        return;
    }
    ck_assert_msg(s != NULL, "'%s': %s", idcases[_i].expr, e.text);
    char *enc = idset_encode(s);
    ck_assert_str_eq(enc, idcases[_i].encoded);
    ck_assert_uint_eq(throttle, idcases[_i].throttle);
    free(enc);
    idset_destroy(s);
}
END_TEST

START_TEST(idset_iteration)
{
    idset_t *s = idset_create(200);
    idset_set(s, 0);
    idset_set(s, 63);
    idset_set(s, 64);
    idset_set(s, 199);
    ck_assert_uint_eq(idset_count(s), 4);
    ck_assert_uint_eq(idset_first(s), 0);
    ck_assert_uint_eq(idset_next(s, 0), 63);
    ck_assert_uint_eq(idset_next(s, 64), 199);
    ck_assert_uint_eq(idset_next(s, 199), IDSET_NONE);
    ck_assert_uint_eq(idset_last(s), 199);
    idset_clear(s, 63);
    idset_clear(s, 63);
    ck_assert_uint_eq(idset_count(s), 3);
    idset_t *c = idset_copy(s);
    ck_assert_uint_eq(idset_count(c), 3);
    ck_assert(idset_test(c, 64));
    idset_destroy(c);
    for (uint32_t i = idset_first(s); i != IDSET_NONE; i = idset_first(s))
        idset_clear(s, i);
    ck_assert_uint_eq(idset_first(s), IDSET_NONE);
    ck_assert_uint_eq(idset_last(s), IDSET_NONE);
    char *enc = idset_encode(s);
    ck_assert_str_eq(enc, "");
    free(enc);
    idset_destroy(s);
}
END_TEST

static const struct {
    const char *expr;
    const char *canonical;  /* NULL = refused */
    const char *error;
} depcases[] = {
    { "afterok:12", "afterok:12", NULL },
    { "afterok:12:13,afterany:14_3", "afterok:12,afterok:13,afterany:14_3", NULL },
    { "after:5+10", "after:5+10", NULL },
    { "afternotok:7?afterok:8", "afternotok:7?afterok:8", NULL },
    { "aftercorr:9", "aftercorr:9", NULL },
    { "singleton", "singleton", NULL },
    { "sequential", "sequential", NULL },
    { "afterok:3_0", "afterok:3_0", NULL },
    /* Found by fuzzing: a task index with a leading zero was read from
     * an uninitialized variable, one past INT32_MAX became negative. */
    { "afterok:3_05", "afterok:3_5", NULL },
    { "afterok:3_2147483647", "afterok:3_2147483647", NULL },
    { "afterok:3_2147483648", NULL, "expected an array task index" },
    { "afterok:3_4294967295", NULL, "expected an array task index" },
    { "afterok:3_", NULL, "expected an array task index" },
    { "afterok", NULL, "needs at least one job id" },
    { "afterok:", NULL, "expected a job id" },
    { "afterok:x", NULL, "expected a job id" },
    { "before:3", NULL, "unknown dependency type 'before'" },
    { "afterok:1,afterok:2?afterok:3", NULL, "cannot be mixed" },
    { "afterok:1+5", NULL, "only allowed with after:" },
    { "singleton:3", NULL, "takes no job ids" },
    { "", NULL, "empty" },
    { "afterok:1,", NULL, "nothing after the last ','" },
    { "afterok:1?", NULL, "nothing after the last '?'" },
    { "afterok:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21", NULL, "at most 20" },
};

START_TEST(depend_cases)
{
    struct deplist d;
    sl_error_t e = { "" };
    int rc = depend_parse(depcases[_i].expr, &d, &e);
    if (!depcases[_i].canonical) {
        ck_assert_msg(rc < 0, "'%s' should be refused", depcases[_i].expr);
        ck_assert_msg(strstr(e.text, depcases[_i].error), "'%s': '%s' lacks '%s'",
                      depcases[_i].expr, e.text, depcases[_i].error);
        return;
    }
    ck_assert_msg(rc == 0, "'%s': %s", depcases[_i].expr, e.text);
    char *txt = depend_format(&d);
    ck_assert_str_eq(txt, depcases[_i].canonical);
    free(txt);
    depend_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("idset+depend");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, idset_cases, 0, (int)(sizeof(idcases) / sizeof(idcases[0])));
    tcase_add_test(tc, idset_iteration);
    tcase_add_loop_test(tc, depend_cases, 0, (int)(sizeof(depcases) / sizeof(depcases[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
