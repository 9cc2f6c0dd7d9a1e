/* launch.c: what the controller sends to nodes about a job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "hostlist.h"
#include "log.h"
#include "nodealloc.h"
#include "power.h"
#include "proto.h"

/* The batch script runs on the first allocated node, as in Slurm. */
static struct node *job_batch_node(struct ctld *c, const struct job *j)
{
    if (!j->nodes)
        return NULL;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    struct node *n = hl && hostlist_count(hl) ? node_find(c, hostlist_nth(hl, 0)) : NULL;
    hostlist_destroy(hl);
    return n;
}

/* SLURM_ARRAY_* and AWS_BATCH_JOB_ARRAY_* come from these. */
static void launch_array_fields(const struct job *j, json_t *rec)
{
    if (!j->array_job_id || j->array_task_id < 0)
        return;
    /* Recorded at submit: decoding the whole set per task would cost O(tasks). */
    uint32_t min = j->array_min, max = j->array_max;
    /* The step of a single "a-b:s" range; 1 otherwise, as Slurm reports. */
    unsigned step = 1;
    const char *colon = j->array_spec ? strchr(j->array_spec, ':') : NULL;
    if (colon && !strchr(j->array_spec, ','))
        step = (unsigned)atoi(colon + 1);
    json_t *a = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "array_job_id", (int)j->array_job_id,
                          "array_task_id", (int)j->array_task_id, "array_task_count",
                          (int)j->array_size, "array_task_min", (int)min, "array_task_max",
                          (int)max, "array_task_step", (int)(step ? step : 1));
    json_object_update(rec, a);
    json_decref(a);
}

/* An allocation without a script (salloc, srun): the node holds it until it
 * is ended.  A node that predates alloc_only runs the script instead, which
 * holds it the same way, so such nodes keep working with a newer controller
 * (doc/protocol.md, "Allocations without a script"). */
#define ALLOC_HOLD_SCRIPT "#!/bin/sh\n# alloc_only: hold the allocation until it is ended\n" \
                          "while :; do sleep 3600; done\n"

static void launch_alloc_only(json_t *rec)
{
    json_object_set_new(rec, "alloc_only", json_true());
    json_object_set_new(rec, "script", json_string(ALLOC_HOLD_SCRIPT));
    json_object_set_new(rec, "stdout", json_string("/dev/null"));
    json_object_set_new(rec, "stderr", json_string("/dev/null"));
    json_object_set_new(rec, "stdin", json_string("/dev/null"));
}

static json_t *launch_record(struct ctld *c, const struct job *j, const char *node_name)
{
    json_t *spec = db_job_spec(c->db, job_spec_id(j));
    char cpn[64];
    if (j->num_nodes > 1)
        snprintf(cpn, sizeof(cpn), "%u(x%u)", j->cpus_per_node, j->num_nodes);
    else
        snprintf(cpn, sizeof(cpn), "%u", j->cpus_per_node);
    json_t *rec = json_pack(
        "{s:i, s:i, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i,"
        " s:i, s:i, s:i, s:s, s:I, s:I, s:i, s:s, s:s, s:I, s:s, s:s}",
        "job_id", (int)j->id, "attempt", (int)j->restart_count, "name", j->name, "uid",
        (int)j->uid, "gid", (int)j->gid, "user", j->user, "cwd", j->cwd, "stdout",
        j->std_out ? j->std_out : "", "stderr", j->std_err ? j->std_err : "", "stdin",
        j->std_in ? j->std_in : "", "open_mode", j->open_mode ? j->open_mode : "truncate",
        "partition", j->partition, "queue", j->queue ? j->queue : j->partition, "cluster", c->conf->cluster_name,
        "num_nodes", (int)j->num_nodes, "ntasks", (int)j->ntasks, "cpus_per_task",
        (int)(j->cpus_per_task ? j->cpus_per_task : 1), "cpus_on_node", (int)j->cpus_per_node,
        "node_index", 0, "cpus_per_node", cpn, "mem_mb", (json_int_t)j->alloc_mem_mb,
        "time_limit", (json_int_t)j->time_limit, "kill_wait", c->conf->kill_wait, "nodes",
        j->nodes, "node_name", node_name, "start_time", (json_int_t)j->start_time,
        "submit_dir", j->submit_dir ? j->submit_dir : j->cwd, "submit_host",
        j->submit_host ? j->submit_host : "");
    if (j->account)
        json_object_set_new(rec, "account", json_string(j->account));
    /* For the job's SLURM_JOB_QOS, SLURM_MEM_PER_CPU, SLURM_NTASKS_PER_NODE. */
    if (j->qos)
        json_object_set_new(rec, "qos", json_string(j->qos));
    if (j->reservation)
        json_object_set_new(rec, "reservation", json_string(j->reservation));
    if (j->mem_per_cpu_mb)
        json_object_set_new(rec, "mem_per_cpu_mb", json_integer((json_int_t)j->mem_per_cpu_mb));
    if (j->ntasks_per_node)
        json_object_set_new(rec, "ntasks_per_node", json_integer(j->ntasks_per_node));
    /* Later attempts add to the output of earlier ones. */
    if (j->restart_count)
        json_object_set_new(rec, "open_mode", json_string("append"));
    if (j->warn_signal)
        json_object_update_new(rec, json_pack("{s:i, s:i, s:b}", "warn_signal", j->warn_signal,
                                              "warn_time", j->warn_time, "warn_batch_only",
                                              j->warn_batch_only));
    launch_array_fields(j, rec);
    struct node *n = node_find(c, node_name);
    if (n)
        nodealloc_launch_fields(n, j, rec);
    if (j->cpu_bind)
        json_object_set_new(rec, "cpu_bind", json_string(j->cpu_bind));
    json_t *script = json_object_get(spec, "script"), *argv = json_object_get(spec, "argv");
    json_t *env = json_object_get(spec, "env");
    json_object_set_new(rec, "script", json_is_string(script) ? json_incref(script) : json_string(""));
    json_object_set_new(rec, "argv", json_is_array(argv) ? json_incref(argv) : json_array());
    json_object_set_new(rec, "env", json_is_object(env) ? json_incref(env) : json_object());
    het_launch_env(c, j, json_object_get(rec, "env"));
    json_decref(spec);
    if (j->alloc_only)
        launch_alloc_only(rec);
    return rec;
}

