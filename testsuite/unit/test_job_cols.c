/* Unit tests: job_list's columnar rows (src/ctld/job_cols.c) say exactly
 * what the job record (job_to_json) says, key by key, for jobs of every
 * shape: a plain pending job, an array's record, a running task, odd
 * names; keys a record leaves out come as null. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "job_cols.h"
#include "unit.h"

static struct job *job_plain(void)
{
    struct job *j = job_create();
    j->id = 7;
    j->state = JOB_PENDING;
    job_set_str(&j->name, "odd \"name\", with\\ \x01 and caf\xc3\xa9");
    job_set_str(&j->user, "alice");
    job_set_str(&j->partition, "batch,debug");
    job_set_reason(j, "JobHeldUser");
    j->hold = 1;
    j->time_limit = 600;
    j->mem_mb = 1ull << 40;
    return j;
}

static struct job *job_array(void)
{
    struct job *j = job_create();
    j->id = 100;
    j->state = JOB_RUNNABLE;
    j->array_size = 10;
    j->array_limit = 10;
    j->array_throttle = 2;
    j->array_pending = idset_create(10);
    j->array_cancelled = idset_create(10);
    for (uint32_t t = 3; t < 10; t++)
        idset_set(j->array_pending, t);
    idset_set(j->array_cancelled, 1);
    j->array_running = 2;
    job_set_str(&j->reason_detail, "waits for 4 CPUs");
    j->expected_start = 1700000000;
    return j;
}

static struct job *job_task(void)
{
    struct job *j = job_create();
    j->id = 103;
    j->state = JOB_RUNNING;
    j->array_job_id = 100;
    j->array_task_id = 0;
    j->start_time = 1700000000;
    job_set_str(&j->nodes, "n[1-2]");
    j->retry_rules = json_pack("[s]", "RETRY,onExitCode=3");
    j->exclusive = 1;
    return j;
}

static struct job *(*const makers[])(void) = { job_plain, job_array, job_task };

/* Every key of the record, plus keys it may leave out. */
static json_t *all_keys(json_t *rec)
{
    json_t *keys = json_array();
    const char *k;
    json_t *v;
    static const char *const extra[] = { "reason_detail", "expected_start",
                                         "array_tasks_pending", "array_tasks_cancelled",
                                         "retry_rules", "array_summary", "no_such_key" };
    json_object_foreach(rec, k, v)
        json_array_append_new(keys, json_string(k));
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (!json_object_get(rec, extra[i]))
            json_array_append_new(keys, json_string(extra[i]));
    return keys;
}

START_TEST(row_matches_record)
{
    struct job *j = makers[_i]();
    json_t *rec = job_to_json(j), *keys = all_keys(rec), *row, *k;
    struct jobcols cols;
    struct jsonw w;
    sl_error_t e;
    json_error_t je;
    size_t i;
    ck_assert_int_eq(jobcols_init(&cols, keys, &e), 0);
    for (int from_rec = 0; from_rec < 2; from_rec++) {
        jsonw_init(&w);
        if (from_rec)
            jobcols_row_rec(&cols, rec, &w);
        else
            jobcols_row(&cols, j, &w);
        row = json_loadb(w.buf, w.len, 0, &je);
        ck_assert_msg(row != NULL, "bad row: %s", je.text);
        ck_assert_uint_eq(json_array_size(row), json_array_size(keys));
        json_array_foreach(keys, i, k) {
            json_t *want = json_object_get(rec, json_string_value(k));
            json_t *got = json_array_get(row, i);
            ck_assert_msg(want ? json_equal(want, got) : json_is_null(got),
                          "key %s differs", json_string_value(k));
        }
        json_decref(row);
        jsonw_free(&w);
    }
    /* The names, in order. */
    jsonw_init(&w);
    jobcols_names(&cols, &w);
    row = json_loadb(w.buf, w.len, 0, &je);
    ck_assert(json_equal(row, keys));
    json_decref(row);
    jsonw_free(&w);
    jobcols_free(&cols);
    json_decref(keys);
    json_decref(rec);
    job_destroy(j);
}
END_TEST

START_TEST(bad_columns_refused)
{
    struct jobcols cols;
    sl_error_t e;
    json_t *v = json_pack("[s,i]", "job_id", 3);
    ck_assert_int_eq(jobcols_init(&cols, v, &e), -1);
    ck_assert(strstr(e.text, "columns") != NULL);
    json_decref(v);
    v = json_string("job_id");
    ck_assert_int_eq(jobcols_init(&cols, v, &e), -1);
    json_decref(v);
    v = json_array();       /* no columns: empty rows */
    ck_assert_int_eq(jobcols_init(&cols, v, &e), 0);
    ck_assert_uint_eq(cols.n, 0);
    jobcols_free(&cols);
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_cols");
    TCase *tc = tcase_create("rows");
    tcase_add_loop_test(tc, row_matches_record, 0, (int)(sizeof(makers) / sizeof(makers[0])));
    tcase_add_test(tc, bad_columns_refused);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
