/* ops_job.c: job queries and changes (list, show, cancel, hold, update, acct). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "db.h"
#include "log.h"
#include "parse.h"

static int json_has_str(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && strcasecmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static int json_has_id(json_t *arr, uint32_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_integer_value(v) == id)
            return 1;
    }
    return 0;
}

/* Slurm state names and short codes both select. */
static int state_matches(json_t *states, const struct job *j)
{
    static const struct { const char *code, *name; } codes[] = {
        { "PD", "PENDING" }, { "R", "RUNNING" }, { "CG", "COMPLETING" },
        { "CF", "CONFIGURING" }, { "CD", "COMPLETED" }, { "F", "FAILED" },
        { "CA", "CANCELLED" }, { "TO", "TIMEOUT" }, { "NF", "NODE_FAIL" },
        { "OOM", "OUT_OF_MEMORY" },
    };
    if (!json_array_size(states))
        return 1;
    const char *st = job_slurm_state(j);
    if (json_has_str(states, st) || json_has_str(states, job_state_name(j->state)) ||
        json_has_str(states, "all"))
        return 1;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(codes[i].name, st) == 0 && json_has_str(states, codes[i].code))
            return 1;
    }
    return 0;
}

static int job_matches(json_t *q, const struct job *j)
{
    json_t *users = json_object_get(q, "users"), *parts = json_object_get(q, "partitions");
    const char *name = json_string_value(json_object_get(q, "name"));
    return (!json_array_size(users) || json_has_str(users, j->user)) &&
           (!json_array_size(parts) || json_has_str(parts, j->partition)) &&
           (!name || strcmp(name, j->name) == 0) &&
           state_matches(json_object_get(q, "states"), j);
}

void op_job_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *ids = json_object_get(q, "job_ids"), *jobs = json_array();
    size_t i;
    json_t *v;
    if (json_array_size(ids)) {
        json_array_foreach(ids, i, v) {
            struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(v));
            json_t *rec = j ? job_to_json(j) : db_job_get(c->db, (uint32_t)json_integer_value(v));
            if (rec && (!j || job_matches(q, j)))
                json_array_append_new(jobs, rec);
            else
                json_decref(rec);
        }
        if (!json_array_size(jobs)) {
            json_decref(jobs);
            conn_error(conn, id, "ENOENT", "Invalid job id specified");
            return;
        }
    } else {
        for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
            if (job_matches(q, j))
                json_array_append_new(jobs, job_to_json(j));
        }
    }
    conn_reply(conn, id, json_pack("{s:o}", "jobs", jobs));
}

void op_job_show(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uint32_t jid = (uint32_t)json_integer_value(json_object_get(q, "job_id"));
    struct job *j = jobtab_find(c->jobs, jid);
    json_t *rec = j ? job_to_json(j) : db_job_get(c->db, jid);
    if (!rec) {
        conn_error(conn, id, "ENOENT", "Invalid job id specified: %u", jid);
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "job", rec));
}

typedef const char *(*job_action_fn)(struct ctld *c, struct job *j, uid_t uid, json_t *q);

static const char *act_cancel(struct ctld *c, struct job *j, uid_t uid, json_t *q)
{
    int sig = (int)json_integer_value(json_object_get(q, "signal"));
    if (sig) {
        if (j->state != JOB_RUNNING && j->state != JOB_STARTING)
            return "Job is not running: only running jobs can be signalled";
        launch_signal(c, j, sig);
        return NULL;
    }
    if (j->completing)
        return NULL;   /* already being terminated: cancelling again is harmless */
    j->cancelled_by = (int32_t)uid;
    if (job_is_pending(j))
        ctld_job_finish(c, j, END_CANCELLED, NULL);
    else
        launch_terminate(c, j, "cancelled");
    return NULL;
}

static const char *act_hold(struct ctld *c, struct job *j, uid_t uid, json_t *q)
{
    if (!job_is_pending(j))
        return "Job is no longer pending execution";
    j->hold = 1;
    j->hold_admin = uid != j->uid;
    j->state = JOB_PENDING;
    job_set_reason(j, j->hold_admin ? "JobHeldAdmin" : "JobHeldUser");
    ctld_job_save(c, j);
    return NULL;
}

static const char *act_release(struct ctld *c, struct job *j, uid_t uid, json_t *q)
{
    if (!job_is_pending(j))
        return "Job is no longer pending execution";
    if (j->hold_admin && !ctld_is_admin(c, uid))
        return "Access/permission denied: the job was held by an administrator";
    j->hold = j->hold_admin = 0;
    j->state = JOB_RUNNABLE;
    job_set_reason(j, NULL);
    ctld_job_save(c, j);
    ctld_sched_request(c);
    return NULL;
}

static void error_add(json_t *errors, uint32_t jid, const char *msg)
{
    json_array_append_new(errors, json_pack("{s:i, s:s}", "job_id", (int)jid, "message", msg));
}

/* Apply act to the selected jobs: explicit ids, or the filters over the
 * caller's own jobs (every job for an administrator). */
static void jobs_apply(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q,
                       job_action_fn act)
{
    uid_t uid = conn_uid(conn);
    int admin = ctld_is_admin(c, uid);
    json_t *ids = json_object_get(q, "job_ids"), *done = json_array(), *errors = json_array();
    const char *user = json_string_value(json_object_get(q, "user"));
    if (user && !json_object_get(q, "users"))
        json_object_set_new(q, "users", json_pack("[s]", user));
    if (!json_array_size(ids) && !json_object_size(q)) {
        conn_error(conn, id, "EINVAL", "No job identification provided");
        json_decref(done);
        json_decref(errors);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        uint32_t jid = (uint32_t)json_integer_value(v);
        if (!jobtab_find(c->jobs, jid)) {
            json_t *old = db_job_get(c->db, jid);
            error_add(errors, jid, old ? "Job/step already completing or completed"
                                       : "Invalid job id specified");
            json_decref(old);
        }
    }
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (json_array_size(ids) ? !json_has_id(ids, j->id) : (!admin && j->uid != uid))
            continue;
        if (!job_matches(q, j))
            continue;
        const char *err = (!admin && j->uid != uid) ? "Access/permission denied"
                                                    : act(c, j, uid, q);
        if (err)
            error_add(errors, j->id, err);
        else
            json_array_append_new(done, json_integer(j->id));
    }
    ctld_reply_later(c, conn, id, json_pack("{s:o, s:o}", "done", done, "errors", errors));
    ctld_kick(c);
}

void op_job_cancel(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    jobs_apply(arg, conn, id, q, act_cancel);
}

void op_job_hold(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    jobs_apply(arg, conn, id, q, act_hold);
}

void op_job_release(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    jobs_apply(arg, conn, id, q, act_release);
}
