/* test_dpjson.c: the --json documents' pieces (src/cmd/common/dpjson.c,
 * dpjob.c, dpnode.c): Slurm 22.05's exit code forms, TRES lists, nested
 * paths, and the job and node objects built from controller records. */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dpjob.h"
#include "dpjson.h"
#include "unit.h"

static void assert_json(const json_t *got, const char *want, const char *what)
{
    json_error_t je;
    json_t *w = json_loads(want, JSON_DECODE_ANY, &je);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(w != NULL, "bad expected JSON '%s': %s", want, je.text);
    ck_assert_msg(json_equal((json_t *)got, w), "%s: got %s, want %s", what, g, want);
    free(g);
    json_decref(w);
}

START_TEST(test_exit_codes)
{
    json_t *v;
    ck_assert_int_eq(dp_wait_status(3, 0), 768);
    ck_assert_int_eq(dp_wait_status(0, 9), 9);
    ck_assert_int_eq(dp_wait_status(0, 0), 0);
    assert_json(v = dp_exit_code(1, 0, 0), "{\"status\":\"SUCCESS\",\"return_code\":0}", "ok");
    json_decref(v);
    assert_json(v = dp_exit_code(1, 3, 0), "{\"status\":\"ERROR\",\"return_code\":3}", "exit 3");
    json_decref(v);
    assert_json(v = dp_exit_code(0, 0, 0), "{\"status\":\"PENDING\",\"return_code\":null}",
                "not ended");
    json_decref(v);
    v = dp_exit_code(1, 0, 9);
    ck_assert_str_eq(json_string_value(json_object_get(v, "status")), "SIGNALED");
    ck_assert(json_is_null(json_object_get(v, "return_code")));
    assert_json(json_object_get(json_object_get(v, "signal"), "signal_id"), "9", "signal");
    json_decref(v);
}
END_TEST

START_TEST(test_tres_list)
{
    json_t *v = dp_tres_list("billing=2,cpu=2,gres/gpu=1,mem=1G,node=1,bogus=3,broken");
    assert_json(v, "[{\"type\":\"billing\",\"name\":\"\",\"id\":5,\"count\":2},"
                   "{\"type\":\"cpu\",\"name\":\"\",\"id\":1,\"count\":2},"
                   "{\"type\":\"gres\",\"name\":\"gpu\",\"id\":1001,\"count\":1},"
                   "{\"type\":\"mem\",\"name\":\"\",\"id\":2,\"count\":1024},"
                   "{\"type\":\"node\",\"name\":\"\",\"id\":4,\"count\":1}]", "tres");
    json_decref(v);
    assert_json(v = dp_tres_list(""), "[]", "empty");
    json_decref(v);
    assert_json(v = dp_tres_list("mem=100M"), "[{\"type\":\"mem\",\"name\":\"\",\"id\":2,"
                                             "\"count\":100}]", "MB");
    json_decref(v);
}
END_TEST

START_TEST(test_put)
{
    json_t *o = json_object();
    dp_put(o, "time/user/seconds", json_integer(1));
    dp_put(o, "time/user/microseconds", json_integer(2));
    dp_put(o, "time/end", NULL);
    dp_put(o, "job_id", json_integer(7));
    assert_json(o, "{\"job_id\":7,\"time\":{\"end\":null,\"user\":{\"seconds\":1,"
                   "\"microseconds\":2}}}", "paths");
    json_decref(o);
}
END_TEST

static json_t *rec(const char *text)
{
    json_error_t je;
    json_t *r = json_loads(text, 0, &je);
    ck_assert_msg(r != NULL, "%s", je.text);
    return r;
}

