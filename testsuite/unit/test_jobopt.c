/* test_jobopt.c: the job option table: command lines, #SBATCH lines, input
 * variables, their precedence, bad values and --export.  Expected job specs
 * are written as JSON and compared whole. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobopt.h"

#define MAXARGS 16

/* argv from a NULL-ended list, "sbatch" first as getopt expects. */
static int mkargv(const char *const *args, char **argv)
{
    int n = 0;
    argv[n++] = (char *)"sbatch";
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
    int index;            /* expected first non-option index */
} argv_ok[] = {
    { { "-J", "x", "-p", "batch", "run.sh", "a1", NULL },
      "{\"name\":\"x\",\"partition\":\"batch\"}", 5 },
    { { "--job-name=y", "--account", "acct", "--comment=", NULL },
      "{\"name\":\"y\",\"account\":\"acct\",\"comment\":\"\"}", 5 },
    { { "-N", "2", "-n", "8", "--ntasks-per-node=4", "-c", "2", NULL },
      "{\"nodes_min\":2,\"nodes_max\":2,\"ntasks\":8,\"ntasks_per_node\":4,"
      "\"cpus_per_task\":2}", 8 },
    { { "-N", "2-4", NULL }, "{\"nodes_min\":2,\"nodes_max\":4}", 3 },
    { { "--mem=2G", NULL }, "{\"mem_mb\":2048}", 2 },
    { { "--mem=100", "--mem-per-cpu=1G", NULL }, "{\"mem_per_cpu_mb\":1024}", 3 },
    { { "-t", "1:30:00", NULL }, "{\"time_limit\":5400}", 3 },
    { { "-t", "10", NULL }, "{\"time_limit\":600}", 3 },
    { { "--time=2-0", NULL }, "{\"time_limit\":172800}", 2 },
    { { "-t", "UNLIMITED", NULL }, "{\"time_limit\":-1}", 3 },
    { { "-o", "out.%j", "-e", "err.%j", "-i", "/dev/null", NULL },
      "{\"stdout\":\"out.%j\",\"stderr\":\"err.%j\",\"stdin\":\"/dev/null\"}", 7 },
    { { "-H", "--exclusive", "--requeue", "--test-only", NULL },
      "{\"hold\":true,\"exclusive\":true,\"requeue\":true,\"test_only\":true}", 5 },
    { { "--requeue", "--no-requeue", NULL }, "{\"requeue\":false}", 3 },
    { { "-w", "n[1-2]", "-x", "n3", NULL }, "{\"nodelist\":\"n[1-2]\",\"exclude\":\"n3\"}", 5 },
    { { "--open-mode=append", NULL }, "{\"open_mode\":\"append\"}", 2 },
    { { "--open-mode", "t", NULL }, "{\"open_mode\":\"truncate\"}", 3 },
    { { "-D", "/tmp", "-q", "normal", "-C", "ib", NULL },
      "{\"cwd\":\"/tmp\",\"qos\":\"normal\",\"constraint\":\"ib\"}", 7 },
    { { "--mail-type=END", "--mail-user=a@b", "--parsable", "-W", NULL }, "{}", 5 },
    /* Options end at the script: what follows belongs to it. */
    { { "job.sh", "-J", "z", NULL }, "{}", 1 },
};

