/* ops_alloc.c: allocations without a script (salloc, srun): job_alloc_wait,
 * job_complete, and the job lookup the step operations share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "log.h"
#include "steps.h"

struct job *ops_job_get(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *jid,
                        uint32_t *finished)
{
    struct selector s;
    sl_error_t e;
    if (finished)
        *finished = 0;
    if (selector_parse(jid, &s, c->conf->max_array_size, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return NULL;
    }
    uint32_t task = s.tasks ? idset_first(s.tasks) : IDSET_NONE;
    struct job *j = task == IDSET_NONE ? jobtab_find(c->jobs, s.id)
                                       : jobtab_find_task(c->jobs, s.id, (int32_t)task);
    json_t *old = j || task != IDSET_NONE ? NULL : db_job_get(c->db, s.id);
    uid_t uid = conn_uid(conn);
    int mine = j ? j->uid == uid
                 : json_integer_value(json_object_get(old, "uid")) == (json_int_t)uid;
    uint32_t sid = s.id;
    selector_free(&s);
    if (!j && !old)
        conn_error(conn, id, "ENOENT", "Invalid job id specified");
    else if (!mine && !ctld_is_admin(c, uid))
        conn_error(conn, id, "EPERM", "Access/permission denied");
    else if (!j && finished)
        *finished = sid;
    else if (!j)
        conn_error(conn, id, "EINVAL", "Job/step already completing or completed");
    json_decref(old);
    return j && (mine || ctld_is_admin(c, uid)) ? j : NULL;
}

/* job_alloc_wait: replies wait here until their job runs or ends.  The list
 * is looked at after each commit (few entries: one per waiting salloc). */
struct waiter {
    sl_conn_t *conn;
    uint64_t id;
    uint32_t job_id;
};
static struct waiter *waiters;
static size_t nwaiters, cap_waiters;

static json_t *alloc_reply(struct ctld *c, const struct job *j)
{
    char cpn[64];
    json_t *het = json_object();
    /* a heterogeneous job's leader: its components, as a batch script
     * sees them (SLURM_HET_SIZE, SLURM_*_HET_GROUP_k) */
    het_launch_env(c, j, het);
    if (j->num_nodes > 1)
        snprintf(cpn, sizeof(cpn), "%u(x%u)", j->cpus_per_node, j->num_nodes);
    else
        snprintf(cpn, sizeof(cpn), "%u", j->cpus_per_node);
    return json_pack("{s:i, s:s, s:i, s:s, s:s, s:I, s:I, s:s, s:I, s:o}", "job_id", (int)j->id,
                     "nodes", j->nodes ? j->nodes : "", "num_nodes", (int)j->num_nodes,
                     "cpus_per_node", cpn, "partition", j->partition ? j->partition : "",
                     "time_limit", (json_int_t)j->time_limit, "start_time",
                     (json_int_t)j->start_time, "name", j->name ? j->name : "", "mem_mb",
                     (json_int_t)j->alloc_mem_mb, "het_env", het);
}

/* 1 when the waiter got its answer (or went away). */
static int waiter_settle(struct ctld *c, struct waiter *w)
{
    if (!conn_is_open(w->conn))
        return 1;
    struct job *j = jobtab_find(c->jobs, w->job_id);
    if (j && j->state == JOB_RUNNING && !j->completing) {
        conn_reply(w->conn, w->id, alloc_reply(c, j));
        return 1;
    }
    if (j && !job_is_terminal(j))
        return 0;
    json_t *rec = j ? job_to_json(j) : db_job_get(c->db, w->job_id);
    const char *st = json_string_value(json_object_get(rec, "slurm_state"));
    const char *why = json_string_value(json_object_get(rec, "reason"));
    conn_error(w->conn, w->id, "EINVAL", "Job allocation %u has been revoked: it ended %s%s%s",
               w->job_id, st ? st : "", why && strcmp(why, "None") ? ", " : "",
               why && strcmp(why, "None") ? why : "");
    json_decref(rec);
    return 1;
}

void alloc_waiters_poll(struct ctld *c)
{
    for (size_t i = 0; i < nwaiters;) {
        if (waiter_settle(c, &waiters[i])) {
            conn_release(waiters[i].conn);
            waiters[i] = waiters[--nwaiters];
        } else {
            i++;
        }
    }
}

void alloc_waiters_fini(void)
{
    for (size_t i = 0; i < nwaiters; i++)
        conn_release(waiters[i].conn);
    free(waiters);
    waiters = NULL;
    nwaiters = cap_waiters = 0;
}

void op_job_alloc_wait(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uint32_t finished;
    struct job *j = ops_job_get(c, conn, id, json_object_get(q, "job_id"), &finished);
    uint32_t jid = j ? j->id : finished;
    if (!jid)
        return;
    struct waiter w = { conn_hold(conn), id, jid };
    if (waiter_settle(c, &w)) {
        conn_release(w.conn);
        return;
    }
    if (nwaiters == cap_waiters) {
        cap_waiters = cap_waiters ? cap_waiters * 2 : 16;
        waiters = realloc(waiters, cap_waiters * sizeof(*waiters));
        if (!waiters)
            log_fatal("out of memory");
    }
    waiters[nwaiters++] = w;
}

/* salloc's command exited: the allocation ends COMPLETED, or FAILED with the
 * command's status, once its nodes confirm (never CANCELLED). */
void op_job_complete(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uint32_t finished;
    struct job *j = ops_job_get(c, conn, id, json_object_get(q, "job_id"), &finished);
    if (finished) {
        conn_reply(conn, id, json_object());     /* ended already: nothing to do */
        return;
    }
    if (!j)
        return;
    if (!j->alloc_only) {
        conn_error(conn, id, "EINVAL", "Job %u is a batch job: job_complete ends only "
                   "allocations made without a script (salloc, srun)", j->id);
        return;
    }
    int code = (int)json_integer_value(json_object_get(q, "exit_code"));
    int sig = (int)json_integer_value(json_object_get(q, "signal"));
    if (!j->completing && !job_is_terminal(j)) {
        j->alloc_end = code || sig ? END_FAILED : END_COMPLETED;
        j->exit_code = code;
        j->exit_signal = sig;
        if (job_is_pending(j))
            ctld_job_finish(c, j, (enum job_end)j->alloc_end, code || sig ? "NonZeroExitCode"
                                                                          : NULL);
        else
            launch_terminate(c, j, "complete");
    }
    ctld_reply_later(c, conn, id, json_object());
}
