/* test_jobopt.c: the job option table: command lines, #SBATCH lines, input
 * variables, their precedence, bad values and --export.  Expected job specs
 * are written as JSON and compared whole. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "jobopt.h"
#include "unit.h"

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
    { { "--gres=gpu:h200:2", "--cpus-per-gpu=4", NULL },
      "{\"gpus_per_node\":2,\"gpu_type\":\"h200\",\"cpus_per_gpu\":4}", 3 },
    { { "--gres=gpu", NULL }, "{\"gpus_per_node\":1}", 2 },
    { { "--gres=gpu:a100", NULL }, "{\"gpus_per_node\":1,\"gpu_type\":\"a100\"}", 2 },
    { { "-G", "3", "--gpus-per-task=a100:1", NULL },
      "{\"gpus\":3,\"gpus_per_task\":1,\"gpu_type\":\"a100\"}", 4 },
    { { "--mem=1G", "--mem-per-gpu=2G", NULL }, "{\"mem_per_gpu_mb\":2048}", 3 },
    { { "--hint=nomultithread", NULL }, "{\"threads_per_core\":1}", 2 },
    { { "--threads-per-core=1", "--hint=multithread", NULL }, "{}", 3 },
    { { "-w", "n[1-2]", "-x", "n3", NULL }, "{\"nodelist\":\"n[1-2]\",\"exclude\":\"n3\"}", 5 },
    { { "--open-mode=append", NULL }, "{\"open_mode\":\"append\"}", 2 },
    { { "--open-mode", "t", NULL }, "{\"open_mode\":\"truncate\"}", 3 },
    { { "-D", "/tmp", "-q", "normal", "-C", "ib", NULL },
      "{\"cwd\":\"/tmp\",\"qos\":\"normal\",\"constraint\":\"ib\"}", 7 },
    { { "--mail-type=end,Begin", "--mail-user=a@b", "--parsable", "-W", NULL },
      "{\"mail_type\":\"BEGIN,END\",\"mail_user\":\"a@b\"}", 5 },
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
    /* --mail-type is a spec field now (the controller mails), in Slurm's canonical form. */
    ck_assert_ptr_null(jobopt_str(o, "mail_type"));
    ck_assert_str_eq(json_string_value(json_object_get(o->spec, "mail_type")), "END");
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
    { { "--gres=gpu:0", NULL }, "Invalid --gres specification: 'gpu:0'" },
    { { "--gres=fpga:1", NULL },
      "Invalid --gres specification: 'fpga:1': only gpu[:type]:count is supported (GresTypes=gpu)" },
    { { "--gres=gpu:1,gpu:a:1", NULL },
      "Invalid --gres specification: 'gpu:1,gpu:a:1': one gpu entry only" },
    { { "-G", "x", NULL }, "Invalid --gpus specification: 'x'" },
    { { "--gpus-per-node=a b:1", NULL },
      "Invalid --gpus-per-node specification: 'a b:1': a GPU type is letters, digits, '_', '-' or '.'" },
    { { "--hint=compute_bound", NULL },
      "Invalid --hint specification: 'compute_bound': nomultithread or multithread "
      "(compute_bound and memory_bound are not supported)" },
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

/* The job model's options (doc/protocol.md, "The job model"): what each
 * good value sends.  "now" is fixed at NOW for --begin. */
