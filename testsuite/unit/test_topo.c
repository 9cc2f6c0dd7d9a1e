/* Unit tests: a node's topology (topo.c): synthesis, JSON both ways, and
 * refusal of every malformed field. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "topo.h"
#include "unit.h"

START_TEST(synth_layout)
{
    sl_error_t e = { "" };
    topo_t *t = topo_synth(2, 4, 2, &e);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->ncpus, 16);
    ck_assert_uint_eq(topo_core_of(t, 5), 2);
    ck_assert_uint_eq(topo_socket_of(t, 7), 0);
    ck_assert_uint_eq(topo_socket_of(t, 8), 1);
    ck_assert_ptr_null(topo_synth(0, 4, 2, &e));
    ck_assert_ptr_nonnull(strstr(e.text, "at least 1"));
    ck_assert_ptr_null(topo_synth(1024, 1024, 2, &e));
    ck_assert_ptr_nonnull(strstr(e.text, "more than"));
    topo_destroy(t);
}
END_TEST

START_TEST(json_round_trip)
{
    sl_error_t e = { "" };
    topo_t *t = topo_synth(2, 2, 2, &e);
    /* hwloc's usual numbering: the second threads come after all first ones */
    uint32_t os[] = { 0, 4, 1, 5, 2, 6, 3, 7 };
    memcpy(t->os_index, os, sizeof(os));
    idset_t *near = idset_decode("0-3", 8, NULL, &e);
    ck_assert_int_eq(topo_add_gpu(t, "h200", "nvidia", "NVIDIA H200", "0000:3b:00.0", 0, near,
                                  &e), 0);
    ck_assert_int_eq(topo_add_gpu(t, NULL, NULL, NULL, NULL, 1, NULL, &e), 0);
    json_t *j = topo_to_json(t);
    topo_t *u = topo_from_json(j, &e);
    ck_assert_msg(u != NULL, "%s", e.text);
    json_t *k = topo_to_json(u);
    ck_assert(json_equal(j, k));
    ck_assert_str_eq(u->gpus[1].type, "gpu");
    ck_assert_uint_eq(idset_count(u->gpus[1].cpus), 8);
    char *l = topo_os_list(u, near);
    ck_assert_str_eq(l, "0-1,4-5");
    free(l);
    topo_t *c = topo_copy(u);
    json_t *m = topo_to_json(c);
    ck_assert(json_equal(j, m));
    json_decref(j);
    json_decref(k);
    json_decref(m);
    idset_destroy(near);
    topo_destroy(t);
    topo_destroy(u);
    topo_destroy(c);
}
END_TEST

static const struct {
    const char *json;
    const char *error;
} bad[] = {
    { "[]", "not an object" },
    { "{\"sockets\":0,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0]}", "sockets" },
    { "{\"sockets\":1,\"cores_per_socket\":\"2\",\"threads_per_core\":1,\"os_index\":[0]}",
      "cores_per_socket" },
    { "{\"sockets\":1,\"cores_per_socket\":2,\"threads_per_core\":1,\"os_index\":[0]}",
      "must list 2" },
    { "{\"sockets\":1,\"cores_per_socket\":2,\"threads_per_core\":1,\"os_index\":[3,3]}",
      "os_index\"[1]" },
    { "{\"sockets\":1,\"cores_per_socket\":2,\"threads_per_core\":1,\"os_index\":[0,-1]}",
      "os_index\"[1]" },
    { "{\"sockets\":1,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0],"
      "\"gpus\":{}}", "must be an array" },
    { "{\"sockets\":1,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0],"
      "\"gpus\":[7]}", "GPU 0 is not an object" },
    { "{\"sockets\":1,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0],"
      "\"gpus\":[{\"type\":\"a\",\"vendor\":\"nvidia\",\"name\":\"\",\"bus_id\":\"\","
      "\"minor\":0,\"cpus\":\"0-1\"}]}", "\"cpus\"" },
    { "{\"sockets\":1,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0],"
      "\"gpus\":[{\"type\":\"a\",\"vendor\":\"nvidia\",\"name\":\"\",\"bus_id\":\"\","
      "\"minor\":-1,\"cpus\":\"0\"}]}", "minor" },
    { "{\"sockets\":1,\"cores_per_socket\":1,\"threads_per_core\":1,\"os_index\":[0],"
      "\"gpus\":[{\"type\":1,\"vendor\":\"nvidia\",\"name\":\"\",\"bus_id\":\"\","
      "\"minor\":0,\"cpus\":\"0\"}]}", "\"type\" must be a string" },
};

START_TEST(json_refused)
{
    sl_error_t e = { "" };
    json_t *j = json_loads(bad[_i].json, 0, NULL);
    ck_assert_ptr_nonnull(j);
    topo_t *t = topo_from_json(j, &e);
    ck_assert_msg(!t, "'%s' should be refused", bad[_i].json);
    ck_assert_msg(strstr(e.text, bad[_i].error), "'%s': '%s' lacks '%s'", bad[_i].json, e.text,
                  bad[_i].error);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topo");
    TCase *tc = tcase_create("topo");
    tcase_add_test(tc, synth_layout);
    tcase_add_test(tc, json_round_trip);
    tcase_add_loop_test(tc, json_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
