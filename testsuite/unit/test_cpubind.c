/* Unit tests: per-task CPU sets (cpubind.c, cpubind_plan.c): --cpu-bind
 * parsing, each mode, the within-node distribution, and hwloc's numbering
 * where the second threads of cores come after all first threads. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cpubind.h"
#include "unit.h"

/* Each task's OS list, joined with '|'. */
static char *plan_str(const struct cpubind_req *r, sl_error_t *e)
{
    struct cpubind_plan p;
    char buf[1024] = "";

    if (cpubind_plan(r, &p, e) < 0)
        return NULL;
    for (uint32_t i = 0; i < p.ntasks; i++) {
        char *s = idset_encode(p.task_os[i]);
        strcat(buf, i ? "|" : "");
        strcat(buf, s);
        free(s);
    }
    cpubind_plan_free(&p);
    return strdup(buf);
}

/* 2 sockets x 2 cores x 2 threads; OS numbering as hwloc often has it:
 * logical 0,1 (core 0) = OS 0,4; logical 2,3 = OS 1,5; ... */
static topo_t *topo_ht(void)
{
    sl_error_t e;
    topo_t *t = topo_synth(2, 2, 2, &e);
    for (uint32_t i = 0; i < t->ncpus; i++)
        t->os_index[i] = (i % 2) * 4 + i / 2;
    return t;
}

static const struct {
    const char *cpu_ids, *bind, *dist;
    uint32_t ntasks, cpt;
    int whole;
    const char *want;
} cases[] = {
    /* a batch job: one task, the whole allocation */
    { "0-1,4-5", NULL, NULL, 1, 1, 1, "0-1,4-5" },
    { "0-1,4-5", "cores", NULL, 4, 1, 1, "0-1,4-5" },
    /* threads: one CPU each, in logical (socket, core, thread) order */
    { "0-1,4-5", "threads", NULL, 4, 1, 0, "0|4|1|5" },
    /* cores: widened to both threads of the core */
    { "0-1,4-5", "cores", NULL, 2, 1, 0, "0,4|1,5" },
    { "0-1,4-5", NULL, NULL, 2, 1, 0, "0,4|1,5" },
    /* sockets: the whole socket's share of the allocation */
    { "0,2,4,6", "sockets", NULL, 2, 1, 0, "0,4|2,6" },
    { "0-7", "sockets", "block:cyclic", 2, 1, 0, "0-1,4-5|2-3,6-7" },
    /* cyclic across sockets: task 0 on socket 0, task 1 on socket 1 */
    { "0-7", "threads", "block:cyclic", 2, 1, 0, "0|2" },
    { "0-7", "threads", "*:block", 2, 1, 0, "0|4" },
    /* more tasks than CPUs wrap around */
    { "0,4", "threads", NULL, 3, 1, 0, "0|4|0" },
    { "0-7", "none", NULL, 2, 1, 0, "0-7|0-7" },
    { "0-7", "map_cpu:5,1", NULL, 3, 1, 0, "5|1|5" },
    { "0-7", "verbose,mask_cpu:0x3,0xc0", NULL, 2, 1, 0, "0-1|6-7" },
    { "0-7", "mask_cpu:0x3", NULL, 1, 1, 1, "0-1" },
    { "0-7", "threads", NULL, 2, 2, 0, "0,4|1,5" },
};

START_TEST(modes)
{
    topo_t *t = topo_ht();
    sl_error_t e = { "" };
    struct cpubind_req r = { .topo = t, .cpu_ids = cases[_i].cpu_ids,
                             .cpu_bind = cases[_i].bind, .distribution = cases[_i].dist,
                             .ntasks = cases[_i].ntasks, .cpus_per_task = cases[_i].cpt,
                             .whole = cases[_i].whole };
    char *got = plan_str(&r, &e);
    ck_assert_msg(got != NULL, "case %d: %s", _i, e.text);
    ck_assert_msg(strcmp(got, cases[_i].want) == 0, "case %d: got %s, want %s", _i, got,
                  cases[_i].want);
    free(got);
    topo_destroy(t);
}
END_TEST

START_TEST(no_topology)
{
    sl_error_t e = { "" };
    struct cpubind_req r = { .cpu_ids = "2-3", .cpu_bind = "threads", .ntasks = 2,
                             .cpus_per_task = 1 };
    char *got = plan_str(&r, &e);
    ck_assert_str_eq(got, "2|3");
    free(got);
}
END_TEST

static const struct {
    const char *cpu_ids, *bind, *dist, *msg;
} bad[] = {
    { "0-1", "ldoms", NULL, "--cpu-bind=ldoms is not supported" },
    { "0-1", "map_cpu:", NULL, "needs a list" },
    { "0-1", "map_cpu:x", NULL, "'x' is not a CPU number" },
    { "0-1", "mask_cpu:0xg", NULL, "not a hexadecimal" },
    { "0-1", "map_cpu:3", NULL, "CPU 3 (task 0) is not one of the job's CPUs" },
    { "0-1", NULL, "block:plane", "must be block or cyclic" },
    { "0-9", NULL, NULL, "names CPUs the node's topology does not have" },
};

START_TEST(refused)
{
    topo_t *t = topo_ht();
    sl_error_t e = { "" };
    struct cpubind_req r = { .topo = t, .cpu_ids = bad[_i].cpu_ids, .cpu_bind = bad[_i].bind,
                             .distribution = bad[_i].dist, .ntasks = 1, .cpus_per_task = 1 };
    char *got = plan_str(&r, &e);
    ck_assert_ptr_null(got);
    ck_assert_msg(strstr(e.text, bad[_i].msg) != NULL, "case %d: %s", _i, e.text);
    topo_destroy(t);
}
END_TEST

START_TEST(verbose_and_hex)
{
    struct cpubind_spec sp;
    sl_error_t e = { "" };
    ck_assert_int_eq(cpubind_parse("v,cores", &sp, &e), 0);
    ck_assert_int_eq(sp.verbose, 1);
    ck_assert_int_eq(sp.mode, CPUBIND_CORES);
    cpubind_spec_free(&sp);
    ck_assert_int_eq(cpubind_parse("verbose,q", &sp, &e), 0);
    ck_assert_int_eq(sp.verbose, 0);
    cpubind_spec_free(&sp);

    idset_t *s = idset_create(64);
    char *h = cpubind_hex(s);
    ck_assert_str_eq(h, "0x0");
    free(h);
    idset_set(s, 0);
    idset_set(s, 1);
    idset_set(s, 9);
    h = cpubind_hex(s);
    ck_assert_str_eq(h, "0x203");
    free(h);
    idset_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpubind");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, modes, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_loop_test(tc, refused, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, no_topology);
    tcase_add_test(tc, verbose_and_hex);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