#define NOW 1700000000
static const struct {
    const char *args[MAXARGS];
    const char *spec;
} model_ok[] = {
    { { "--array=0-15:4%2", NULL }, "{\"array\":\"0-15:4%2\"}" },
    { { "-a", "1,3,5-7", NULL }, "{\"array\":\"1,3,5-7\"}" },
    { { "-a", "0-10000", NULL }, "{\"array\":\"0-10000\"}" },
    { { "-d", "afterok:12:13,afterany:14_3", NULL },
      "{\"dependency\":\"afterok:12:13,afterany:14_3\"}" },
    { { "--dependency=singleton", NULL }, "{\"dependency\":\"singleton\"}" },
    { { "-d", "sequential", NULL }, "{\"dependency\":\"sequential\"}" },
    { { "-d", "aftercorr:5?after:6+10", NULL }, "{\"dependency\":\"aftercorr:5?after:6+10\"}" },
    { { "--kill-on-invalid-dep=no", NULL }, "{\"kill_on_invalid_dep\":false}" },
    { { "--kill-on-invalid-dep=YES", NULL }, "{\"kill_on_invalid_dep\":true}" },
    { { "--attempts=1", NULL }, "{\"attempts\":1}" },
    { { "--attempts", "10", NULL }, "{\"attempts\":10}" },
    { { "--retry-rule=RETRY,onExitCode=3", "--retry-rule", "exit,onreason=NodeFail*", NULL },
      "{\"retry_rules\":[\"RETRY,onExitCode=3\",\"exit,onreason=NodeFail*\"]}" },
    { { "--retry-rule=EXIT,onStatusReason=Host EC2*,onExitCode=1*,onReason=Out_of-mem.x:y",
        NULL },
      "{\"retry_rules\":[\"EXIT,onStatusReason=Host EC2*,onExitCode=1*,"
      "onReason=Out_of-mem.x:y\"]}" },
    { { "--retry-rule=RETRY", NULL }, "{\"retry_rules\":[\"RETRY\"]}" },
    { { "--begin=now+1hour", NULL }, "{\"begin_time\":1700003600}" },
    { { "-b", "now", NULL }, "{\"begin_time\":1700000000}" },
    { { "--signal=USR1", NULL },
      "{\"warn_signal\":10,\"warn_time\":60,\"warn_batch_only\":false}" },
    { { "--signal=B:TERM@300", NULL },
      "{\"warn_signal\":15,\"warn_time\":300,\"warn_batch_only\":true}" },
    { { "--signal=2@0", NULL }, "{\"warn_signal\":2,\"warn_time\":0,\"warn_batch_only\":false}" },
    { { "--job-definition=train", NULL }, "{\"job_definition\":\"train\"}" },
    { { "--job-definition", "my-def_2:7", NULL }, "{\"job_definition\":\"my-def_2:7\"}" },
    { { "--param", "lr=0.1", "--param=epochs=5", "--param", "lr=0.2", "--param=empty=", NULL },
      "{\"parameters\":{\"lr\":\"0.2\",\"epochs\":\"5\",\"empty\":\"\"}}" },
    { { "--param=expr=a=b", NULL }, "{\"parameters\":{\"expr\":\"a=b\"}}" },
    /* Fair share: --nice alone is 100, as Slurm. */
    { { "--share=teamA", "--sched-priority=9999", NULL },
      "{\"share\":\"teamA\",\"sched_priority\":9999}" },
    { { "--share", "a.b@c_d-1", "--sched-priority", "0", NULL },
      "{\"share\":\"a.b@c_d-1\",\"sched_priority\":0}" },
    { { "--nice", NULL }, "{\"nice\":100}" },
    { { "--nice=5", NULL }, "{\"nice\":5}" },
    { { "--nice=-10000", NULL }, "{\"nice\":-10000}" },
    { { "--nice=10000", "--nice", NULL }, "{\"nice\":100}" },
    { { "--tmp=2G", NULL }, "{\"tmp_mb\":2048}" },
    { { "--tmp", "500", NULL }, "{\"tmp_mb\":500}" },
    { { "-L", "foo", NULL }, "{\"licenses\":\"foo:1\"}" },
    { { "--licenses=foo:2,bar*3,foo", NULL }, "{\"licenses\":\"foo:3,bar:3\"}" },
    { { "--deadline=now+1hour", NULL }, "{\"deadline\":1700003600}" },
    { { "--priority=0", NULL }, "{\"priority\":0}" },
    { { "--priority", "4294967293", NULL }, "{\"priority\":4294967293}" },
    { { "--propagate", "--propagate=CORE,nofile", "--propagate=NONE", NULL }, "{}" },
};