START_TEST(test_job_running)
{
    json_t *r = rec("{\"job_id\":5,\"name\":\"run\",\"slurm_state\":\"RUNNING\","
                    "\"state\":\"RUNNING\",\"queue\":\"batch\",\"reason\":\"None\","
                    "\"nodes\":\"n[1-2]\",\"num_nodes\":2,\"num_cpus\":4,\"num_tasks\":2,"
                    "\"cpus_per_task\":2,\"mem_per_cpu_mb\":100,\"time_limit\":600,"
                    "\"exit_code\":0,\"exit_signal\":0,\"uid\":0,\"gid\":0,\"user\":\"root\","
                    "\"array_job_id\":0,\"array_task_id\":-1,\"alloc_mem_mb\":200,"
                    "\"alloc\":[{\"node\":\"n1\",\"cpus\":\"0-1\"},"
                    "{\"node\":\"n2\",\"cpus\":\"3\"}]}");
    json_t *o = dp_job_info(r, "c1");
    assert_json(json_object_get(o, "time_limit"), "10", "minutes");
    assert_json(json_object_get(o, "memory_per_cpu"), "100", "mem per cpu");
    assert_json(json_object_get(o, "memory_per_node"), "null", "mem per node");
    assert_json(json_object_get(o, "array_task_id"), "null", "no task");
    assert_json(json_object_get(o, "batch_host"), "\"n1\"", "batch host");
    assert_json(json_object_get(o, "cluster"), "\"c1\"", "cluster");
    assert_json(json_object_get(o, "tres_alloc_str"),
                "\"cpu=4,mem=400M,node=2,billing=4\"", "tres");
    json_t *res = json_object_get(o, "job_resources");
    assert_json(json_object_get(res, "allocated_hosts"), "2", "hosts");
    assert_json(json_object_get(json_array_get(json_object_get(res, "allocated_nodes"), 0),
                                "sockets"),
                "{\"0\":{\"cores\":{\"0\":\"allocated\",\"1\":\"allocated\"}}}", "cores");
    assert_json(json_object_get(json_object_get(o, "sluice"), "queue"), "\"batch\"", "ours");
    json_decref(o);
    json_decref(r);
}
END_TEST

START_TEST(test_job_array_pending)
{
    json_t *r = rec("{\"job_id\":9,\"slurm_state\":\"PENDING\",\"num_tasks\":1,"
                    "\"array_job_id\":9,\"array_task_id\":-1,\"array_tasks_pending\":\"3-5\","
                    "\"array_throttle\":2,\"time_limit\":-1,\"exit_code\":3,\"mem_mb\":50}");
    json_t *o = dp_job_info(r, NULL);
    assert_json(json_object_get(o, "array_job_id"), "9", "array id");
    assert_json(json_object_get(o, "array_task_id"), "null", "array record");
    assert_json(json_object_get(o, "array_task_string"), "\"3-5\"", "pending tasks");
    assert_json(json_object_get(o, "array_max_tasks"), "2", "throttle");
    assert_json(json_object_get(o, "time_limit"), "null", "unlimited");
    assert_json(json_object_get(o, "exit_code"), "768", "wait status");
    assert_json(json_object_get(o, "memory_per_node"), "50", "mem");
    assert_json(json_object_get(o, "cpus"), "1", "asked cpus");
    ck_assert(json_object_get(o, "job_resources") == NULL);
    json_decref(o);
    json_decref(r);
}
END_TEST

START_TEST(test_node)
{
    json_t *n = rec("{\"name\":\"n1\",\"hostname\":\"h1\",\"state\":\"DRAINING\",\"cpus\":4,"
                    "\"alloc_cpus\":1,\"memory_mb\":4096,\"alloc_mem_mb\":100,"
                    "\"reason\":\"\",\"reason_user\":0,\"responding\":false,\"gpus\":2}");
    json_t *o = dp_node_info(n);
    assert_json(json_object_get(o, "state"), "\"mixed\"", "state");
    assert_json(json_object_get(o, "state_flags"), "[\"NOT_RESPONDING\",\"DRAIN\"]", "flags");
    assert_json(json_object_get(o, "tres"), "\"cpu=4,mem=4G,billing=4,gres/gpu=2\"", "tres");
    assert_json(json_object_get(o, "tres_used"), "\"cpu=1,mem=100M\"", "used");
    assert_json(json_object_get(o, "reason_set_by_user"), "null", "no reason");
    assert_json(json_object_get(o, "cpu_load"), "null", "no report");
    assert_json(json_object_get(json_object_get(o, "sluice"), "gpus"), "2", "gpus");
    json_decref(o);
    json_decref(n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dpjson");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exit_codes);
    tcase_add_test(tc, test_tres_list);
    tcase_add_test(tc, test_put);
    tcase_add_test(tc, test_job_running);
    tcase_add_test(tc, test_job_array_pending);
    tcase_add_test(tc, test_node);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
