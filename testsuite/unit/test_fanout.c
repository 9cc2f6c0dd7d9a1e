/* test_fanout.c: the split of a step's nodes into launch subtrees
 * (fanout.h): every node exactly once, at most width children per sender,
 * and a depth that grows with log(nodes). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fanout.h"
#include "unit.h"

#define MAXN 200

/* Launch nodes [lo, lo + n) from one sender at depth (srun: 0), as srun and
 * each sluiced do: the first node of each subtree gets the launch and sends
 * the rest on.  Counts each node's launches in seen; returns the depth of the
 * deepest node. */
static int walk(size_t lo, size_t n, size_t width, int depth, int *seen)
{
    size_t first[MAXN], count[MAXN], k = fanout_split(n, width, first, count);
    int deepest = depth, at = 0;

    ck_assert_uint_le(k, width ? width : 1);
    ck_assert_uint_eq(k, n < width ? n : width);
    for (size_t i = 0; i < k; i++) {
        ck_assert_uint_eq(first[i], (size_t)at);          /* contiguous, in order */
        ck_assert_uint_ge(count[i], 1);
        ck_assert_uint_le(count[i] - count[k - 1], 1);    /* even: larger ones first */
        at += (int)count[i];
        seen[lo + first[i]]++;
        int d = walk(lo + first[i] + 1, count[i] - 1, width, depth + 1, seen);
        if (d > deepest)
            deepest = d;
    }
    ck_assert_uint_eq((size_t)at, n);
    return deepest;
}

START_TEST(test_split_every_node_once)
{
    static const size_t widths[] = { 1, 2, 3, 50 };

    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        for (size_t n = 1; n <= MAXN; n++) {
            int seen[MAXN] = { 0 };
            size_t width = widths[w];
            int depth = walk(0, n, width, 0, seen);

            for (size_t i = 0; i < n; i++)
                ck_assert_msg(seen[i] == 1, "width %zu, %zu nodes: node %zu launched %d times",
                              width, n, i, seen[i]);
            if (width == 1) {
                ck_assert_int_eq(depth, (int)n);          /* a chain */
            } else {
                int bound = (int)ceil(log((double)n) / log((double)width) - 1e-9) + 1;
                ck_assert_msg(depth <= bound, "width %zu, %zu nodes: depth %d > %d", width, n,
                              depth, bound);
            }
            if (n <= width)
                ck_assert_int_eq(depth, 1);               /* srun contacts every node */
        }
    }
}
END_TEST

START_TEST(test_split_edges)
{
    size_t first[4], count[4];

    ck_assert_uint_eq(fanout_split(0, 2, first, count), 0);
    ck_assert_uint_eq(fanout_split(5, 0, first, count), 1);   /* width 0 counts as 1 */
    ck_assert_uint_eq(count[0], 5);
    ck_assert_uint_eq(fanout_split(7, 3, first, count), 3);
    ck_assert_uint_eq(count[0], 3);
    ck_assert_uint_eq(count[1], 2);
    ck_assert_uint_eq(count[2], 2);
    ck_assert_uint_eq(first[2], 5);
}
END_TEST

static json_t *addrs(size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%zu", i + 1);
        json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "name", name, "host",
                                           "127.0.0.1", "port", 7000 + (int)i));
    }
    return a;
}

START_TEST(test_plan_bodies)
{
    json_t *base = json_pack("{s:s, s:[s]}", "cred", "C", "argv", "true"), *nodes = addrs(6);
    size_t count = 0;
    sl_error_t e;
    struct fanout_send *s = fanout_plan(base, nodes, 2, 30, &count, &e);

    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(s[0].name, "n1");
    ck_assert_str_eq(s[1].name, "n4");
    ck_assert_int_eq(s[1].port, 7003);
    ck_assert_str_eq(json_string_value(json_object_get(s[1].body, "node")), "n4");
    ck_assert_int_eq(json_integer_value(json_object_get(s[1].body, "tree_width")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(s[1].body, "cred")), "C");
    json_t *fwd = json_object_get(s[1].body, "forward");
    ck_assert_uint_eq(json_array_size(fwd), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fwd, 0), "name")), "n5");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fwd, 1), "name")), "n6");
    ck_assert_ptr_null(json_object_get(base, "node"));       /* base untouched */
    fanout_plan_free(s, count);

    /* A leaf's body has no forward at all. */
    s = fanout_plan(base, nodes, 50, 30, &count, &e);
    ck_assert_uint_eq(count, 6);
    for (size_t i = 0; i < count; i++)
        ck_assert_ptr_null(json_object_get(s[i].body, "forward"));
    fanout_plan_free(s, count);

    /* An entry without a port is refused, naming it. */
    json_object_del(json_array_get(nodes, 3), "port");
    ck_assert_ptr_null(fanout_plan(base, nodes, 2, 30, &count, &e));
    ck_assert_ptr_nonnull(strstr(e.text, "node 3"));
    json_decref(nodes);
    json_decref(base);
}
END_TEST

START_TEST(test_send_unreachable_fails_the_subtree)
{
    /* Port 1 on loopback: nobody listens, the connection is refused at once. */
    json_t *base = json_pack("{s:s}", "cred", "C"), *nodes = addrs(3);
    size_t count = 0;
    sl_error_t e;
    json_object_set_new(json_array_get(nodes, 0), "port", json_integer(1));
    struct fanout_send *s = fanout_plan(base, nodes, 1, 5, &count, &e);
    json_t *failed = json_array();

    ck_assert_uint_eq(count, 1);
    s[0].cred = strdup("x");
    fanout_run_all(s, count, failed);
    ck_assert_uint_eq(json_array_size(failed), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(failed, 0), "node")), "n1");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_array_get(failed, 0),
                                                                   "error")), "cannot connect"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(failed, 2), "node")), "n3");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_array_get(failed, 2),
                                                                   "error")), "through node n1"));
    json_decref(failed);
    fanout_plan_free(s, count);
    json_decref(nodes);
    json_decref(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fanout");
    TCase *tc = tcase_create("fanout");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_split_every_node_once);
    tcase_add_test(tc, test_split_edges);
    tcase_add_test(tc, test_plan_bodies);
    tcase_add_test(tc, test_send_unreachable_fails_the_subtree);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