START_TEST(test_model)
{
    for (size_t i = 0; i < sizeof(model_ok) / sizeof(model_ok[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv(model_ok[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        o->now = NOW;
        ck_assert_msg(jobopt_parse_argv(o, argc, argv, &e) == argc, "case %zu: %s", i, e.text);
        assert_json(o->spec, model_ok[i].spec, model_ok[i].args[0]);
        jobopt_destroy(o);
    }
}
END_TEST

/* Bad values of the job model's options, each with its whole message. */
static const struct {
    const char *args[MAXARGS];
    const char *error;
} model_bad[] = {
    { { "--array=5-2", NULL }, "invalid array specification '5-2': range 5-2 runs backwards" },
    { { "-a", "0-10001", NULL }, "invalid array specification '0-10001': index 10001 is too "
      "large: indices must be below MaxArraySize=10001" },
    { { "-a", "1-3%0", NULL }, "invalid array specification '1-3%0': the % throttle must be "
      "a positive number" },
    { { "-a", "x", NULL }, "invalid array specification 'x': expected a number at 'x'" },
    { { "-a", "1-5:0", NULL }, "invalid array specification '1-5:0': step must be a positive "
      "number in '1-5:0'" },
    { { "-d", "afterfoo:1", NULL }, "invalid dependency 'afterfoo:1': unknown dependency type "
      "'afterfoo'" },
    { { "-d", "afterok", NULL }, "invalid dependency 'afterok': afterok needs at least one job "
      "id (afterok:ID)" },
    { { "-d", "afterok:1,afterany:2?afterok:3", NULL }, "invalid dependency "
      "'afterok:1,afterany:2?afterok:3': ',' and '?' cannot be mixed" },
    { { "-d", "afterok:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21", NULL },
      "invalid dependency 'afterok:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21': "
      "too many dependencies: at most 20 job ids" },
    { { "--kill-on-invalid-dep=maybe", NULL },
      "Invalid --kill-on-invalid-dep specification: 'maybe' (use yes or no)" },
    { { "--attempts=0", NULL },
      "Invalid --attempts specification: '0': attempts must be between 1 and 10" },
    { { "--attempts=11", NULL },
      "Invalid --attempts specification: '11': attempts must be between 1 and 10" },
    { { "--attempts=two", NULL },
      "Invalid --attempts specification: 'two': attempts must be between 1 and 10" },
    { { "--retry-rule=AGAIN", NULL },
      "Invalid --retry-rule specification: 'AGAIN': unknown action 'AGAIN' (use RETRY or EXIT)" },
    { { "--retry-rule=RETRY,onExitCode", NULL },
      "Invalid --retry-rule specification: 'RETRY,onExitCode': expected KEY=PATTERN at "
      "'onExitCode'" },
    { { "--retry-rule=RETRY,onSignal=9", NULL },
      "Invalid --retry-rule specification: 'RETRY,onSignal=9': unknown key 'onSignal' (use "
      "onExitCode, onReason or onStatusReason)" },
    { { "--retry-rule=RETRY,onExitCode=1,onexitcode=2", NULL },
      "Invalid --retry-rule specification: 'RETRY,onExitCode=1,onexitcode=2': onExitCode is "
      "given twice" },
    { { "--retry-rule=RETRY,onExitCode=x1", NULL },
      "Invalid --retry-rule specification: 'RETRY,onExitCode=x1': onExitCode pattern 'x1' "
      "must be digits, optionally ending in '*'" },
    { { "--retry-rule=RETRY,onExitCode=1*2", NULL },
      "Invalid --retry-rule specification: 'RETRY,onExitCode=1*2': onExitCode pattern '1*2' "
      "must be digits, optionally ending in '*'" },
    { { "--retry-rule=EXIT,onReason=", NULL },
      "Invalid --retry-rule specification: 'EXIT,onReason=': onReason needs a pattern" },
    { { "--retry-rule=EXIT,onReason=a/b", NULL },
      "Invalid --retry-rule specification: 'EXIT,onReason=a/b': onReason pattern 'a/b' may "
      "hold letters, digits, '.', ':', '_', '-' and blanks, optionally ending in '*'" },
    { { "--retry-rule=RETRY", "--retry-rule=RETRY", "--retry-rule=RETRY", "--retry-rule=RETRY",
        "--retry-rule=RETRY", "--retry-rule=EXIT", NULL },
      "too many --retry-rule options: at most 5" },
    { { "--begin=tomorrowish", NULL },
      "Invalid --begin specification: 'tomorrowish' is not a valid date/time (use "
      "YYYY-MM-DD[THH:MM[:SS]], MMDD[YY], MM/DD[/YY], HH:MM[:SS], today, midnight, noon, "
      "teatime or now[+|-N[unit]])" },
    { { "--begin=now+x", NULL }, "Invalid --begin specification: 'now+x' is not a valid time "
      "(use now[+|-N[seconds|minutes|hours|days|weeks]])" },
    { { "--signal=FOO@60", NULL },
      "Invalid --signal specification: 'FOO@60': 'FOO' is not a signal name or number" },
    { { "--signal=USR1@70000", NULL },
      "Invalid --signal specification: 'USR1@70000': the time must be 0 to 65535 seconds" },
    { { "--signal=USR1@", NULL },
      "Invalid --signal specification: 'USR1@': the time must be 0 to 65535 seconds" },
    { { "--signal=R:USR1", NULL },
      "Invalid --signal specification: 'R:USR1': only the B: prefix is supported" },
    { { "--signal=B:", NULL },
      "Invalid --signal specification: 'B:': '' is not a signal name or number" },
    { { "--job-definition=-x", NULL },
      "Invalid --job-definition specification: '-x': a name is 1 to 128 letters, digits, '-' "
      "and '_', starting with a letter or digit" },
    { { "--job-definition=a b", NULL },
      "Invalid --job-definition specification: 'a b': a name is 1 to 128 letters, digits, '-' "
      "and '_', starting with a letter or digit" },
    { { "--job-definition=train:0", NULL },
      "Invalid --job-definition specification: 'train:0': the revision must be a positive "
      "number" },
    { { "--job-definition=train:", NULL },
      "Invalid --job-definition specification: 'train:': the revision must be a positive "
      "number" },
    { { "--param=lr", NULL }, "Invalid --param specification: 'lr' (use KEY=VALUE)" },
    { { "--param==1", NULL }, "Invalid --param specification: '=1' (use KEY=VALUE)" },
    { { "--param=a b=1", NULL },
      "Invalid --param specification: 'a b=1': a key is letters, digits, '_', '.' and '-'" },
    { { "--share=team*", NULL }, "Invalid --share specification: 'team*': a share identifier "
      "is 1 to 255 letters, digits, '_', '.', '@' and '-'" },
    { { "--share=a:1", NULL }, "Invalid --share specification: 'a:1': a share identifier "
      "is 1 to 255 letters, digits, '_', '.', '@' and '-'" },
    { { "--share=", NULL }, "Invalid --share specification: '': a share identifier "
      "is 1 to 255 letters, digits, '_', '.', '@' and '-'" },
    { { "--sched-priority=10000", NULL },
      "Invalid --sched-priority specification: '10000': it must be from 0 to 9999" },
    { { "--sched-priority=-1", NULL },
      "Invalid --sched-priority specification: '-1': it must be from 0 to 9999" },
    { { "--sched-priority=high", NULL },
      "Invalid --sched-priority specification: 'high': it must be from 0 to 9999" },
    { { "--nice=10001", NULL },
      "Invalid --nice specification: '10001': it must be from -10000 to 10000" },
    { { "--nice=-10001", NULL },
      "Invalid --nice specification: '-10001': it must be from -10000 to 10000" },
    { { "--nice=low", NULL },
      "Invalid --nice specification: 'low': it must be from -10000 to 10000" },
    { { "--nice=", NULL },
      "Invalid --nice specification: '': it must be from -10000 to 10000" },
    { { "--tmp=lots", NULL }, "Invalid --tmp specification: 'lots'" },
    { { "-L", "foo:0", NULL }, "Invalid license specification: 'foo:0': bad count '0' for "
      "license foo: 1 to 1000000 (use name[:count][,...])" },
    { { "-L", ",", NULL }, "Invalid license specification: ',': no license named (use "
      "name[:count][,...])" },
    { { "--deadline=soon", NULL }, "Invalid --deadline specification: 'soon' is not a valid "
      "date/time (use YYYY-MM-DD[THH:MM[:SS]], MMDD[YY], MM/DD[/YY], HH:MM[:SS], today, "
      "midnight, noon, teatime or now[+|-N[unit]])" },
    { { "--priority=-1", NULL },
      "Invalid --priority specification: '-1': a number from 0 to 4294967293" },
    { { "--propagate=CORE,FOO", NULL }, "Invalid --propagate specification: 'FOO': use ALL, "
      "NONE or AS, CORE, CPU, DATA, FSIZE, MEMLOCK, NOFILE, NPROC, RSS, STACK" },
};

/* --propagate: the limits it names travel as SLURM_RLIMIT_*, replacing
 * those inherited from an enclosing job; by default all of them. */
START_TEST(test_propagate_env)
{
    const char *cases[][2] = { { NULL, "10" }, { "--propagate", "10" },
                               { "--propagate=NONE", "0" }, { "--propagate=CORE,STACK", "2" } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = { cases[i][0], NULL };
        char *argv[MAXARGS], *envp[] = { (char *)"SLURM_RLIMIT_CORE=7", (char *)"X=1", NULL };
        int argc = mkargv(args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        ck_assert_int_eq(jobopt_parse_argv(o, argc, argv, &e), argc);
        json_t *env = jobopt_env(o, envp, &e);
        ck_assert_ptr_nonnull(env);
        ck_assert_int_eq(jobopt_rlimits_env(o, NULL, env, &e), 0);
        size_t n = 0;
        const char *key;
        json_t *v;
        json_object_foreach(env, key, v)
            n += strncmp(key, "SLURM_RLIMIT_", 13) == 0;
        ck_assert_uint_eq(n, (size_t)atoi(cases[i][1]));
        const char *core = json_string_value(json_object_get(env, "SLURM_RLIMIT_CORE"));
        ck_assert(!core || strcmp(core, "7") != 0);
        json_decref(env);
        jobopt_destroy(o);
    }
}
END_TEST

/* Without --propagate the config decides: PropagateResourceLimits names
 * those carried, PropagateResourceLimitsExcept those left out. */
START_TEST(test_propagate_conf)
{
    struct { const char *opt, *only, *except; int n; } cases[] = {
        { NULL, "CORE,NOFILE", NULL, 2 }, { NULL, "NONE", NULL, 0 }, { NULL, NULL, "CORE", 9 },
        { "--propagate=STACK", "NONE", NULL, 1 }, { "--propagate", NULL, "CORE,AS", 10 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = { cases[i].opt, NULL };
        char *argv[MAXARGS], *envp[] = { NULL };
        int argc = mkargv(args, argv);
        sl_error_t e = { "" };
        conf_t c = { 0 };
        c.propagate_rlimits = (char *)cases[i].only;
        c.propagate_rlimits_except = (char *)cases[i].except;
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        ck_assert_int_eq(jobopt_parse_argv(o, argc, argv, &e), argc);
        json_t *env = jobopt_env(o, envp, &e);
        ck_assert_int_eq(jobopt_rlimits_env(o, &c, env, &e), 0);
        size_t n = 0;
        const char *key;
        json_t *v;
        json_object_foreach(env, key, v)
            n += strncmp(key, "SLURM_RLIMIT_", 13) == 0;
        ck_assert_msg(n == (size_t)cases[i].n, "case %zu: %zu limits", i, n);
        json_decref(env);
        jobopt_destroy(o);
    }
}
END_TEST

START_TEST(test_model_bad)
{
    for (size_t i = 0; i < sizeof(model_bad) / sizeof(model_bad[0]); i++) {
        char *argv[MAXARGS];
        int argc = mkargv(model_bad[i].args, argv);
        sl_error_t e = { "" };
        jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
        o->now = NOW;
        ck_assert_msg(jobopt_parse_argv(o, argc, argv, &e) == -1, "case %zu accepted", i);
        ck_assert_str_eq(e.text, model_bad[i].error);
        jobopt_destroy(o);
    }
}
END_TEST

/* MaxArraySize comes from the config: the command sets the limit. */
START_TEST(test_array_limit)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    ck_assert_int_eq(jobopt_set(o, "array", "0-10000", &e), 0);
    o->max_array_size = 100;
    ck_assert_int_eq(jobopt_set(o, "array", "0-100", &e), -1);
    ck_assert_str_eq(e.text, "invalid array specification '0-100': index 100 is too large: "
                             "indices must be below MaxArraySize=100");
    o->max_array_size = 20001;
    ck_assert_int_eq(jobopt_set(o, "array", "0-20000%50", &e), 0);
    assert_json(o->spec, "{\"array\":\"0-20000%50\"}", "array limit");
    jobopt_destroy(o);
}
END_TEST

/* Repeatable options add up over sources: env, script, command line. */
START_TEST(test_model_sources)
{
    const char *args[] = { "--retry-rule=EXIT,onExitCode=2", "--param=b=cli", "x.sh", NULL };
    const char *script = "#!/bin/sh\n#SBATCH --retry-rule=RETRY,onExitCode=1\n"
                         "#SBATCH --param=a=script --param=b=script --attempts=3\n";
    char *argv[MAXARGS];
    int argc = mkargv(args, argv);
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    setenv("SBATCH_ARRAY_INX", "1-4", 1);
    setenv("SBATCH_SIGNAL", "B:USR2@30", 1);
    ck_assert_msg(jobopt_load(o, argc, argv, script, &e) == 3, "%s", e.text);
    assert_json(o->spec,
                "{\"array\":\"1-4\",\"warn_signal\":12,\"warn_time\":30,"
                "\"warn_batch_only\":true,\"attempts\":3,"
                "\"retry_rules\":[\"RETRY,onExitCode=1\",\"EXIT,onExitCode=2\"],"
                "\"parameters\":{\"a\":\"script\",\"b\":\"cli\"}}", "sources");
    unsetenv("SBATCH_ARRAY_INX");
    unsetenv("SBATCH_SIGNAL");
    jobopt_destroy(o);
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
    { "#!/bin/sh\n#SBATCH --array=0-3\n#SBATCH --array=3-0\n",
      "script line 3: invalid array specification '3-0': range 3-0 runs backwards" },
    { "#!/bin/sh\n#SBATCH --retry-rule=RETRY\n#SBATCH --retry-rule=again\n",
      "script line 3: Invalid --retry-rule specification: 'again': unknown action 'again' "
      "(use RETRY or EXIT)" },
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

/* Found by fuzzing: a value that is not UTF-8 cannot be a JSON string,
 * and was dropped without a word; every way in now refuses it. */
START_TEST(test_not_utf8)
{
    sl_error_t e = { "" };
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    char *argv[] = { "sbatch", "--comment=\xff", NULL };
    ck_assert_int_eq(jobopt_set(o, "job-name", "a\xc3", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "--job-name is not valid UTF-8 (byte 0xC3 at offset 1)"));
    ck_assert_int_eq(jobopt_parse_argv(o, 2, argv, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "--comment is not valid UTF-8 (byte 0xFF at offset 0)"));
    ck_assert_int_eq(jobopt_parse_script(o, "#SBATCH -J \xfe\n", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "script line 1: "));
    ck_assert_ptr_nonnull(strstr(e.text, "--job-name is not valid UTF-8"));
    ck_assert_int_eq(jobopt_set(o, "job-name", "\xc3\xa9t\xc3\xa9", &e), 0);
    assert_json(o->spec, "{\"name\":\"\u00e9t\u00e9\"}", "utf-8 kept");
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
    ck_assert_ptr_nonnull(strstr(text, "  -a, --array=indexes"));
    ck_assert_ptr_nonnull(strstr(text, "      --retry-rule=ACTION[,key=pattern...]\n"));
    ck_assert_ptr_nonnull(strstr(text, "job array index values (0-15"));
    free(text);
    jobopt_destroy(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobopt");
    TCase *tc = tcase_create("jobopt");

    tcase_add_test(tc, test_argv);
    tcase_add_test(tc, test_local);
    tcase_add_test(tc, test_argv_bad);
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_model_bad);
    tcase_add_test(tc, test_propagate_env);
    tcase_add_test(tc, test_propagate_conf);
    tcase_add_test(tc, test_array_limit);
    tcase_add_test(tc, test_model_sources);
    tcase_add_test(tc, test_parse_twice);
    tcase_add_test(tc, test_script);
    tcase_add_test(tc, test_script_bad);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_env_bad);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_set);
    tcase_add_test(tc, test_not_utf8);
    tcase_add_test(tc, test_export);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
