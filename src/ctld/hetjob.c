/* hetjob.c: heterogeneous jobs, the Slurm face of node groups.  A het job
 * of n components is n jobs with consecutive ids J, J+1, ...: component 0
 * (the leader, id J) runs the batch script; the others are allocations
 * without a script (alloc_only) that steps (srun --het-group) use.  They are
 * scheduled together, on disjoint nodes, or not at all, and end together
 * (doc/guide-job-model.md, "Heterogeneous jobs"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hetjob.h"
#include "log.h"
#include "sched_api.h"

size_t het_components(struct ctld *c, const struct job *j, struct job **out, size_t max)
{
    size_t n = 0;
    if (!j->het_job_id)
        return 0;
    /* Components leave memory as they end: gaps are skipped, not an end. */
    for (uint32_t k = 0; k < HET_MAX_COMPONENTS && n < max; k++) {
        struct job *o = jobtab_find(c->jobs, j->het_job_id + k);
        if (o && o->het_job_id == j->het_job_id && o->het_job_offset == k)
            out[n++] = o;
    }
    return n;
}

struct job *het_leader(struct ctld *c, struct job *j)
{
    if (!j->het_job_id || j->het_job_id == j->id)
        return j;
    struct job *l = jobtab_find(c->jobs, j->het_job_id);
    return l ? l : j;
}

/* Nodes for one component in the first of its partitions where all fit,
 * avoiding the nodes earlier components took. */
static int het_pick(struct ctld *c, struct job *j, const char *avoid, struct node **out,
                    const struct conf_partition **part, size_t *got, const char **why)
{
    const struct conf_partition *parts[16];
    size_t np = sched_job_parts(c, j, parts, 16);
    for (size_t k = 0; k < np; k++) {
        if (parts[k]->state != PART_UP && parts[k]->state != PART_DRAIN)
            continue;
        if (!sched_queue_room(c, j, sched_cpus_per_node(j, NULL) * sched_nodes_needed(j))) {
            *why = "QueueReservation";
            return 0;
        }
        *got = sched_pick_now(c, j, parts[k], out, why, avoid);
        if (*got == sched_nodes_needed(j)) {
            *part = parts[k];
            return 1;
        }
    }
    return 0;
}

static void het_wait(struct job **comp, size_t n, size_t failed, const char *why)
{
    char detail[200];
    snprintf(detail, sizeof(detail), "component %zu (job %u) needs %u node(s) with %u CPUs "
             "free; a heterogeneous job starts only when all %zu components fit at once",
             failed, comp[failed]->id, sched_nodes_needed(comp[failed]),
             sched_cpus_per_node(comp[failed], NULL), n);
    for (size_t k = 0; k < n; k++)
        sched_set_wait(comp[k], JOB_RUNNABLE, why, detail);
}

int sched_het_try(struct ctld *c, struct job *lead)
{
    return sched_het_try_avoiding(c, lead, NULL);
}

int sched_het_try_avoiding(struct ctld *c, struct job *lead, const char *keep_off)
{
    struct job *comp[HET_MAX_COMPONENTS];
    const struct conf_partition *part[HET_MAX_COMPONENTS];
    size_t got[HET_MAX_COMPONENTS], n = het_components(c, lead, comp, HET_MAX_COMPONENTS), k;
    size_t stride = c->nnodes + 1;
    char *avoid = calloc(stride, 1);
    struct node **picked = calloc(stride * HET_MAX_COMPONENTS, sizeof(*picked));
    const char *why = "Resources";
    if (!avoid || !picked)
        log_fatal("out of memory");
    if (keep_off)
        memcpy(avoid, keep_off, c->nnodes);
    for (k = 0; k < n; k++) {
        if (!job_is_pending(comp[k]) || job_is_terminal(comp[k]))
            break;   /* a component ended while pending: het_job_ended ends the rest */
        if (!het_pick(c, comp[k], avoid, picked + k * stride, &part[k], &got[k], &why))
            break;
        for (size_t i = 0; i < got[k]; i++)
            avoid[sched_node_index(c, picked[k * stride + i])] = 1;
    }
    int started = k == n && n > 0;
    if (started) {
        /* The others first: the leader's launch names their nodes. */
        for (k = n; k-- > 0;) {
            if (!sched_start_on(c, comp[k], part[k], picked + k * stride, got[k]))
                log_error("het job %u: component %zu did not start", lead->id, k);
        }
    } else if (k < n) {
        het_wait(comp, n, k, why);
    }
    free(picked);
    free(avoid);
    return started;
}

void het_job_ended(struct ctld *c, struct job *j, enum job_end end)
{
    struct job *comp[HET_MAX_COMPONENTS];
    size_t n = het_components(c, j, comp, HET_MAX_COMPONENTS);
    for (size_t k = 0; k < n; k++) {
        struct job *o = comp[k];
        if (o == j || job_is_terminal(o) || o->completing)
            continue;
        if (j->cancelled_by >= 0)
            o->cancelled_by = j->cancelled_by;
        if (job_is_pending(o)) {
            ctld_job_finish(c, o, end, NULL);
            continue;
        }
        /* An allocation ends as the het job did (job_complete's path). */
        if (o->alloc_only) {
            o->alloc_end = (int32_t)end;
            o->exit_code = j->exit_code;   /* srun A : B: the step's status on each */
            o->exit_signal = j->exit_signal;
        }
        launch_terminate(c, o, "its heterogeneous job ended");
    }
}

/* Slurm's per-component variables: NAME_HET_GROUP_k. */
static void env_set(json_t *env, const char *name, size_t k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void env_set(json_t *env, const char *name, size_t k, const char *fmt, ...)
{
    char key[96], val[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(key, sizeof(key), "%s_HET_GROUP_%zu", name, k);
    json_object_set_new(env, key, json_string(val));
}

void het_launch_env(struct ctld *c, const struct job *j, json_t *env)
{
    struct job *comp[HET_MAX_COMPONENTS];
    size_t n = het_components(c, j, comp, HET_MAX_COMPONENTS);
    char size[16];
    if (!n || j->het_job_offset || !json_is_object(env))
        return;
    snprintf(size, sizeof(size), "%zu", n);
    json_object_set_new(env, "SLURM_HET_SIZE", json_string(size));
    for (size_t k = 0; k < n; k++) {
        const struct job *o = comp[k];
        env_set(env, "SLURM_JOB_ID", k, "%u", o->id);
        env_set(env, "SLURM_JOBID", k, "%u", o->id);
        env_set(env, "SLURM_JOB_NODELIST", k, "%s", o->nodes ? o->nodes : "");
        env_set(env, "SLURM_NODELIST", k, "%s", o->nodes ? o->nodes : "");
        env_set(env, "SLURM_JOB_NUM_NODES", k, "%u", o->num_nodes);
        env_set(env, "SLURM_NNODES", k, "%u", o->num_nodes);
        env_set(env, "SLURM_JOB_PARTITION", k, "%s", o->partition ? o->partition : "");
        env_set(env, "SLURM_JOB_CPUS_PER_NODE", k, "%u(x%u)", o->cpus_per_node, o->num_nodes);
        if (o->ntasks) {
            env_set(env, "SLURM_NTASKS", k, "%u", o->ntasks);
            env_set(env, "SLURM_NPROCS", k, "%u", o->ntasks);
        }
        if (o->cpus_per_task)
            env_set(env, "SLURM_CPUS_PER_TASK", k, "%u", o->cpus_per_task);
        if (o->alloc_mem_mb)
            env_set(env, "SLURM_MEM_PER_NODE", k, "%llu", (unsigned long long)o->alloc_mem_mb);
    }
}
