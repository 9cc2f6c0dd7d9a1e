/* test_jobacct.c: usage arithmetic (samples, a node's tasks, the sum of a
 * step's nodes, JSON both ways) and Slurm's formats for sacct and seff. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jobacct.h"
#include "unit.h"

#define MiB (1024ull * 1024)

START_TEST(test_fmt_cpu)
{
    static const struct { uint64_t us; const char *want; } t[] = {
        { 0, "00:00:00" },
        { 1234000, "00:01.234" },
        { 1000000, "00:00:01" },
        { 999, "00:00:00" },           /* under a millisecond: no fraction */
        { 61500000, "01:01.500" },
        { 3600000000ull, "01:00:00" },
        { 3723456789ull, "01:02:03" }, /* an hour or more: no fraction */
        { 90061000000ull, "1-01:01:01" },
    };
    char buf[64];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_str_eq(jobacct_fmt_cpu(t[i].us, buf, sizeof(buf)), t[i].want);
    ck_assert_str_eq(jobacct_fmt_secs(75, buf, sizeof(buf)), "00:01:15");
}
END_TEST

START_TEST(test_fmt_bytes)
{
    static const struct { uint64_t b; char unit; const char *want; } t[] = {
        { 0, 0, "0" },
        { 1000, 0, "1000" },
        { 10686464, 0, "10436K" },      /* pages: exact in KiB only */
        { 100 * MiB, 0, "100M" },
        { 2048 * MiB, 0, "2G" },
        { 1536 * MiB, 0, "1536M" },
        { 100 * MiB, 'K', "102400K" },
        { 10686464, 'M', "10.19M" },
        { 2048 * MiB, 'G', "2G" },
    };
    char buf[64];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_str_eq(jobacct_fmt_bytes(t[i].b, t[i].unit, buf, sizeof(buf)), t[i].want);
}
END_TEST

START_TEST(test_fmt_kb)
{
    char buf[64];
    ck_assert_str_eq(jobacct_fmt_kb(0, buf, sizeof(buf)), "0.00 MB");
    ck_assert_str_eq(jobacct_fmt_kb(512, buf, sizeof(buf)), "512.00 KB");
    ck_assert_str_eq(jobacct_fmt_kb(113048, buf, sizeof(buf)), "110.40 MB");
    ck_assert_str_eq(jobacct_fmt_kb(1024.0 * 1024 * 3, buf, sizeof(buf)), "3.00 GB");
}
END_TEST

/* Samples: the peak, the mean over samples; a peak from rusage raises the
 * maximum without being a sample. */
START_TEST(test_samples)
{
    struct jobacct_task t[2] = { { 0 } };
    struct jobacct a;
    jobacct_task_sample(&t[0], 10 * MiB, 100 * MiB);
    jobacct_task_sample(&t[0], 30 * MiB, 120 * MiB);
    jobacct_task_sample(&t[0], 20 * MiB, 110 * MiB);
    jobacct_task_peak(&t[0], 25 * MiB);
    ck_assert_uint_eq(t[0].max_rss, 30 * MiB);
    ck_assert_uint_eq(t[0].samples, 3);
    jobacct_task_peak(&t[1], 50 * MiB);     /* too short for a sample */
    t[0].cpu_known = t[1].cpu_known = 1;
    t[0].cpu_us = 3000000;
    t[1].cpu_us = 1000000;
    jobacct_from_tasks(&a, t, 2, 4, 2500000, 1500000, "n2");
    ck_assert_uint_eq(a.ntasks, 2);
    ck_assert_uint_eq(a.max_rss, 50 * MiB);
    ck_assert_int_eq(a.max_rss_task, 5);
    ck_assert_uint_eq(a.max_vsize, 120 * MiB);
    ck_assert_int_eq(a.max_vsize_task, 4);
    ck_assert_uint_eq(a.tot_rss, 80 * MiB);
    /* (mean 20 MiB, peak-only 50 MiB) / 2 tasks */
    ck_assert_uint_eq(a.ave_rss, 35 * MiB);
    ck_assert_uint_eq(a.min_cpu_us, 1000000);
    ck_assert_int_eq(a.min_cpu_task, 5);
    ck_assert_str_eq(a.max_rss_node, "n2");
}
END_TEST

/* One task: everything the node reaped is its CPU time. */
START_TEST(test_one_task)
{
    struct jobacct_task t = { 0 };
    struct jobacct a;
    jobacct_task_sample(&t, 4096, 8192);
    jobacct_from_tasks(&a, &t, 1, 0, 700000, 300000, "n1");
    ck_assert_uint_eq(a.min_cpu_us, 1000000);
    ck_assert_uint_eq(a.ave_rss, 4096);
}
END_TEST

/* A step over two nodes: CPU and task peaks summed, max of max with its
 * node and task, the means weighted by tasks, the min of min. */
START_TEST(test_merge)
{
    struct jobacct_task t1[1] = { { 0 } }, t2[3] = { { 0 } };
    struct jobacct n1, n2, sum = { 0 };
    jobacct_task_sample(&t1[0], 40 * MiB, 100 * MiB);
    for (int i = 0; i < 3; i++) {
        jobacct_task_sample(&t2[i], (uint64_t)(i + 1) * 20 * MiB, 90 * MiB);
        t2[i].cpu_known = 1;
        t2[i].cpu_us = 500000u * (unsigned)(i + 1);
    }
    jobacct_from_tasks(&n1, t1, 1, 0, 2000000, 0, "n1");
    jobacct_from_tasks(&n2, t2, 3, 1, 3000000, 0, "n2");
    jobacct_merge(&sum, &n1);
    jobacct_merge(&sum, &n2);
    ck_assert_uint_eq(sum.ntasks, 4);
    ck_assert_uint_eq(sum.user_us, 5000000);
    ck_assert_uint_eq(sum.max_rss, 60 * MiB);
    ck_assert_str_eq(sum.max_rss_node, "n2");
    ck_assert_int_eq(sum.max_rss_task, 3);
    ck_assert_uint_eq(sum.max_vsize, 100 * MiB);
    ck_assert_str_eq(sum.max_vsize_node, "n1");
    ck_assert_uint_eq(sum.tot_rss, 160 * MiB);
    ck_assert_uint_eq(sum.ave_rss, 40 * MiB);   /* (40 + 20 + 40 + 60) / 4 */
    ck_assert_uint_eq(sum.min_cpu_us, 500000);
    ck_assert_int_eq(sum.min_cpu_task, 1);
    ck_assert_str_eq(sum.min_cpu_node, "n2");

    /* The same through JSON, as srun sums the nodes' NODE_DONE objects. */
    json_t *v[3] = { jobacct_to_json(&n1), json_string("junk"), jobacct_to_json(&n2) };
    json_t *m = jobacct_merge_json(v, 3);
    struct jobacct back;
    ck_assert_int_eq(jobacct_from_json(m, &back), 0);
    ck_assert_int_eq(memcmp(&back, &sum, sizeof(sum)), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "ave_cpu")), 1250000);
    ck_assert_int_eq(jobacct_from_json(v[1], &back), -1);
    ck_assert_ptr_null(jobacct_merge_json(v + 1, 1));
    for (int i = 0; i < 3; i++)
        json_decref(v[i]);
    json_decref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobacct");
    TCase *tc = tcase_create("jobacct");

    tcase_add_test(tc, test_fmt_cpu);
    tcase_add_test(tc, test_fmt_bytes);
    tcase_add_test(tc, test_fmt_kb);
    tcase_add_test(tc, test_samples);
    tcase_add_test(tc, test_one_task);
    tcase_add_test(tc, test_merge);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
