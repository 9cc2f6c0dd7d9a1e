/* test_mnp.c: multinode job definitions (src/ctld/mnp.c): AWS's targetNodes
 * ranges, the checks of nodeProperties with their messages, the range of a
 * node, the largest resource, and the plan the driver reads. */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mnp.h"
#include "unit.h"

START_TEST(test_range_forms)
{
    static const struct {
        const char *text;
        long first, last;
    } ok[] = { { "0:1", 0, 1 }, { "2:", 2, 4 }, { ":3", 0, 3 }, { "4", 4, 4 }, { "0:4", 0, 4 },
               { "3:3", 3, 3 } };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long a = -1, b = -1;
        sl_error_t e = { "" };
        ck_assert_int_eq(mnp_range_parse(ok[i].text, 5, &a, &b, &e), 0);
        ck_assert_int_eq(a, ok[i].first);
        ck_assert_int_eq(b, ok[i].last);
    }
}
END_TEST

START_TEST(test_range_errors)
{
    static const struct {
        const char *text, *msg;
    } bad[] = { { "", "must be a range" }, { ":", "is not a range" }, { "a:1", "is not a range" },
                { "1:x", "is not a range" }, { "-1:2", "is not a range" },
                { "3:1", "ends before it starts" }, { "0:5", "names node 5 but numNodes is 5" },
                { "7", "names node 7" }, { "1:2:3", "is not a range" },
                { "99999999999999999999999", "is not a range" } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long a, b;
        sl_error_t e = { "" };
        ck_assert_int_lt(mnp_range_parse(bad[i].text, 5, &a, &b, &e), 0);
        ck_assert_msg(strstr(e.text, bad[i].msg), "%s: %s", bad[i].text, e.text);
    }
    ck_assert_int_lt(mnp_range_parse(NULL, 5, NULL, NULL, NULL), 0);
}
END_TEST

static json_t *np_of(const char *text)
{
    json_error_t je;
    json_t *np = json_loads(text, 0, &je);
    ck_assert_msg(np != NULL, "%s: %s", text, je.text);
    return np;
}

#define C(cmd) "{\"command\": [\"" cmd "\"]}"

START_TEST(test_check_good)
{
    json_t *np = np_of("{\"numNodes\": 4, \"mainNode\": 2, \"nodeRangeProperties\": ["
                       "{\"targetNodes\": \":1\", \"container\": " C("a") "},"
                       "{\"targetNodes\": \"2\", \"container\": {\"command\": [\"m\"], "
                       "\"resourceRequirements\": [{\"type\": \"VCPU\", \"value\": \"3\"}]}},"
                       "{\"targetNodes\": \"3:\", \"container\": {\"command\": [\"c\"], "
                       "\"resourceRequirements\": [{\"type\": \"MEMORY\", \"value\": \"512\"}]}}]}");
    sl_error_t e = { "" };
    ck_assert_msg(mnp_check(np, &e) == 0, "%s", e.text);
    json_t *r = mnp_range_of(np, 2);
    ck_assert_str_eq(json_string_value(json_object_get(r, "targetNodes")), "2");
    ck_assert_ptr_eq(mnp_range_of(np, 0), mnp_range_of(np, 1));
    ck_assert_ptr_null(mnp_range_of(np, 4));
    ck_assert_int_eq(mnp_max_resource(np, "VCPU"), 3);
    ck_assert_int_eq(mnp_max_resource(np, "MEMORY"), 512);
    ck_assert_int_eq(mnp_max_resource(np, "GPU"), 0);
    json_decref(np);
}
END_TEST

