/* test_hetsplit.c: heterogeneous job components from "#SBATCH hetjob"
 * lines and ":" words. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hetsplit.h"
#include "jobopt.h"
#include "unit.h"

static const char *const script =
    "#!/bin/sh\n"
    "#SBATCH -N1 -J lead\n"
    "#SBATCH hetjob\n"
    "#SBATCH -N2\n"
    "#SBATCH packjob # older name\n"
    "#SBATCH -n4\n"
    "echo hi\n"
    "#SBATCH hetjob\n";   /* after the first command: not a directive */

START_TEST(test_script)
{
    ck_assert_uint_eq(hetsplit_script_count(script), 3);
    ck_assert_uint_eq(hetsplit_script_count("#!/bin/sh\n#SBATCH -N1\ntrue\n"), 1);
    ck_assert_uint_eq(hetsplit_script_count("#!/bin/sh\n#SBATCH hetjobs\n"), 1);
    for (size_t k = 0; k < 3; k++) {
        char *p = hetsplit_script_part(script, k);
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        sl_error_t e = { "" };
        ck_assert_uint_eq(strlen(p), strlen(script));   /* line numbers kept */
        ck_assert_msg(jobopt_parse_script(o, p, &e) == 0, "part %zu: %s", k, e.text);
        json_t *nn = json_object_get(o->spec, "nodes_min"), *nt = json_object_get(o->spec, "ntasks");
        ck_assert_int_eq(json_integer_value(nn), k == 0 ? 1 : k == 1 ? 2 : 0);
        ck_assert_int_eq(json_integer_value(nt), k == 2 ? 4 : 0);
        ck_assert_int_eq(json_object_get(o->spec, "name") != NULL, k == 0);
        jobopt_destroy(o);
        free(p);
    }
}
END_TEST

START_TEST(test_argv)
{
    char *argv[] = { "sbatch", "-N1", ":", "-N2", "-n", "4", ":", "-c2", "job.sh", ":", "x", NULL };
    int starts[8];
    size_t n = 0;
    sl_error_t e = { "" };
    int idx = hetsplit_argv(JOBOPT_SBATCH, 11, argv, starts, 8, &n, &e);
    ck_assert_msg(idx == 8, "%d: %s", idx, e.text);   /* ":" after the script is an argument */
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(starts[0], 0);
    ck_assert_int_eq(starts[1], 2);
    ck_assert_int_eq(starts[2], 6);
    char *plain[] = { "sbatch", "-N1", "job.sh", NULL };
    ck_assert_int_eq(hetsplit_argv(JOBOPT_SBATCH, 3, plain, starts, 8, &n, &e), 2);
    ck_assert_uint_eq(n, 1);
    char *bad[] = { "sbatch", "-N1", ":", "--bogus", "job.sh", NULL };
    ck_assert_int_eq(hetsplit_argv(JOBOPT_SBATCH, 5, bad, starts, 8, &n, &e), -1);
    char *many[] = { "sbatch", ":", ":", ":", "job.sh", NULL };
    ck_assert_int_eq(hetsplit_argv(JOBOPT_SBATCH, 5, many, starts, 3, &n, &e), -1);
    ck_assert_msg(strstr(e.text, "at most 3"), "%s", e.text);
}
END_TEST

START_TEST(test_colon)
{
    char *argv[] = { "srun", "-n1", "a", "x", ":", "-n2", "b", ":", "c", NULL };
    int starts[8];
    size_t n = 0;
    sl_error_t e = { "" };
    ck_assert_int_eq(hetsplit_colon(9, argv, starts, 8, &n, &e), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(starts[0], 0);
    ck_assert_int_eq(starts[1], 4);
    ck_assert_int_eq(starts[2], 7);
    char *plain[] = { "srun", "hostname", NULL };
    ck_assert_int_eq(hetsplit_colon(2, plain, starts, 8, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    char *empty[] = { "srun", "-n1", ":", ":", "b", NULL };
    ck_assert_int_eq(hetsplit_colon(5, empty, starts, 8, &n, &e), -1);
    char *trail[] = { "srun", "a", ":", NULL };
    ck_assert_int_eq(hetsplit_colon(3, trail, starts, 8, &n, &e), -1);
    char *many[] = { "srun", "a", ":", "b", ":", "c", NULL };
    ck_assert_int_eq(hetsplit_colon(6, many, starts, 2, &n, &e), -1);
    ck_assert_msg(strstr(e.text, "at most 2"), "%s", e.text);
}
END_TEST

START_TEST(test_groups)
{
    unsigned out[8];
    size_t n = 0;
    sl_error_t e = { "" };
    ck_assert_int_eq(hetsplit_groups("0,1", 3, out, 8, &n, &e), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(out[1], 1);
    ck_assert_int_eq(hetsplit_groups("2,0-1,1", 3, out, 8, &n, &e), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[2], 2);
    ck_assert_int_eq(hetsplit_groups("1", 2, out, 8, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(hetsplit_groups("0,2", 2, out, 8, &n, &e), -1);
    ck_assert_msg(strstr(e.text, "component 2 does not exist"), "%s", e.text);
    ck_assert_int_eq(hetsplit_groups("1-0", 2, out, 8, &n, &e), -1);
    ck_assert_int_eq(hetsplit_groups("0,", 2, out, 8, &n, &e), -1);
    ck_assert_int_eq(hetsplit_groups("a", 2, out, 8, &n, &e), -1);
    ck_assert_int_eq(hetsplit_groups("", 2, out, 8, &n, &e), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hetsplit");
    TCase *tc = tcase_create("hetsplit");
    tcase_add_test(tc, test_script);
    tcase_add_test(tc, test_argv);
    tcase_add_test(tc, test_colon);
    tcase_add_test(tc, test_groups);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