/* A launch record is one frame on the node channel; one over the frame
 * limit would drop the channel at every try and wedge the node's other
 * jobs.  What a job brings into its record (script, arguments, environment,
 * names and paths) may take at most a quarter of a frame, leaving the rest
 * for what the controller adds (node lists, a few hundred bytes of fields);
 * strings are counted at their worst JSON escaping. */
#define LAUNCH_MAX_JOB_BYTES (PROTO_MAX_FRAME / 4)

int launch_size_check(const struct job *j, json_t *spec, sl_error_t *e)
{
    static const char *const keys[] = { "script", "argv", "env" };
    const char *strs[] = { j->name, j->user, j->cwd, j->std_out, j->std_err, j->std_in,
                           j->open_mode, j->partition, j->queue, j->account, j->submit_dir,
                           j->submit_host };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(spec, keys[i]);
        n += v ? json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    }
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        n += strs[i] ? strlen(strs[i]) * 6 : 0;
    if (n > LAUNCH_MAX_JOB_BYTES)
        return sl_errprintf(e, "job too large: its script, arguments, environment and paths "
                               "take %zu bytes encoded, over the limit of %u bytes (a quarter "
                               "of the node channel's %u byte frame limit)",
                            n, LAUNCH_MAX_JOB_BYTES, PROTO_MAX_FRAME);
    return 0;
}

/* The last guard (a record built from a job definition, a huge node list):
 * a launch that cannot be sent fails its job instead of the channel. */
static int launch_fits(struct ctld *c, struct job *j, json_t *rec)
{
    size_t len = json_dumpb(rec, NULL, 0, JSON_COMPACT) + 256;     /* + the envelope */
    if (len <= PROTO_MAX_FRAME)
        return 1;
    char why[160];
    snprintf(why, sizeof(why), "launch record of %zu bytes exceeds the %u byte frame limit",
             len, PROTO_MAX_FRAME);
    log_error("job %u: %s", j->id, why);
    ctld_job_finish(c, j, END_FAILED, why);
    ctld_kick(c);
    return 0;
}

static void launch_now(struct ctld *c, void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    struct job *j = jobtab_find(c->jobs, id);
    if (!j || j->state != JOB_STARTING)
        return;
    struct node *n = job_batch_node(c, j);
    if (!n || !n->chan) {
        /* The node went away since it was picked; its return or its timeout
         * settles the job (requeued: it never ran). */
        log_warn("job %u: node %s not connected at launch", j->id, n ? n->name : "?");
        return;
    }
    json_t *rec = launch_record(c, j, n->name);
    if (!launch_fits(c, j, rec)) {
        json_decref(rec);
        return;
    }
    node_send(n, "job_launch", rec);
    log_debug("job %u launched on %s", j->id, n->name);
}

void launch_job(struct ctld *c, struct job *j)
{
    if (power_job_hold(c, j))      /* CONFIGURING until its nodes are powered up */
        return;
    ctld_after_commit(c, launch_now, (void *)(uintptr_t)j->id);
}

static void terminate_now(struct ctld *c, void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    struct job *j = jobtab_find(c->jobs, id);
    struct node *n = j ? job_batch_node(c, j) : NULL;
    if (n)
        node_send(n, "job_terminate", json_pack("{s:i, s:s}", "job_id", (int)id, "reason",
                                                "cancelled"));
}

void launch_terminate(struct ctld *c, struct job *j, const char *why)
{
    struct node *n = job_batch_node(c, j);
    /* A job still waiting for its nodes to power up has nothing to stop. */
    if (!n || (!n->chan && n->down && !j->fencing) ||
        (j->state == JOB_STARTING && power_node_off(n))) {
        /* Nobody to tell: end it now; if the node returns still running it,
         * registration kills the job as unexpected. */
        ctld_job_finish(c, j, job_cancel_end(j), NULL);
        return;
    }
    /* Ended only when the node confirms it: its result, its registration
     * without the job, or its lease's end (NodeTimeout).  A node away for
     * less than that (its daemon restarting, or the controller just
     * restarted) still runs the job and is told when it registers: ending
     * the job before would let a requeued attempt start beside the old one. */
    j->completing = 1;
    ctld_job_save(c, j);
    if (n->chan)
        ctld_after_commit(c, terminate_now, (void *)(uintptr_t)j->id);
}

void launch_signal(struct ctld *c, struct job *j, int sig)
{
    struct node *n = job_batch_node(c, j);
    if (n)
        node_send(n, "job_signal", json_pack("{s:i, s:i}", "job_id", (int)j->id, "signal", sig));
}
