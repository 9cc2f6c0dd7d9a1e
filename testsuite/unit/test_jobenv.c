/* Unit tests: the job's environment (src/stepd/jobenv.c): the submitted
 * variables, SLURM_* and AWS_BATCH_* set over them, HOME/SHELL/USER/LOGNAME/
 * PATH only as defaults; and 100,000 submitted variables built quickly
 * (the build was quadratic: 30 s for 100,000). */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gpuenv.h"
#include "jobenv.h"
#include "launch.h"
#include "unit.h"

static struct launch *launch_new(json_t *env)
{
    static struct launch l;
    memset(&l, 0, sizeof(l));
    l.env = env;
    l.job_id = 7;
    l.name = "n";
    l.user = "alice";
    l.home = "/home/alice";
    l.nodes = l.node_name = "n1";
    l.partition = l.queue = l.cluster = l.account = l.cpus_per_node = "";
    l.submit_dir = "/tmp";
    l.submit_host = "h";
    l.num_nodes = l.ntasks = l.cpus_per_task = 1;
    l.array_task_id = -1;
    return &l;
}

static const char *env_get(char **envp, const char *key, size_t *count)
{
    const char *found = NULL;
    size_t klen = strlen(key);
    *count = 0;
    for (char **p = envp; *p; p++) {
        if (strncmp(*p, key, klen) == 0 && (*p)[klen] == '=') {
            found = *p + klen + 1;
            (*count)++;
        }
    }
    return found;
}

START_TEST(overrides_and_defaults)
{
    json_t *env = json_pack("{s:s, s:s, s:s, s:s}", "SLURM_JOB_ID", "99", "HOME", "/mine",
                            "MYVAR", "x", "PATH", "/p");
    char **envp = jobenv_build(launch_new(env));
    size_t n;
    ck_assert_str_eq(env_get(envp, "SLURM_JOB_ID", &n), "7");   /* the stepd's wins */
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(env_get(envp, "HOME", &n), "/mine");       /* the user's wins */
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(env_get(envp, "PATH", &n), "/p");
    ck_assert_str_eq(env_get(envp, "MYVAR", &n), "x");
    ck_assert_str_eq(env_get(envp, "USER", &n), "alice");       /* a default */
    ck_assert_ptr_null(env_get(envp, "SHELL", &n));             /* unknown: unset */
    jobenv_free(envp);
    json_decref(env);
}
END_TEST

/* The variables Slurm sets that depend on what the job asked for. */
START_TEST(requested_resources_and_times)
{
    struct launch *l = launch_new(NULL);
    size_t n;
    char **envp;
    l->mem_mb = 4000;
    l->mem_per_cpu_mb = 2000;
    l->ntasks_per_node = 2;
    l->qos = "high";
    l->start_time = 1700000000;
    l->time_limit = 600;
    envp = jobenv_build(l);
    ck_assert_str_eq(env_get(envp, "SLURM_MEM_PER_CPU", &n), "2000");
    ck_assert_ptr_null(env_get(envp, "SLURM_MEM_PER_NODE", &n));   /* one or the other */
    ck_assert_str_eq(env_get(envp, "SLURM_NTASKS_PER_NODE", &n), "2");
    ck_assert_str_eq(env_get(envp, "SLURM_JOB_QOS", &n), "high");
    ck_assert_str_eq(env_get(envp, "SLURM_JOB_START_TIME", &n), "1700000000");
    ck_assert_str_eq(env_get(envp, "SLURM_JOB_END_TIME", &n), "1700000600");
    jobenv_free(envp);

    l = launch_new(NULL);
    l->mem_mb = 4000;
    l->start_time = 1700000000;
    l->time_limit = -1;
    envp = jobenv_build(l);
    ck_assert_str_eq(env_get(envp, "SLURM_MEM_PER_NODE", &n), "4000");
    ck_assert_ptr_null(env_get(envp, "SLURM_MEM_PER_CPU", &n));
    ck_assert_ptr_null(env_get(envp, "SLURM_NTASKS_PER_NODE", &n));
    ck_assert_ptr_null(env_get(envp, "SLURM_JOB_QOS", &n));
    ck_assert_str_eq(env_get(envp, "SLURM_JOB_END_TIME", &n), "1731536000");   /* + a year */
    jobenv_free(envp);
}
END_TEST

