#define _GNU_SOURCE
#include "jobenv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpuenv.h"
#include "launch.h"
#include "taskenv.h"

struct envlist {
    char **v;
    size_t n, cap;
};

static long envlist_find(const struct envlist *el, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < el->n; i++) {
        if (strncmp(el->v[i], key, klen) == 0 && el->v[i][klen] == '=')
            return (long)i;
    }
    return -1;
}

static void envlist_push(struct envlist *el, char *kv)
{
    if (el->n + 2 > el->cap) {
        el->cap = el->cap ? el->cap * 2 : 64;
        el->v = realloc(el->v, el->cap * sizeof(char *));
        if (!el->v)
            abort();
    }
    el->v[el->n++] = kv;
    el->v[el->n] = NULL;
}

static void envlist_append(struct envlist *el, const char *key, const char *value)
{
    char *kv;
    if (asprintf(&kv, "%s=%s", key, value ? value : "") < 0)
        abort();
    envlist_push(el, kv);
}

/* Move every entry of from to el, except those whose key skip (a JSON
 * object) holds; from is left empty. */
static void envlist_move(struct envlist *el, struct envlist *from, json_t *skip)
{
    for (size_t i = 0; i < from->n; i++) {
        char *kv = from->v[i], *eq = strchr(kv, '=');
        int skipped;
        *eq = '\0';
        skipped = skip && json_object_get(skip, kv);
        *eq = '=';
        if (skipped)
            free(kv);
        else
            envlist_push(el, kv);
    }
    free(from->v);
    from->v = NULL;
    from->n = from->cap = 0;
}

/* Set key=value; an existing entry is replaced only if overwrite. */
static void envlist_set(struct envlist *el, const char *key, const char *value,
                        int overwrite)
{
    long i = envlist_find(el, key);
    char *kv;

    if (i >= 0 && !overwrite)
        return;
    if (asprintf(&kv, "%s=%s", key, value) < 0)
        abort();
    if (i >= 0) {
        free(el->v[i]);
        el->v[i] = kv;
        return;
    }
    envlist_push(el, kv);
}

static void envlist_num(struct envlist *el, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    envlist_set(el, key, buf, 1);
}

char *jobenv_tasks_per_node(long ntasks, long nnodes, char *buf, size_t len)
{
    if (nnodes < 1)
        nnodes = 1;
    if (ntasks < nnodes)
        ntasks = nnodes;
    long base = ntasks / nnodes, extra = ntasks % nnodes;
    size_t off = 0;
    buf[0] = '\0';
    /* The first `extra` nodes carry one task more than the rest. */
    for (int part = 0; part < 2; part++) {
        long count = part == 0 ? extra : nnodes - extra;
        long tasks = part == 0 ? base + 1 : base;
        if (count == 0)
            continue;
        off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%ld", off ? "," : "",
                                tasks);
        if (count > 1)
            off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "(x%ld)", count);
    }
    return buf;
}

static void jobenv_slurm_job(struct envlist *el, const struct launch *l)
{
    char buf[64];

    envlist_num(el, "SLURM_JOB_ID", (int64_t)l->job_id);
    envlist_num(el, "SLURM_JOBID", (int64_t)l->job_id);
    envlist_set(el, "SLURM_JOB_NAME", l->name, 1);
    envlist_set(el, "SLURM_JOB_NODELIST", l->nodes, 1);
    envlist_set(el, "SLURM_NODELIST", l->nodes, 1);
    envlist_num(el, "SLURM_JOB_NUM_NODES", l->num_nodes);
    envlist_num(el, "SLURM_NNODES", l->num_nodes);
    envlist_num(el, "SLURM_NTASKS", l->ntasks);
    envlist_num(el, "SLURM_NPROCS", l->ntasks);
    envlist_num(el, "SLURM_CPUS_PER_TASK", l->cpus_per_task);
    envlist_num(el, "SLURM_CPUS_ON_NODE", l->cpus_on_node);
    if (*l->cpus_per_node)
        envlist_set(el, "SLURM_JOB_CPUS_PER_NODE", l->cpus_per_node, 1);
    /* As Slurm: the one the job asked for (--mem-per-cpu, else per node). */
    if (l->mem_per_cpu_mb > 0)
        envlist_num(el, "SLURM_MEM_PER_CPU", l->mem_per_cpu_mb);
    else if (l->mem_mb > 0)
        envlist_num(el, "SLURM_MEM_PER_NODE", l->mem_mb);
    if (l->ntasks_per_node > 0)
        envlist_num(el, "SLURM_NTASKS_PER_NODE", l->ntasks_per_node);
    if (l->qos && *l->qos)
        envlist_set(el, "SLURM_JOB_QOS", l->qos, 1);
    if (l->reservation && *l->reservation)
        envlist_set(el, "SLURM_JOB_RESERVATION", l->reservation, 1);
    if (l->start_time > 0) {
        /* An unlimited job ends, for Slurm, a year after it starts. */
        envlist_num(el, "SLURM_JOB_START_TIME", l->start_time);
        envlist_num(el, "SLURM_JOB_END_TIME",
                    l->start_time + (l->time_limit > 0 ? l->time_limit : 365 * 86400));
    }
    envlist_set(el, "SLURM_TASKS_PER_NODE",
                jobenv_tasks_per_node((long)l->ntasks, (long)l->num_nodes, buf, sizeof(buf)),
                1);
    envlist_set(el, "SLURM_SUBMIT_DIR", l->submit_dir, 1);
    envlist_set(el, "SLURM_SUBMIT_HOST", l->submit_host, 1);
    envlist_set(el, "SLURM_JOB_PARTITION", l->partition, 1);
    if (*l->account)
        envlist_set(el, "SLURM_JOB_ACCOUNT", l->account, 1);
    envlist_set(el, "SLURM_CLUSTER_NAME", l->cluster, 1);
    envlist_num(el, "SLURM_RESTART_COUNT", l->attempt);
}