START_TEST(test_argv)
{
    for (size_t i = 0; i < sizeof(argv_ok) / sizeof(argv_ok[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv(argv_ok[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        int rc = jobopt_parse_argv(o, argc, argv, &e);
        ck_assert_msg(rc == argv_ok[i].index, "case %zu: rc %d (%s)", i, rc, e.text);
        assert_json(o->spec, argv_ok[i].spec, argv_ok[i].args[0]);
        jobopt_destroy(o);
    }
}
END_TEST

START_TEST(test_local)
{
    const char *args[] = { "--parsable", "-W", "--wrap", "hostname", "--export=NONE",
                           "--mail-type=END", NULL };
    char *argv[MAXARGS];
    int argc = mkargv(args, argv);
    sl_error_t e;
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_parse_argv(o, argc, argv, &e), argc);
    ck_assert(jobopt_flag(o, "parsable"));
    ck_assert(jobopt_flag(o, "wait"));
    ck_assert(!jobopt_flag(o, "help"));
    ck_assert_str_eq(jobopt_str(o, "wrap"), "hostname");
    ck_assert_str_eq(jobopt_str(o, "export"), "NONE");
    ck_assert_str_eq(jobopt_str(o, "mail_type"), "END");
    ck_assert_ptr_null(jobopt_str(o, "nothing"));
    jobopt_destroy(o);
}
END_TEST

static const struct {
    const char *args[MAXARGS];
    const char *error;    /* the whole message */
} argv_bad[] = {
    { { "--time=abc", NULL }, "Invalid --time specification: 'abc'" },
    { { "-t", "1:2:3:4", NULL }, "Invalid --time specification: '1:2:3:4'" },
    { { "-N", "0", NULL }, "Invalid --nodes specification: '0'" },
    { { "-N", "4-2", NULL }, "Invalid --nodes specification: '4-2'" },
    { { "-N", "x", NULL }, "Invalid --nodes specification: 'x'" },
    { { "-n", "-3", NULL }, "Invalid --ntasks specification: '-3'" },
    { { "-c", "two", NULL }, "Invalid --cpus-per-task specification: 'two'" },
    { { "--mem=lots", NULL }, "Invalid --mem specification: 'lots'" },
    { { "--open-mode=sideways", NULL }, "Invalid --open-mode specification: 'sideways'" },
    { { "-J", "", NULL }, "Invalid --job-name specification: ''" },
    { { "--frobnicate", NULL }, "unrecognized option '--frobnicate'" },
    { { "-Z", NULL }, "invalid option -- 'Z'" },
    { { "-t", NULL }, "option requires an argument -- 't'" },
    { { "--time", NULL }, "option '--time' requires an argument" },
    { { "--hold=yes", NULL }, "option '--hold' doesn't allow an argument" },
    { { "--array=1-3", NULL }, "--array is not supported yet" },
    { { "-d", "afterok:1", NULL }, "--dependency is not supported yet" },
    { { "--gres=gpu:1", NULL }, "--gres is not supported yet" },
    { { "-G", "1", NULL }, "--gpus is not supported yet" },
    { { "--begin=now+1hour", NULL }, "--begin is not supported yet" },
    { { "--nice", NULL }, "--nice is not supported yet" },
    { { "--signal=USR1@60", NULL }, "--signal is not supported yet" },
    { { "--exclusive=user", NULL }, "--exclusive=user is not supported yet" },
    { { "-w", "n[1-", NULL }, NULL },
};

START_TEST(test_argv_bad)
{
    for (size_t i = 0; i < sizeof(argv_bad) / sizeof(argv_bad[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv(argv_bad[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        ck_assert_msg(jobopt_parse_argv(o, argc, argv, &e) == -1, "case %zu accepted", i);
        if (argv_bad[i].error)
            ck_assert_str_eq(e.text, argv_bad[i].error);
        else
            ck_assert_msg(strstr(e.text, "Invalid --nodelist specification"), "%s", e.text);
        jobopt_destroy(o);
    }
}
END_TEST

START_TEST(test_parse_twice)
{
    /* sbatch parses its command line twice; getopt must start over. */
    const char *args[] = { "-J", "a", "-p", "b", "script", NULL };
    char *argv[MAXARGS];
    int argc = mkargv(args, argv);
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_parse_argv(o, argc, argv, NULL), 5);
    json_object_clear(o->spec);
    ck_assert_int_eq(jobopt_parse_argv(o, argc, argv, NULL), 5);
    assert_json(o->spec, "{\"name\":\"a\",\"partition\":\"b\"}", "second parse");
    jobopt_destroy(o);
}
END_TEST

static const struct {
    const char *script;
    const char *spec;
} script_ok[] = {
    { "#!/bin/sh\n#SBATCH -J one\n#SBATCH --time=5 -p q\necho hi\n",
      "{\"name\":\"one\",\"time_limit\":300,\"partition\":\"q\"}" },
    /* Comments and blank lines do not end the directives; a command does. */
    { "#!/bin/bash\n\n# a comment\n#SBATCH -N 2\n   \n#SBATCH -n 4\nhostname\n#SBATCH -J late\n",
      "{\"nodes_min\":2,\"nodes_max\":2,\"ntasks\":4}" },
    { "#!/bin/sh\n  sleep 1\n#SBATCH -J never\n", "{}" },
    /* Quotes group; a '#' word starts a comment. */
    { "#!/bin/sh\n#SBATCH --job-name=\"two words\" # why: testing\n#SBATCH --comment 'a b'\n",
      "{\"name\":\"two words\",\"comment\":\"a b\"}" },
    /* Not directives: other spellings. */
    { "#!/bin/sh\n##SBATCH -J no\n#SBATCH-J no\n# SBATCH -J no\n#SBATCH\n", "{}" },
    { "#!/bin/sh\n#SBATCH\t-J tab\n", "{\"name\":\"tab\"}" },
    { "#!/bin/sh\r\n#SBATCH -J crlf\r\n", "{\"name\":\"crlf\"}" },
    { "#!/bin/sh\n#SBATCH --exclusive\n#SBATCH --no-requeue",
      "{\"exclusive\":true,\"requeue\":false}" },
};

START_TEST(test_script)
{
    for (size_t i = 0; i < sizeof(script_ok) / sizeof(script_ok[0]); i++) {
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        ck_assert_msg(jobopt_parse_script(o, script_ok[i].script, &e) == 0, "case %zu: %s",
                      i, e.text);
        assert_json(o->spec, script_ok[i].spec, script_ok[i].script);
        jobopt_destroy(o);
    }
}
END_TEST

static const struct {
    const char *script;
    const char *error;
} script_bad[] = {
    { "#!/bin/sh\n#SBATCH -J ok\n#SBATCH --time=abc\n",
      "script line 3: Invalid --time specification: 'abc'" },
    { "#!/bin/sh\n#SBATCH --bogus\n", "script line 2: unrecognized option '--bogus'" },
    { "#!/bin/sh\n#SBATCH -J a stray\n", "script line 2: unexpected argument 'stray'" },
    { "#!/bin/sh\n#SBATCH --array=0-3\n", "script line 2: --array is not supported yet" },
};

START_TEST(test_script_bad)
{
    for (size_t i = 0; i < sizeof(script_bad) / sizeof(script_bad[0]); i++) {
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        ck_assert_int_eq(jobopt_parse_script(o, script_bad[i].script, &e), -1);
        ck_assert_str_eq(e.text, script_bad[i].error);
        jobopt_destroy(o);
    }
}
END_TEST

static const char *fake_env(const char *name)
{
    static const char *const vars[][2] = {
        { "SBATCH_PARTITION", "envpart" }, { "SBATCH_ACCOUNT", "envacct" },
        { "SBATCH_TIMELIMIT", "7" },       { "SBATCH_JOB_NAME", "envname" },
        { "SBATCH_EXCLUSIVE", "" },        { "SBATCH_OPEN_MODE", "append" },
        { "SBATCH_REQUEUE", "1" },         { "SBATCH_WAIT", "yes" },
        { "SLURM_PARTITION", "srun-only" },
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strcmp(vars[i][0], name) == 0)
            return vars[i][1];
    return NULL;
}

START_TEST(test_env)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_msg(jobopt_parse_env(o, fake_env, &e) == 0, "%s", e.text);
    assert_json(o->spec,
                "{\"partition\":\"envpart\",\"account\":\"envacct\",\"time_limit\":420,"
                "\"name\":\"envname\",\"exclusive\":true,\"open_mode\":\"append\","
                "\"requeue\":true}", "environment");
    ck_assert(jobopt_flag(o, "wait"));
    jobopt_destroy(o);
}
END_TEST

static const char *bad_env(const char *name)
{
    return strcmp(name, "SBATCH_TIMELIMIT") == 0 ? "soon" : NULL;
}

START_TEST(test_env_bad)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_parse_env(o, bad_env, &e), -1);
    ck_assert_str_eq(e.text, "SBATCH_TIMELIMIT: Invalid --time specification: 'soon'");
    jobopt_destroy(o);
}
END_TEST

/* Command line over #SBATCH over SBATCH_*, field by field. */
START_TEST(test_precedence)
{
    const char *args[] = { "-J", "cli", "script.sh", NULL };
    const char *script = "#!/bin/sh\n#SBATCH -J script -A scriptacct -t 3\n";
    char *argv[MAXARGS];
    int argc = mkargv(args, argv);
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    setenv("SBATCH_JOB_NAME", "env", 1);
    setenv("SBATCH_ACCOUNT", "envacct", 1);
    setenv("SBATCH_PARTITION", "envpart", 1);
    ck_assert_int_eq(jobopt_load(o, argc, argv, script, &e), 3);
    assert_json(o->spec,
                "{\"name\":\"cli\",\"account\":\"scriptacct\",\"partition\":\"envpart\","
                "\"time_limit\":180}", "precedence");
    unsetenv("SBATCH_JOB_NAME");
    unsetenv("SBATCH_ACCOUNT");
    unsetenv("SBATCH_PARTITION");
    jobopt_destroy(o);
}
END_TEST

START_TEST(test_set)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_set(o, "partition", "p1", &e), 0);
    ck_assert_int_eq(jobopt_set(o, "hold", NULL, &e), 0);
    ck_assert_int_eq(jobopt_set(o, "hold", "x", &e), -1);
    ck_assert_str_eq(e.text, "option '--hold' doesn't allow an argument");
    ck_assert_int_eq(jobopt_set(o, "time", NULL, &e), -1);
    ck_assert_str_eq(e.text, "option '--time' requires an argument");
    ck_assert_int_eq(jobopt_set(o, "nope", NULL, &e), -1);
    ck_assert_str_eq(e.text, "unrecognized option '--nope'");
    assert_json(o->spec, "{\"partition\":\"p1\",\"hold\":true}", "set");
    jobopt_destroy(o);
}
END_TEST

static char *envp[] = { "HOME=/home/u", "PATH=/bin", "SLURM_CONF=/x", "EMPTY=", NULL };

static const struct {
    const char *export;   /* NULL: unset */
    const char *env;
} export_cases[] = {
    { NULL, "{\"HOME\":\"/home/u\",\"PATH\":\"/bin\",\"SLURM_CONF\":\"/x\",\"EMPTY\":\"\"}" },
    { "ALL", "{\"HOME\":\"/home/u\",\"PATH\":\"/bin\",\"SLURM_CONF\":\"/x\",\"EMPTY\":\"\"}" },
    { "NONE", "{\"SLURM_CONF\":\"/x\"}" },
    { "PATH,FOO=bar,MISSING", "{\"SLURM_CONF\":\"/x\",\"PATH\":\"/bin\",\"FOO\":\"bar\"}" },
    { "ALL,HOME=/other",
      "{\"HOME\":\"/other\",\"PATH\":\"/bin\",\"SLURM_CONF\":\"/x\",\"EMPTY\":\"\"}" },
    { "all", "{\"HOME\":\"/home/u\",\"PATH\":\"/bin\",\"SLURM_CONF\":\"/x\",\"EMPTY\":\"\"}" },
};

START_TEST(test_export)
{
    for (size_t i = 0; i < sizeof(export_cases) / sizeof(export_cases[0]); i++) {
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        json_t *env;
        if (export_cases[i].export)
            ck_assert_int_eq(jobopt_set(o, "export", export_cases[i].export, &e), 0);
        env = jobopt_env(o, envp, &e);
        ck_assert_ptr_nonnull(env);
        assert_json(env, export_cases[i].env,
                    export_cases[i].export ? export_cases[i].export : "(unset)");
        json_decref(env);
        jobopt_destroy(o);
    }
}
END_TEST

START_TEST(test_help)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    jobopt_help(o, m);
    fclose(m);
    ck_assert_ptr_nonnull(strstr(text, "Usage: sbatch"));
    ck_assert_ptr_nonnull(strstr(text, "  -J, --job-name=jobname"));
    ck_assert_ptr_nonnull(strstr(text, "      --exclusive"));
    free(text);
    jobopt_destroy(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobopt");
    TCase *tc = tcase_create("jobopt");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_argv);
    tcase_add_test(tc, test_local);
    tcase_add_test(tc, test_argv_bad);
    tcase_add_test(tc, test_parse_twice);
    tcase_add_test(tc, test_script);
    tcase_add_test(tc, test_script_bad);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_env_bad);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_set);
    tcase_add_test(tc, test_export);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