START_TEST(test_check_errors)
{
    static const struct {
        const char *np, *msg;
    } bad[] = {
        { "[]", "needs nodeProperties" },
        { "{\"numNodes\": 0, \"mainNode\": 0, \"nodeRangeProperties\": []}", "numNodes" },
        { "{\"numNodes\": \"2\", \"mainNode\": 0}", "numNodes" },
        { "{\"numNodes\": 2, \"mainNode\": 2}", "mainNode must be a node index from 0 to 1" },
        { "{\"numNodes\": 2, \"mainNode\": -1}", "mainNode" },
        { "{\"numNodes\": 2, \"mainNode\": 0}", "must be a non-empty list" },
        { "{\"numNodes\": 6, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"1\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"2\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"3\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"4\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"5\", \"container\": " C("a") "}]}", "6 ranges: at most 5" },
        { "{\"numNodes\": 3, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0:1\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"1:\", \"container\": " C("a") "}]}", "node 1 is in more than one" },
        { "{\"numNodes\": 3, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0\", \"container\": " C("a") "},"
          "{\"targetNodes\": \"2\", \"container\": " C("a") "}]}", "node 1 is in none" },
        { "{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0\"}]}", "needs nodeRangeProperties[0].container" },
        { "{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0\", \"container\": {\"command\": [1]}}]}",
          "nodeRangeProperties[0].container.command must hold strings only" },
        { "{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"targetNodes\": \"0\", \"container\": {\"command\": [\"x\"], "
          "\"resourceRequirements\": [{\"type\": \"VCPU\", \"value\": \"0\"}]}}]}",
          "must be a positive number" },
        { "{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": ["
          "{\"container\": " C("a") "}]}", "targetNodes must be a range" },
        { "{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": [7]}",
          "targetNodes must be a range" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *np = np_of(bad[i].np);
        sl_error_t e = { "" };
        ck_assert_int_lt(mnp_check(np, &e), 0);
        ck_assert_msg(strstr(e.text, bad[i].msg), "%zu: '%s' lacks '%s'", i, e.text, bad[i].msg);
        json_decref(np);
    }
}
END_TEST

static char *upper(const char *word, void *arg, sl_error_t *e)
{
    (void)arg;
    if (!strcmp(word, "fail")) {
        sl_errprintf(e, "unresolved parameter Ref::x");
        return NULL;
    }
    char *s = strdup(word);
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    return s;
}

START_TEST(test_plan)
{
    json_t *np = np_of("{\"numNodes\": 3, \"mainNode\": 1, \"nodeRangeProperties\": ["
                       "{\"targetNodes\": \"1:\", \"container\": {\"command\": [\"run\", \"it\"], "
                       "\"environment\": [{\"name\": \"K\", \"value\": \"v\"}], "
                       "\"resourceRequirements\": [{\"type\": \"VCPU\", \"value\": \"2\"}, "
                       "{\"type\": \"MEMORY\", \"value\": \"100\"}]}},"
                       "{\"targetNodes\": \"0\", \"container\": " C("x") "}]}");
    sl_error_t e = { "" };
    json_t *over = np_of("{\"K\": \"over\", \"N\": \"new\"}");
    char *text = mnp_plan(np, over, upper, NULL, &e);
    json_decref(over);
    ck_assert_msg(text != NULL, "%s", e.text);
    json_t *plan = np_of(text);
    json_t *expect = np_of("{\"num_nodes\": 3, \"main_node\": 1, \"ranges\": ["
                           "{\"first\": 1, \"last\": 2, \"command\": [\"RUN\", \"IT\"], "
                           "\"env\": {\"K\": \"over\", \"N\": \"new\"}, \"vcpus\": 2, \"mem_mb\": 100},"
                           "{\"first\": 0, \"last\": 0, \"command\": [\"X\"], "
                           "\"env\": {\"K\": \"over\", \"N\": \"new\"}, "
                           "\"vcpus\": 0, \"mem_mb\": 0}]}");
    ck_assert_msg(json_equal(plan, expect), "%s", text);
    free(text);
    json_decref(plan);
    json_decref(expect);
    json_decref(np);
    np = np_of("{\"numNodes\": 1, \"mainNode\": 0, \"nodeRangeProperties\": ["
               "{\"targetNodes\": \"0\", \"container\": " C("fail") "}]}");
    ck_assert_ptr_null(mnp_plan(np, NULL, upper, NULL, &e));
    ck_assert_str_eq(e.text, "unresolved parameter Ref::x");
    json_decref(np);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mnp");
    TCase *tc = tcase_create("mnp");
    tcase_add_test(tc, test_range_forms);
    tcase_add_test(tc, test_range_errors);
    tcase_add_test(tc, test_check_good);
    tcase_add_test(tc, test_check_errors);
    tcase_add_test(tc, test_plan);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
