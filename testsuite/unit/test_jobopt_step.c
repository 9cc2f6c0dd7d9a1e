/* test_jobopt_step.c: the option table as srun and salloc see it: their
 * own options (kept in o->local), what OpenMPI's Slurm launcher passes,
 * options refused until their issue is done, SLURM_* input variables, and
 * options of one command that the others must not take. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobopt.h"
#include "unit.h"

#define MAXARGS 24

static int mkargv(const char *prog, const char *const *args, char **argv)
{
    int n = 0;
    argv[n++] = (char *)prog;
    for (; *args && n < MAXARGS - 1; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return n;
}

static void assert_json(const json_t *got, const char *want, const char *what)
{
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_msg(w != NULL, "bad expected JSON '%s': %s", want, je.text);
    ck_assert_msg(json_equal(got, w), "%s: got %s, want %s", what, g, want);
    free(g);
    json_decref(w);
}

static const struct {
    const char *args[MAXARGS];
    const char *spec;     /* expected o->spec */
    const char *local;    /* expected o->local */
    int index;            /* first non-option argument */
} srun_ok[] = {
    { { "-N2", "-n4", "-l", "hostname", NULL },
      "{\"nodes_min\":2,\"nodes_max\":2,\"ntasks\":4}", "{\"label\":true}", 4 },
    /* OpenMPI 4.1's plm/slurm, word for word (and --mpi=none of others). */
    { { "--ntasks-per-node=1", "--kill-on-bad-exit", "--cpu_bind=none", "--nodes=2",
        "--nodelist=n[1-2]", "--ntasks=2", "orted", "-mca", "ess", "slurm", NULL },
      "{\"ntasks_per_node\":1,\"nodes_min\":2,\"nodes_max\":2,\"nodelist\":\"n[1-2]\","
      "\"ntasks\":2}", "{\"kill_on_bad_exit\":true,\"cpu_bind\":\"none\"}", 7 },
    { { "--cpu-bind=verbose,map_cpu:1,0", "-m", "*:cyclic", NULL },
      "{}", "{\"cpu_bind\":\"verbose,map_cpu:1,0\",\"distribution\":\"*:cyclic\"}", 4 },
    { { "--mpi=none", "--cpu-bind=none", "-K1", "orted", NULL },
      "{}", "{\"mpi\":\"none\",\"cpu_bind\":\"none\",\"kill_on_bad_exit\":true}", 4 },
    { { "--mpi=pmix_v4", "-K0", "-u", "-W", "5", "a.out", NULL },
      "{}", "{\"mpi\":\"pmix\",\"kill_on_bad_exit\":false,\"unbuffered\":true,\"wait\":5}", 6 },
    { { "--mpi=list", NULL }, "{}", "{\"mpi\":\"list\"}", 2 },
    { { "-o", "out.%j.%t", "-e", "err.%s", "-i", "all", "--multi-prog", "mp.conf", NULL },
      "{}", "{\"output\":\"out.%j.%t\",\"error\":\"err.%s\",\"input\":\"all\","
      "\"multi_prog\":true}", 8 },
    { { "--overlap", "--exclusive", "-v", "-v", "-Q", "--cpu-bind=q", "-m", "block:cyclic",
        "x", NULL },
      "{\"exclusive\":true}", "{\"overlap\":true,\"verbose\":2,\"quiet\":true,"
      "\"cpu_bind\":\"q\",\"distribution\":\"block:cyclic\"}", 9 },
    { { "-c", "2", "--mem=100", "-t", "5", "-J", "step", "-p", "batch", "-x", "n3", "a", NULL },
      "{\"cpus_per_task\":2,\"mem_mb\":100,\"time_limit\":300,\"name\":\"step\","
      "\"partition\":\"batch\",\"exclude\":\"n3\"}", "{}", 12 },
    { { "--open-mode=t", "x", NULL }, "{}", "{\"open_mode\":\"truncate\"}", 2 },
    { { "--export=NONE,A=1", "--chdir=/tmp", "hostname", NULL },
      "{\"cwd\":\"/tmp\"}", "{\"export\":\"NONE,A=1\"}", 3 },
    { { "--pty", "bash", NULL }, "{}", "{\"pty\":true}", 2 },
    /* Options end at the program: its own options follow. */
    { { "-n1", "prog", "-l", "-N", "9", NULL }, "{\"ntasks\":1}", "{}", 2 },
};

