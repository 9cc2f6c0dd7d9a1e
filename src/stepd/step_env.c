#define _GNU_SOURCE
#include "step_env.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "gpuenv.h"
#include <string.h>
#include <unistd.h>
#include "hostlist.h"
#include "taskenv.h"
#include "step_rec.h"

struct env {
    char **v;
    size_t n, cap;
};

static long env_find(const struct env *el, const char *key, size_t klen)
{
    for (size_t i = 0; i < el->n; i++) {
        if (strncmp(el->v[i], key, klen) == 0 && el->v[i][klen] == '=')
            return (long)i;
    }
    return -1;
}

/* Put "KEY=VALUE" (owned by the list from now on). */
static void env_put(struct env *el, char *kv, int overwrite)
{
    const char *eq = strchr(kv, '=');
    long i = eq ? env_find(el, kv, (size_t)(eq - kv)) : -1;

    if (!eq || eq == kv) {
        free(kv);
        return;
    }
    if (i >= 0) {
        if (overwrite) {
            free(el->v[i]);
            el->v[i] = kv;
        } else {
            free(kv);
        }
        return;
    }
    if (el->n + 2 > el->cap) {
        el->cap = el->cap ? el->cap * 2 : 128;
        el->v = realloc(el->v, el->cap * sizeof(*el->v));
        if (!el->v)
            abort();
    }
    el->v[el->n++] = kv;
    el->v[el->n] = NULL;
}

static void env_set(struct env *el, const char *key, const char *val, int overwrite)
{
    char *kv;
    if (asprintf(&kv, "%s=%s", key, val ? val : "") < 0)
        abort();
    env_put(el, kv, overwrite);
}

static void env_num(struct env *el, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    env_set(el, key, buf, 1);
}

static char *step_nodelist(const struct step_rec *r)
{
    hostlist_t *hl = hostlist_create();
    char *s;

    if (!hl)
        abort();
    for (uint32_t i = 0; i < r->num_nodes; i++)
        hostlist_push_host(hl, r->node_names[i]);
    s = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    return s;
}

/* This node's ranks: "4,5,6". */
static char *local_gtids(const struct step_rec *r)
{
    size_t cap = 12 * (size_t)r->nlocal + 1, off = 0;
    char *s = malloc(cap);

    if (!s)
        abort();
    s[0] = '\0';
    for (uint32_t i = 0; i < r->nlocal; i++)
        off += (size_t)snprintf(s + off, cap - off, "%s%u", i ? "," : "",
                                r->het_offset + r->first_rank + i);
    return s;
}

static void env_step(struct env *el, const struct step_rec *r)
{
    char *nodes = step_nodelist(r), *tpn = step_rec_tasks_per_node(r);
    char *gtids = local_gtids(r);

    env_num(el, "SLURM_JOB_ID", (int64_t)r->job_id);
    env_num(el, "SLURM_JOBID", (int64_t)r->job_id);
    env_num(el, "SLURM_STEP_ID", r->step_id);
    env_num(el, "SLURM_STEPID", r->step_id);
    env_num(el, "SLURM_NODEID", r->node_id);
    /* A heterogeneous step's tasks count all of its components' */
    uint32_t all = r->het_size ? r->het_ntasks : r->ntasks;
    env_num(el, "SLURM_NTASKS", all);
    env_num(el, "SLURM_NPROCS", all);
    env_num(el, "SLURM_NNODES", r->num_nodes);
    env_set(el, "SLURM_STEP_NODELIST", nodes ? nodes : "", 1);
    env_num(el, "SLURM_STEP_NUM_NODES", r->num_nodes);
    env_num(el, "SLURM_STEP_NUM_TASKS", all);
    if (r->het_size)
        env_num(el, "SLURM_HET_SIZE", r->het_size);
    env_set(el, "SLURM_STEP_TASKS_PER_NODE", tpn, 1);
    env_set(el, "SLURM_TASKS_PER_NODE", tpn, 1);
    env_num(el, "SLURM_CPUS_PER_TASK", r->cpus_per_task);
    env_set(el, "SLURMD_NODENAME", r->node_name, 1);
    env_set(el, "SLURM_TOPOLOGY_ADDR", r->node_name, 1);
    env_set(el, "SLURM_TOPOLOGY_ADDR_PATTERN", "node", 1);
    if (*r->job_nodes) {
        env_set(el, "SLURM_JOB_NODELIST", r->job_nodes, 1);
        env_set(el, "SLURM_NODELIST", r->job_nodes, 1);
    }
    if (r->job_num_nodes > 0)
        env_num(el, "SLURM_JOB_NUM_NODES", r->job_num_nodes);
    if (*r->job_cpus_per_node)
        env_set(el, "SLURM_JOB_CPUS_PER_NODE", r->job_cpus_per_node, 1);
    if (*r->cluster)
        env_set(el, "SLURM_CLUSTER_NAME", r->cluster, 1);
    if (*r->partition)
        env_set(el, "SLURM_JOB_PARTITION", r->partition, 1);
    if (*r->account)
        env_set(el, "SLURM_JOB_ACCOUNT", r->account, 1);
    env_set(el, "SLURM_GTIDS", gtids, 1);
    env_set(el, "SLURM_LAUNCH_NODE_IPADDR", r->io_host, 1);
    env_set(el, "SLURM_SRUN_COMM_HOST", r->io_host, 1);
    env_set(el, "SLURM_MPI_TYPE", *r->mpi ? r->mpi : "none", 1);
    env_num(el, "SLURM_JOB_UID", r->uid);
    env_num(el, "SLURM_JOB_GID", r->gid);
    env_set(el, "SLURM_JOB_USER", r->user, 1);
    free(nodes);
    free(tpn);
    free(gtids);
}

