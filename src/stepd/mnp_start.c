/* mnp_start.c: start one node's process of a multi-node parallel job, as a
 * step of the job run by srun (so that sacct shows it and the job's end
 * stops it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mnp_driver.h"

void mnp_step_name(long i, char *buf, size_t len)
{
    snprintf(buf, len, "node-%ld", i);
}

static json_t *range_of(const struct mnp_run *r, long i)
{
    size_t k;
    json_t *rg;
    json_array_foreach(json_object_get(r->plan, "ranges"), k, rg) {
        if (i >= json_integer_value(json_object_get(rg, "first")) &&
            i <= json_integer_value(json_object_get(rg, "last")))
            return rg;
    }
    return NULL;
}

static void env_num(const char *name, long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", v);
    setenv(name, buf, 1);
}

/* In the child: the node's variables.  The range's environment comes first
 * so that the AWS_BATCH_JOB_* values cannot be overridden by it. */
static void start_env(const struct mnp_run *r, json_t *rg, long i)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(rg, "env"), k, v) setenv(k, json_string_value(v), 1);
    unsetenv("SLUICE_MNP_PLAN");
    env_num("AWS_BATCH_JOB_NODE_INDEX", i);
    env_num("AWS_BATCH_JOB_MAIN_NODE_INDEX", r->main_node);
    env_num("AWS_BATCH_JOB_NUM_NODES", r->num_nodes);
    if (i != r->main_node)
        setenv("AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", r->main_addr, 1);
    else
        unsetenv("AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS");
}

/* srun -Q -w NODE -N1 -n1 -J node-I [-c V] [--mem=M] -- COMMAND... */
static char **start_argv(const struct mnp_run *r, json_t *rg, long i)
{
    json_t *cmd = json_object_get(rg, "command"), *w;
    size_t n = 0, k;
    char **argv = calloc(json_array_size(cmd) + 16, sizeof(*argv)), num[64];
    argv[n++] = strdup("srun");
    argv[n++] = strdup("--quiet");
    argv[n++] = strdup("-N1");
    argv[n++] = strdup("-n1");
    snprintf(num, sizeof(num), "--nodelist=%s", r->nodes[i]);
    argv[n++] = strdup(num);
    mnp_step_name(i, num, sizeof(num));
    argv[n++] = strdup("-J");
    argv[n++] = strdup(num);
    if (json_integer_value(json_object_get(rg, "vcpus")) > 0) {
        snprintf(num, sizeof(num), "--cpus-per-task=%lld",
                 (long long)json_integer_value(json_object_get(rg, "vcpus")));
        argv[n++] = strdup(num);
    }
    if (json_integer_value(json_object_get(rg, "mem_mb")) > 0) {
        snprintf(num, sizeof(num), "--mem=%lld",
                 (long long)json_integer_value(json_object_get(rg, "mem_mb")));
        argv[n++] = strdup(num);
    }
    argv[n++] = strdup("--");
    json_array_foreach(cmd, k, w) argv[n++] = strdup(json_string_value(w));
    return argv;
}

pid_t mnp_start(const struct mnp_run *r, long i)
{
    json_t *rg = range_of(r, i);
    if (!rg) {
        fprintf(stderr, "sluice-mnp: no node range holds node %ld\n", i);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) {
        if (pid < 0)
            perror("sluice-mnp: fork");
        return pid;
    }
    start_env(r, rg, i);
    char **argv = start_argv(r, rg, i);
    execvp(argv[0], argv);
    fprintf(stderr, "sluice-mnp: cannot run srun for node %ld: %m\n", i);
    _exit(127);
}
