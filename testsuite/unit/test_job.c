/* Unit tests: job states, the Slurm mapping and the stored record (job.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "job.h"
#include "unit.h"

static const struct {
    enum job_state state;
    enum job_end end;
    int completing;
    const char *slurm;
} mapping[] = {
    { JOB_SUBMITTED, END_NONE, 0, "PENDING" },
    { JOB_PENDING, END_NONE, 0, "PENDING" },
    { JOB_RUNNABLE, END_NONE, 0, "PENDING" },
    { JOB_STARTING, END_NONE, 0, "CONFIGURING" },
    { JOB_RUNNING, END_NONE, 0, "RUNNING" },
    { JOB_RUNNING, END_NONE, 1, "COMPLETING" },
    { JOB_SUCCEEDED, END_COMPLETED, 0, "COMPLETED" },
    { JOB_FAILED, END_FAILED, 0, "FAILED" },
    { JOB_FAILED, END_CANCELLED, 0, "CANCELLED" },
    { JOB_FAILED, END_TIMEOUT, 0, "TIMEOUT" },
    { JOB_FAILED, END_NODE_FAIL, 0, "NODE_FAIL" },
    { JOB_FAILED, END_OUT_OF_MEMORY, 0, "OUT_OF_MEMORY" },
};

START_TEST(slurm_state_mapping)
{
    struct job *j = job_create();
    j->state = mapping[_i].state;
    j->end = mapping[_i].end;
    j->completing = mapping[_i].completing;
    ck_assert_str_eq(job_slurm_state(j), mapping[_i].slurm);
    ck_assert_int_eq(job_is_terminal(j), j->state >= JOB_SUCCEEDED);
    ck_assert_int_eq(job_is_pending(j), j->state <= JOB_RUNNABLE);
    job_destroy(j);
}
END_TEST

START_TEST(state_names_roundtrip)
{
    for (int s = JOB_SUBMITTED; s <= JOB_FAILED; s++) {
        enum job_state out;
        ck_assert_int_eq(job_state_parse(job_state_name((enum job_state)s), &out), 0);
        ck_assert_int_eq(out, s);
    }
    enum job_state out;
    ck_assert_int_eq(job_state_parse("BOGUS", &out), -1);
}
END_TEST

START_TEST(record_roundtrip)
{
    struct job *j = job_create();
    sl_error_t e;
    j->id = 42;
    j->state = JOB_FAILED;
    j->end = END_TIMEOUT;
    job_set_str(&j->name, "sim");
    job_set_str(&j->nodes, "n[1-2]");
    j->time_limit = 3600;
    j->exit_signal = 9;
    j->cancelled_by = -1;
    j->requeue = 1;
    job_set_reason(j, "TimeLimit");
    json_t *rec = job_to_json(j);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "slurm_state")), "TIMEOUT");
    struct job *k = job_from_json(rec, &e);
    ck_assert_ptr_nonnull(k);
    json_t *rec2 = job_to_json(k);
    ck_assert(json_equal(rec, rec2));
    ck_assert_str_eq(k->reason, "TimeLimit");
    ck_assert_int_eq(k->requeue, 1);
    json_decref(rec);
    json_decref(rec2);
    job_destroy(j);
    job_destroy(k);
}
END_TEST

START_TEST(record_without_state_refused)
{
    sl_error_t e;
    json_t *rec = json_pack("{s:i}", "job_id", 1);
    ck_assert_ptr_null(job_from_json(rec, &e));
    ck_assert_ptr_nonnull(strstr(e.text, "state"));
    json_decref(rec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job");
    TCase *tc = tcase_create("states");
    tcase_add_loop_test(tc, slurm_state_mapping, 0, (int)(sizeof(mapping) / sizeof(mapping[0])));
    tcase_add_test(tc, state_names_roundtrip);
    tcase_add_test(tc, record_roundtrip);
    tcase_add_test(tc, record_without_state_refused);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