START_TEST(test_srun_argv)
{
    for (size_t i = 0; i < sizeof(srun_ok) / sizeof(srun_ok[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv("srun", srun_ok[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SRUN);
        int rc = jobopt_parse_argv(o, argc, argv, &e);
        ck_assert_msg(rc == srun_ok[i].index, "case %zu: rc %d (%s)", i, rc, e.text);
        assert_json(o->spec, srun_ok[i].spec, srun_ok[i].args[0]);
        assert_json(o->local, srun_ok[i].local, srun_ok[i].args[0]);
        jobopt_destroy(o);
    }
}
END_TEST

static const struct {
    unsigned cmd;
    const char *args[MAXARGS];
    const char *error;
} bad[] = {
    { JOBOPT_SRUN, { "--mpi=unknown", NULL },
      "Invalid MPI type 'unknown', --mpi=list for acceptable types" },
    { JOBOPT_SRUN, { "--signal=USR1", NULL }, "--signal is not supported yet" },
    { JOBOPT_SRUN, { "--cpu-bind=ldoms", NULL },
      "--cpu-bind=ldoms is not supported (none, threads, cores, sockets, map_cpu:LIST, "
      "mask_cpu:LIST, verbose, quiet)" },
    { JOBOPT_SRUN, { "--cpu-bind=verbose,map_cpu:x", NULL },
      "--cpu-bind: map_cpu entry 'x' is not a CPU number" },
    { JOBOPT_SBATCH, { "--cpu-bind=mask_cpu:0xz", NULL },
      "--cpu-bind: mask '0xz' is not a hexadecimal CPU mask" },
    { JOBOPT_SRUN, { "-m", "cyclic", NULL },
      "--distribution=cyclic is not supported yet (tasks are placed block-wise over the "
      "nodes; the CPU level after ':' may be block or cyclic)" },
    { JOBOPT_SRUN, { "-m", "block:plane", NULL },
      "--distribution=block:plane: the CPU level must be block or cyclic" },
    { JOBOPT_SRUN, { "--distribution=zigzag", NULL },
      "Invalid --distribution specification: 'zigzag'" },
    { JOBOPT_SRUN, { "-K2", NULL }, "Invalid --kill-on-bad-exit specification: '2'" },
    { JOBOPT_SRUN, { "-W", "-1", NULL }, "Invalid --wait specification: '-1'" },
    { JOBOPT_SRUN, { "--gpus-per-task=x", NULL }, "Invalid --gpus-per-task specification: 'x'" },
    { JOBOPT_SRUN, { "-a", "1-3", NULL }, "invalid option -- 'a'" },
    { JOBOPT_SRUN, { "--wrap=x", NULL }, "unrecognized option '--wrap=x'" },
    { JOBOPT_SRUN, { "--frobnicate", NULL }, "unrecognized option '--frobnicate'" },
    { JOBOPT_SRUN, { "--open-mode=a", NULL },
      "--open-mode=append is not supported yet by srun (a step's output files are "
      "truncated)" },
    { JOBOPT_SRUN, { "--signal=USR1@60", NULL }, "--signal is not supported yet" },
    { JOBOPT_SALLOC, { "--signal=USR1", NULL }, "--signal is not supported yet" },
    { JOBOPT_SRUN, { "--requeue", NULL }, "unrecognized option '--requeue'" },
    { JOBOPT_SALLOC, { "--open-mode=append", NULL },
      "unrecognized option '--open-mode=append'" },
    { JOBOPT_SALLOC, { "-l", NULL }, "invalid option -- 'l'" },
    { JOBOPT_SALLOC, { "--mpi=pmix", NULL }, "unrecognized option '--mpi=pmix'" },
    { JOBOPT_SALLOC, { "-o", "x", NULL }, "invalid option -- 'o'" },
    { JOBOPT_SBATCH, { "--label", NULL }, "unrecognized option '--label'" },
    { JOBOPT_SBATCH, { "-K", NULL }, "invalid option -- 'K'" },
};

START_TEST(test_bad)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv("x", bad[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(bad[i].cmd);
        ck_assert_msg(jobopt_parse_argv(o, argc, argv, &e) == -1, "case %zu accepted", i);
        ck_assert_str_eq(e.text, bad[i].error);
        jobopt_destroy(o);
    }
}
END_TEST

/* sbatch's -W is a flag, srun's takes seconds: one name, two entries. */
START_TEST(test_same_letter)
{
    const char *sb[] = { "-W", "x.sh", NULL }, *sr[] = { "-W", "7", "x", NULL };
    char *argv[MAXARGS];
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_parse_argv(o, mkargv("sbatch", sb, argv), argv, &e), 2);
    ck_assert(jobopt_flag(o, "wait"));
    jobopt_destroy(o);
    o = jobopt_create(JOBOPT_SRUN);
    ck_assert_int_eq(jobopt_parse_argv(o, mkargv("srun", sr, argv), argv, &e), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(o->local, "wait")), 7);
    jobopt_destroy(o);
}
END_TEST

static const char *srun_env(const char *name)
{
    static const char *vars[][2] = {
        { "SLURM_LABELIO", "1" }, { "SLURM_UNBUFFEREDIO", "1" },
        { "SLURM_MPI_TYPE", "pmix" }, { "SLURM_CPU_BIND", "quiet,none" },
        { "SLURM_EXPORT_ENV", "ALL" }, { "SLURM_PARTITION", "p2" },
        { "SLURM_STDOUTMODE", "o.%t" }, { "SLURM_OVERLAP", "1" },
        { "SBATCH_PARTITION", "not-srun's" },
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(vars[i][0], name) == 0)
            return vars[i][1];
    return NULL;
}

START_TEST(test_srun_env)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SRUN);
    ck_assert_msg(jobopt_parse_env(o, srun_env, &e) == 0, "%s", e.text);
    assert_json(o->spec, "{\"partition\":\"p2\"}", "srun spec");
    assert_json(o->local, "{\"label\":true,\"unbuffered\":true,\"mpi\":\"pmix\","
                          "\"cpu_bind\":\"quiet,none\",\"export\":\"ALL\","
                          "\"output\":\"o.%t\",\"overlap\":true}", "srun local");
    jobopt_destroy(o);
}
END_TEST

START_TEST(test_mpi_types)
{
    const char *const *t = jobopt_mpi_types();
    ck_assert_str_eq(t[0], "none");
    ck_assert_str_eq(t[1], "pmix");
}
END_TEST

START_TEST(test_help)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    jobopt_t *o = jobopt_create(JOBOPT_SRUN);
    jobopt_help(o, m);
    fclose(m);
    ck_assert_ptr_nonnull(strstr(text, "Usage: srun"));
    ck_assert_ptr_nonnull(strstr(text, "  -l, --label"));
    ck_assert_ptr_nonnull(strstr(text, "  -W, --wait=sec"));
    ck_assert_ptr_nonnull(strstr(text, "  -K, --kill-on-bad-exit[=0|1]"));
    ck_assert_ptr_null(strstr(text, "--wrap"));
    ck_assert_ptr_null(strstr(text, "--parsable"));
    free(text);
    jobopt_destroy(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobopt_step");
    TCase *tc = tcase_create("jobopt_step");

    tcase_add_test(tc, test_srun_argv);
    tcase_add_test(tc, test_bad);
    tcase_add_test(tc, test_same_letter);
    tcase_add_test(tc, test_srun_env);
    tcase_add_test(tc, test_mpi_types);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