/* Several nodes of a contribs/devcluster on one machine share its
 * /dev/shm: Open MPI's shared-memory files of two "nodes" would collide
 * (ranks crash), also under an mpirun whose daemons this step runs.  A node
 * whose name is not the host's gets the step's own directory for them,
 * as mpi/pmix does for its tasks; srun's value wins. */
static void env_shared_host(struct env *el, const struct step_rec *r)
{
    char host[256] = "", dir[4200];
    size_t n = strlen(r->node_name);

    if (gethostname(host, sizeof(host) - 1) < 0)
        return;
    if (!strncmp(host, r->node_name, n) && (host[n] == '\0' || host[n] == '.'))
        return;
    snprintf(dir, sizeof(dir), "%s/tmp", r->step_dir);
    env_set(el, "OMPI_MCA_btl_vader_backing_directory", dir, 0);
}

/* The GPU variables of local task `local`: with --gpus-per-task N, its own
 * N of the node's step GPUs (the tasks' shares in task order); else all. */
static char **step_task_gpuenv(json_t *root, uint32_t local)
{
    json_int_t per = json_integer_value(json_object_get(root, "gpus_per_task"));
    json_t *gpus = json_object_get(root, "gpus");
    if (per <= 0 || json_array_size(gpus) < (size_t)per * (local + 1))
        return gpuenv_build(root, 1);
    json_t *rec = json_copy(root), *mine = json_array();
    for (size_t i = (size_t)per * local; i < (size_t)per * (local + 1); i++)
        json_array_append(mine, json_array_get(gpus, i));
    json_object_set_new(rec, "gpus", mine);
    char **g = gpuenv_build(rec, 1);
    json_decref(rec);
    return g;
}

char **step_env_build(const struct step_rec *r, uint32_t local, char *const *extra)
{
    struct env el = { 0 };
    const char *key;
    json_t *val;

    json_object_foreach(r->env, key, val) {
        if (*key && !strchr(key, '='))
            env_set(&el, key, json_string_value(val), 1);
    }
    env_step(&el, r);
    char **g = step_task_gpuenv(r->root, local);
    for (char **p = g; *p; p++) {
        char *eq = strchr(*p, '=');
        *eq = '\0';
        env_set(&el, *p, eq + 1, 1);
    }
    gpuenv_free(g);
    env_num(&el, "SLURM_PROCID", (int64_t)r->het_offset + r->first_rank + local);
    env_set(&el, "SLURM_TASK_PID", TASKENV_PID_PLACEHOLDER, 1);
    env_num(&el, "SLURM_LOCALID", local);
    for (char *const *p = extra; p && *p; p++) {
        char *kv = strdup(*p);
        if (!kv)
            abort();
        env_put(&el, kv, 1);
    }
    env_shared_host(&el, r);
    if (r->home)
        env_set(&el, "HOME", r->home, 0);
    if (r->shell)
        env_set(&el, "SHELL", r->shell, 0);
    env_set(&el, "USER", r->user, 0);
    env_set(&el, "LOGNAME", r->user, 0);
    env_set(&el, "PATH", "/usr/local/bin:/usr/bin:/bin", 0);
    return el.v;
}

void step_env_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

const char *step_env_get(char *const *env, const char *key)
{
    size_t klen = strlen(key);
    for (char *const *p = env; p && *p; p++) {
        if (strncmp(*p, key, klen) == 0 && (*p)[klen] == '=')
            return *p + klen + 1;
    }
    return NULL;
}
