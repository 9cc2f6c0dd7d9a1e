/* Unit tests: GPUs in sluice.conf: a node's Gres= (conf_gres.c, conf_node.c),
 * GresTypes and AutoDetect (conf_keys.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "unit.h"

static char path[] = "/tmp/sluice-test-gres.XXXXXX";

static conf_t *load(const char *text, sl_error_t *e)
{
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    conf_t *c = conf_load(path, e);
    unlink(path);
    strcpy(path + strlen(path) - 6, "XXXXXX");
    return c;
}

START_TEST(gres_parsed)
{
    sl_error_t e = { "" };
    conf_t *c = load("GresTypes=gpu\n"
                     "NodeName=DEFAULT Gres=gpu:2\n"
                     "NodeName=a[1-2] Port=[7001-7002]\n"
                     "NodeName=b Port=7003 Gres=gpu:a100:2,gpu:V100:1,gpu\n"
                     "NodeName=c Port=7004 Gres=\n"
                     "PartitionName=p Nodes=a[1-2],b,c Default=YES\n", &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    const struct conf_node *a2 = conf_node_find(c, "a2"), *b = conf_node_find(c, "b"),
                           *cn = conf_node_find(c, "c");
    ck_assert_str_eq(a2->gres, "gpu:2");
    ck_assert_uint_eq(a2->ngres, 1);
    ck_assert_ptr_null(a2->gres_list[0].type);
    ck_assert_uint_eq(conf_node_gpus(a2), 2);
    ck_assert_uint_eq(b->ngres, 3);
    ck_assert_str_eq(b->gres_list[0].type, "a100");
    ck_assert_uint_eq(b->gres_list[0].count, 2);
    ck_assert_str_eq(b->gres_list[1].type, "V100");
    ck_assert_uint_eq(b->gres_list[1].count, 1);
    ck_assert_ptr_null(b->gres_list[2].type);
    ck_assert_uint_eq(b->gres_list[2].count, 1);
    ck_assert_uint_eq(conf_node_gpus(b), 4);
    ck_assert_ptr_null(cn->gres);
    ck_assert_uint_eq(conf_node_gpus(cn), 0);
    ck_assert_int_eq(conf_autodetect_off(c), 0);
    json_t *j = conf_to_json(c);
    ck_assert_str_eq(json_string_value(json_object_get(j, "GresTypes")), "gpu");
    ck_assert_str_eq(json_string_value(json_object_get(j, "AutoDetect")), "hwloc");
    json_decref(j);
    conf_destroy(c);
    c = load("AutoDetect=off\n", &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    ck_assert_int_eq(conf_autodetect_off(c), 1);
    conf_destroy(c);
}
END_TEST

static const struct { const char *text, *error; } bad[] = {
    /* GresTypes may come after the node line: the line is still named. */
    { "NodeName=n1 Gres=gpu:2\nGresTypes=gpu\nNodeName=n2 Port=7 Gres=mps:1\n",
      ":3: Gres=mps...: 'mps' is not in GresTypes (gpu)" },
    { "ClusterName=x\nNodeName=n1 Gres=gpu:a100:2\n",
      ":2: Gres=gpu...: 'gpu' is not in GresTypes (not set: add GresTypes=gpu)" },
    { "GresTypes=gpu,mps\n", ":1: bad value for GresTypes: 'mps' is not supported (only gpu)" },
    { "AutoDetect=nvml\n", ":1: bad value for AutoDetect" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:0\n", "the count must be from 1 to 256" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:a100:300\n", "the count must be from 1 to 256" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:a:200,gpu:b:100\n", "more than 256 in all" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:a:1,gpu:A:1\n", "gpu:A is given twice" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:a:b:1\n", "'gpu:a:b:1' is not NAME[:TYPE][:COUNT]" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:2(S:0-1)\n", "socket or core bindings" },
    { "GresTypes=gpu\nNodeName=n1 Gres=gpu:a*b:1\n", "'a*b' is not a type" },
};

START_TEST(gres_refused)
{
    sl_error_t e = { "" };
    conf_t *c = load(bad[_i].text, &e);
    ck_assert_msg(c == NULL, "'%s' should be refused", bad[_i].text);
    ck_assert_msg(strstr(e.text, bad[_i].error), "'%s': '%s' lacks '%s'", bad[_i].text, e.text,
                  bad[_i].error);
    ck_assert_msg(strstr(e.text, "/tmp/sluice-test-gres."), "no file named: %s", e.text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conf_gres");
    TCase *tc = tcase_create("conf_gres");
    tcase_add_test(tc, gres_parsed);
    tcase_add_loop_test(tc, gres_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