START_TEST(hundred_thousand_variables)
{
    json_t *env = json_object();
    char name[16];
    for (int i = 0; i < 100000; i++) {
        snprintf(name, sizeof(name), "V%d", i);
        json_object_set_new(env, name, json_string("1"));
    }
    char **envp = jobenv_build(launch_new(env));
    size_t total = 0, n;
    for (char **p = envp; *p; p++)
        total += p[0][0] == 'V';
    ck_assert_uint_eq(total, 100000);
    ck_assert_str_eq(env_get(envp, "V99999", &n), "1");
    jobenv_free(envp);
    json_decref(env);
}
END_TEST


/* GPUs by vendor, the node's indexes, binding masks; a GPU node's job
 * without GPUs sees none. */
START_TEST(gpus_and_binding)
{
    json_t *rec = json_pack("{s:[{s:i,s:i,s:s},{s:i,s:i,s:s}], s:i, s:[s,s], s:s, s:b}",
                            "gpus", "index", 2, "minor", 2, "vendor", "nvidia", "index", 3,
                            "minor", 3, "vendor", "nvidia", "node_gpus", 4, "task_cpus",
                            "0-1", "2-3", "cpu_bind_kind", "MASK", "cpu_bind_verbose", 1);
    /* A batch script: only the --cpu-bind the user gave, for the sruns inside. */
    char **v = gpuenv_build(rec, 0);
    size_t n;
    ck_assert_str_eq(env_get(v, "SLURM_JOB_GPUS", &n), "2,3");
    ck_assert_ptr_null(env_get(v, "SLURM_CPU_BIND", &n));
    gpuenv_free(v);
    json_object_set_new(rec, "cpu_bind", json_string("verbose,cores"));
    v = gpuenv_build(rec, 0);
    ck_assert_str_eq(env_get(v, "SLURM_CPU_BIND", &n), "verbose,cores");
    ck_assert_ptr_null(env_get(v, "SLURM_CPU_BIND_TYPE", &n));
    gpuenv_free(v);
    json_object_del(rec, "cpu_bind");
    v = gpuenv_build(rec, 1);
    ck_assert_str_eq(env_get(v, "CUDA_VISIBLE_DEVICES", &n), "2,3");
    ck_assert_ptr_null(env_get(v, "ROCR_VISIBLE_DEVICES", &n));
    ck_assert_str_eq(env_get(v, "GPU_DEVICE_ORDINAL", &n), "2,3");
    ck_assert_str_eq(env_get(v, "SLURM_STEP_GPUS", &n), "2,3");
    ck_assert_str_eq(env_get(v, "SLURM_GPUS_ON_NODE", &n), "2");
    ck_assert_str_eq(env_get(v, "SLURM_CPU_BIND", &n), "verbose,mask_cpu:0x3,0xc");
    ck_assert_str_eq(env_get(v, "SLURM_CPU_BIND_TYPE", &n), "mask_cpu:");
    gpuenv_free(v);
    json_object_del(rec, "gpus");
    json_object_del(rec, "task_cpus");
    v = gpuenv_build(rec, 1);
    ck_assert_str_eq(env_get(v, "CUDA_VISIBLE_DEVICES", &n), "");
    ck_assert_str_eq(env_get(v, "ROCR_VISIBLE_DEVICES", &n), "");
    ck_assert_ptr_null(env_get(v, "SLURM_STEP_GPUS", &n));
    ck_assert_ptr_null(env_get(v, "SLURM_CPU_BIND", &n));
    gpuenv_free(v);
    json_object_set_new(rec, "gpus", json_pack("[{s:i,s:i,s:s}]", "index", 5, "minor", 1,
                                               "vendor", "amd"));
    v = gpuenv_build(rec, 1);
    ck_assert_str_eq(env_get(v, "ROCR_VISIBLE_DEVICES", &n), "1");
    ck_assert_ptr_null(env_get(v, "CUDA_VISIBLE_DEVICES", &n));
    ck_assert_str_eq(env_get(v, "SLURM_STEP_GPUS", &n), "5");
    gpuenv_free(v);
    json_decref(rec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobenv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);   /* the quadratic build took 30 s and more */
    tcase_add_test(tc, overrides_and_defaults);
    tcase_add_test(tc, requested_resources_and_times);
    tcase_add_test(tc, hundred_thousand_variables);
    tcase_add_test(tc, gpus_and_binding);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
