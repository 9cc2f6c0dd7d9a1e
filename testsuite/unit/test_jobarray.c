/* test_jobarray.c: array jobs as the commands show them: the ids
 * (123_7, 123_[5-9999%50]), the task lists, and squeue's rows, folded and
 * expanded (-r), checked by the ids printed in order. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobarray.h"
#include "unit.h"

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    ck_assert_msg(v != NULL, "bad test JSON '%s': %s", text, je.text);
    return v;
}

static const struct {
    const char *rec;
    const char *id;          /* jobarray_id with the throttle */
    const char *id_plain;    /* without (sacct) */
    const char *task;        /* jobarray_task (squeue %K) */
} ids[] = {
    { "{\"job_id\":42}", "42", "42", "N/A" },
    { "{\"job_id\":42,\"array_job_id\":0,\"array_task_id\":-1}", "42", "42", "N/A" },
    { "{\"job_id\":130,\"array_job_id\":123,\"array_task_id\":7}", "123_7", "123_7", "7" },
    { "{\"job_id\":123,\"array_job_id\":123,\"array_task_id\":-1,"
      "\"array_tasks_pending\":\"5-9999\",\"array_throttle\":50}",
      "123_[5-9999%50]", "123_[5-9999]", "5-9999%50" },
    { "{\"job_id\":123,\"array_job_id\":123,\"array_task_id\":-1,"
      "\"array_tasks_pending\":\"5-9999\",\"array_throttle\":0}",
      "123_[5-9999]", "123_[5-9999]", "5-9999" },
    /* The array's record without array_job_id: its own id is the array's. */
    { "{\"job_id\":123,\"array_task_id\":-1,\"array_tasks_pending\":\"1,3\"}",
      "123_[1,3]", "123_[1,3]", "1,3" },
    /* Cancelled before these tasks started: they stay on the array's record. */
    { "{\"job_id\":123,\"array_job_id\":123,\"array_task_id\":-1,"
      "\"array_tasks_pending\":\"\",\"array_tasks_cancelled\":\"5-9999\",\"array_throttle\":5}",
      "123_[5-9999]", "123_[5-9999]", "N/A" },
    /* Every task started: nothing pending to show. */
    { "{\"job_id\":123,\"array_job_id\":123,\"array_task_id\":-1,"
      "\"array_tasks_pending\":\"\",\"array_throttle\":5}", "123", "123", "N/A" },
};

START_TEST(test_ids)
{
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        json_t *r = load(ids[i].rec);
        char buf[128];
        ck_assert_str_eq(jobarray_id(r, 1, buf, sizeof(buf)), ids[i].id);
        ck_assert_str_eq(jobarray_id(r, 0, buf, sizeof(buf)), ids[i].id_plain);
        ck_assert_str_eq(jobarray_task(r, buf, sizeof(buf)), ids[i].task);
        json_decref(r);
    }
}
END_TEST

static int collect(uint32_t idx, void *arg)
{
    FILE *m = arg;
    fprintf(m, "%u ", idx);
    return 0;
}

static char *each(const char *list, int *rc, sl_error_t *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    *rc = jobarray_each(list, collect, m, e);
    fclose(m);
    return text;
}

START_TEST(test_each)
{
    static const struct { const char *list, *out, *error; } cases[] = {
        { "1-3,5,7-9", "1 2 3 5 7 8 9 ", NULL },
        { "0", "0 ", NULL },
        { "", "", NULL },
        { "4-2", NULL, "invalid task list '4-2': bad range before ''" },
        { "1,x", NULL, "invalid task list '1,x': expected a number at 'x'" },
        { "1-3:2", NULL, "invalid task list '1-3:2': unexpected ':'" },
        { "1-", NULL, "invalid task list '1-': bad range before ''" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_error_t e = { "" };
        int rc;
        char *out = each(cases[i].list, &rc, &e);
        if (cases[i].out) {
            ck_assert_msg(rc == 0, "'%s': %s", cases[i].list, e.text);
            ck_assert_str_eq(out, cases[i].out);
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_str_eq(e.text, cases[i].error);
        }
        free(out);
    }
}
END_TEST

static void row_id(const json_t *row, void *arg)
{
    char buf[128];
    fprintf(arg, "%s ", jobarray_id(row, 1, buf, sizeof(buf)));
}

/* The row ids squeue would print for jobs, folded or expanded. */
static char *rows(const char *jobs, int expand)
{
    json_t *j = load(jobs);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    jobarray_rows(j, expand, row_id, m);
    fclose(m);
    json_decref(j);
    return text;
}

/* A plain job 99, array 123 with tasks 0-1 running (records 130, 131) and
 * 5-7 pending with a throttle, array 124 with nothing left pending. */
#define JOBS "[{\"job_id\":131,\"array_job_id\":123,\"array_task_id\":1}," \
    "{\"job_id\":200}," \
    "{\"job_id\":123,\"array_job_id\":123,\"array_task_id\":-1," \
    "\"array_tasks_pending\":\"2,5-7\",\"array_throttle\":2}," \
    "{\"job_id\":99,\"array_job_id\":0,\"array_task_id\":-1}," \
    "{\"job_id\":130,\"array_job_id\":123,\"array_task_id\":0}," \
    "{\"job_id\":124,\"array_job_id\":124,\"array_task_id\":-1,\"array_tasks_pending\":\"\"," \
    "\"array_tasks_cancelled\":\"4\"}," \
    "{\"job_id\":140,\"array_job_id\":124,\"array_task_id\":3}]"

START_TEST(test_rows)
{
    char *folded = rows(JOBS, 0), *expanded = rows(JOBS, 1);
    ck_assert_str_eq(folded, "99 123_0 123_1 123_[2,5-7%2] 124_3 200 ");
    ck_assert_str_eq(expanded, "99 123_0 123_1 123_2 123_5 123_6 123_7 124_3 200 ");
    free(folded);
    free(expanded);
}
END_TEST

static void row_check(const json_t *row, void *arg)
{
    /* An expanded row looks like the task's record: pending list gone. */
    ck_assert_ptr_null(json_object_get(row, "array_tasks_pending"));
    ck_assert_int_eq(json_integer_value(json_object_get(row, "array_job_id")), 123);
    ck_assert_str_eq(json_string_value(json_object_get(row, "name")), "sweep");
    (*(int *)arg)++;
}

START_TEST(test_expand_large)
{
    json_t *j = load("[{\"job_id\":123,\"array_task_id\":-1,\"name\":\"sweep\","
                     "\"array_tasks_pending\":\"0-9999\"}]");
    int n = 0;
    jobarray_rows(j, 1, row_check, &n);
    ck_assert_int_eq(n, 10000);
    /* The input is left as it was. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0),
                                                       "array_tasks_pending")), "0-9999");
    json_decref(j);
}
END_TEST

/* A pending list the commands cannot read is shown folded, not dropped. */
START_TEST(test_rows_bad_list)
{
    char *out = rows("[{\"job_id\":5,\"array_task_id\":-1,\"array_tasks_pending\":\"1-x\"}]", 1);
    ck_assert_str_eq(out, "5_[1-x] ");
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobarray");
    TCase *tc = tcase_create("jobarray");

    tcase_add_test(tc, test_ids);
    tcase_add_test(tc, test_each);
    tcase_add_test(tc, test_rows);
    tcase_add_test(tc, test_expand_large);
    tcase_add_test(tc, test_rows_bad_list);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