static void jobenv_slurm_node(struct envlist *el, const struct launch *l)
{
    envlist_num(el, "SLURM_JOB_UID", l->uid);
    envlist_set(el, "SLURM_JOB_USER", l->user, 1);
    envlist_num(el, "SLURM_JOB_GID", l->gid);
    envlist_set(el, "SLURMD_NODENAME", l->node_name, 1);
    envlist_num(el, "SLURM_NODEID", l->node_index);
    envlist_set(el, "SLURM_PROCID", "0", 1);
    envlist_set(el, "SLURM_LOCALID", "0", 1);
    envlist_set(el, "SLURM_GTIDS", "0", 1);
    envlist_set(el, "SLURM_TASK_PID", TASKENV_PID_PLACEHOLDER, 1);
    if (l->array_task_id >= 0) {
        envlist_num(el, "SLURM_ARRAY_JOB_ID", l->array_job_id);
        envlist_num(el, "SLURM_ARRAY_TASK_ID", l->array_task_id);
        envlist_num(el, "SLURM_ARRAY_TASK_COUNT", l->array_task_count);
        envlist_num(el, "SLURM_ARRAY_TASK_MIN", l->array_task_min);
        envlist_num(el, "SLURM_ARRAY_TASK_MAX", l->array_task_max);
        envlist_num(el, "SLURM_ARRAY_TASK_STEP", l->array_task_step);
    }
}

static void jobenv_aws(struct envlist *el, const struct launch *l)
{
    envlist_num(el, "AWS_BATCH_JOB_ID", (int64_t)l->job_id);
    envlist_set(el, "AWS_BATCH_JQ_NAME", l->queue, 1);
    envlist_set(el, "AWS_BATCH_CE_NAME", l->partition, 1);
    envlist_num(el, "AWS_BATCH_JOB_ATTEMPT", l->attempt + 1);
    if (l->array_task_id >= 0) {
        envlist_num(el, "AWS_BATCH_JOB_ARRAY_INDEX", l->array_task_id);
        envlist_num(el, "AWS_BATCH_JOB_ARRAY_SIZE", l->array_task_count);
    }
}

/* GPUs and binding (gpuenv.h). */
static void jobenv_gpus(struct envlist *el, const struct launch *l)
{
    char **g = gpuenv_build(l->root, 0);

    for (char **p = g; *p; p++) {
        char *eq = strchr(*p, '=');
        *eq = '\0';
        envlist_set(el, *p, eq + 1, 1);
    }
    gpuenv_free(g);
}

/* The stepd's variables (a few dozen) are built apart and looked up there;
 * the submitted ones (unique keys of a JSON object, maybe 100,000) are
 * appended without a search, so the build is linear in their number. */
char **jobenv_build(const struct launch *l)
{
    struct envlist own = { 0 }, defaults = { 0 }, el = { 0 };
    const char *key;
    json_t *val;

    jobenv_slurm_job(&own, l);
    jobenv_slurm_node(&own, l);
    jobenv_aws(&own, l);
    jobenv_gpus(&own, l);
    if (l->home)
        envlist_set(&defaults, "HOME", l->home, 0);
    if (l->shell)
        envlist_set(&defaults, "SHELL", l->shell, 0);
    envlist_set(&defaults, "USER", l->user, 0);
    envlist_set(&defaults, "LOGNAME", l->user, 0);
    envlist_set(&defaults, "PATH", "/usr/local/bin:/usr/bin:/bin", 0);
    json_object_foreach(l->env, key, val) {
        if (*key && !strchr(key, '=') && envlist_find(&own, key) < 0)
            envlist_append(&el, key, json_string_value(val));
    }
    envlist_move(&el, &own, NULL);
    envlist_move(&el, &defaults, l->env);
    return el.v;
}

void jobenv_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}
