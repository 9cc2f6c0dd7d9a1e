/* ops_job.c: job queries and changes (list, show, cancel, hold, update, acct). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "job_cols.h"
#include "proto.h"
#include "log.h"
#include "parse.h"
#include "steps.h"

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

/* Slurm state names and short codes both select; slurm is the Slurm state
 * ("RUNNING"), internal Sluice's own name for it. */
static int state_names_match(json_t *states, const char *slurm, const char *internal)
{
    static const struct { const char *code, *name; } codes[] = {
        { "PD", "PENDING" }, { "R", "RUNNING" }, { "CG", "COMPLETING" },
        { "CF", "CONFIGURING" }, { "CD", "COMPLETED" }, { "F", "FAILED" },
        { "CA", "CANCELLED" }, { "TO", "TIMEOUT" }, { "NF", "NODE_FAIL" },
        { "OOM", "OUT_OF_MEMORY" }, { "DL", "DEADLINE" },
    };
    if (!json_array_size(states))
        return 1;
    if (json_has_str(states, slurm) || (internal && json_has_str(states, internal)) ||
        json_has_str(states, "all"))
        return 1;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(codes[i].name, slurm) == 0 && json_has_str(states, codes[i].code))
            return 1;
    }
    return 0;
}

static int state_matches(json_t *states, const struct job *j)
{
    return state_names_match(states, job_slurm_state(j), job_state_name(j->state));
}

/* A partition filter matches the partition a job runs in, any partition a
 * pending job may use, or its queue's name. */
static int part_matches(json_t *parts, const struct job *j)
{
    if (!json_array_size(parts) || (j->queue && json_has_str(parts, j->queue)))
        return 1;
    char *copy = j->partition ? strdup(j->partition) : NULL, *save = NULL;
    int hit = 0;
    for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it && !hit;
         it = strtok_r(NULL, ",", &save))
        hit = json_has_str(parts, it);
    free(copy);
    return hit;
}

static int job_matches(json_t *q, const struct job *j)
{
    json_t *users = json_object_get(q, "users"), *parts = json_object_get(q, "partitions");
    json_t *queues = json_object_get(q, "queues");
    const char *name = json_string_value(json_object_get(q, "name"));
    return (!json_array_size(users) || json_has_str(users, j->user)) &&
           part_matches(parts, j) &&
           (!json_array_size(queues) || (j->queue && json_has_str(queues, j->queue))) &&
           (!name || strcmp(name, j->name) == 0) &&
           state_matches(json_object_get(q, "states"), j);
}

/* A finished job as scontrol and squeue may still see it: within
 * JobRetention of its end (sacct sees it until it is purged). */
static json_t *stored_get(struct ctld *c, uint32_t id, int32_t task)
{
    json_t *rec = task < 0 ? db_job_get(c->db, id) : db_task_get(c->db, id, task);
    int64_t end = json_integer_value(json_object_get(rec, "end_time"));
    if (rec && end && end + c->conf->job_retention < ctld_now()) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* Parse the request's job_ids; on error reply and return -1. */
static int selectors_get(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q,
                         struct selector **out, size_t *n)
{
    json_t *ids = json_object_get(q, "job_ids"), *v;
    size_t i;
    sl_error_t e;
    *n = json_array_size(ids);
    *out = calloc(*n + 1, sizeof(**out));
    json_array_foreach(ids, i, v) {
        if (selector_parse(v, &(*out)[i], c->conf->max_array_size, &e) < 0) {
            conn_error(conn, id, "EINVAL", "%s", e.text);
            for (size_t k = 0; k < i; k++)
                selector_free(&(*out)[k]);
            free(*out);
            return -1;
        }
    }
    return 0;
}

static void selectors_free(struct selector *sel, size_t n)
{
    for (size_t i = 0; i < n; i++)
        selector_free(&sel[i]);
    free(sel);
}

static int selected(const struct selector *sel, size_t n, const struct job *j)
{
    for (size_t i = 0; i < n; i++) {
        if (selector_matches(&sel[i], j))
            return 1;
        /* A pending task is represented by its array's record. */
        if (sel[i].tasks && j->id == sel[i].id && j->array_pending) {
            for (uint32_t t = idset_first(sel[i].tasks); t != IDSET_NONE;
                 t = idset_next(sel[i].tasks, t))
                if (idset_test(j->array_pending, t))
                    return 1;
        }
    }
    return 0;
}

/* An array whose tasks have all started is shown through its tasks. */
static int listed(const struct job *j)
{
    return !job_is_array_parent(j) || (j->array_pending && idset_count(j->array_pending));
}

/* Whose jobs a listing may show: everyone's (-1), or with PrivateData=jobs
 * only the caller's, unless an admin asks. */
static long list_viewer(struct ctld *c, sl_conn_t *conn)
{
    uid_t uid = conn_uid(conn);
    return ctld_sees_all(c, uid, PRIVATE_JOBS) ? -1 : (long)uid;
}

/* As Slurm's MinJobAge (default 300 s): how long a finished job stays in
 * listings that name no ids but ask for finished states (squeue -t all,
 * -t CD); with ids, JobRetention applies (list_stored). */
#define LIST_MIN_JOB_AGE 300

static int states_want_finished(json_t *states)
{
    static const char *const live[] = { "PENDING", "CONFIGURING", "RUNNING", "COMPLETING",
                                        "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING",
                                        "STAGE_OUT", "STOPPED", "REQUEUE_HOLD", "REQUEUE_FED" };
    json_t *v;
    size_t i, k;
    json_array_foreach(states, i, v) {
        for (k = 0; k < sizeof(live) / sizeof(live[0]); k++)
            if (!strcmp(json_string_value(v) ? json_string_value(v) : "", live[k]))
                break;
        if (k == sizeof(live) / sizeof(live[0]))
            return 1;
    }
    return 0;
}

static const char *rec_str(const json_t *rec, const char *key)
{
    const char *v = json_string_value(json_object_get(rec, key));
    return v ? v : "";
}

/* An integer field as an object key ("43"), in buf. */
static const char *id_key(const json_t *rec, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", (long long)json_integer_value(json_object_get(rec, key)));
    return buf;
}

/* The jobs that finished within LIST_MIN_JOB_AGE, no longer in memory,
 * that the request's users and states select and viewer may see. */
static void list_recent(struct ctld *c, json_t *q, long viewer, json_t *out)
{
    json_t *states = json_object_get(q, "states"), *users = json_object_get(q, "users"), *rec;
    int64_t since = ctld_now() - LIST_MIN_JOB_AGE;
    struct acct_filter f = { .start = since, .all_users = 1, .ended_only = 1 };
    sl_error_t e;
    size_t i;
    char k[24];
    if (!states_want_finished(states))
        return;
    json_t *recs = db_acct_query(c->db, &f, &e);
    if (!recs) {
        log_error("squeue's recently finished jobs: %s", e.text);
        return;
    }
    if (viewer >= 0)
        ctld_records_own(recs, (uid_t)viewer);
    json_t *arrays = json_object();   /* arrays with a started task: shown by their tasks */
    json_array_foreach(recs, i, rec) {
        if (json_integer_value(json_object_get(rec, "array_task_id")) >= 0 &&
            json_object_get(rec, "array_task_id"))
            json_object_set_new(arrays, id_key(rec, "array_job_id", k, sizeof(k)), json_true());
    }
    json_array_foreach(recs, i, rec) {
        const char *slurm = json_string_value(json_object_get(rec, "slurm_state"));
        int64_t end = json_integer_value(json_object_get(rec, "end_time"));
        uint32_t jid = (uint32_t)json_integer_value(json_object_get(rec, "job_id"));
        if (end >= since && !jobtab_find(c->jobs, jid) &&
            !json_object_get(arrays, id_key(rec, "job_id", k, sizeof(k))) &&
            (!json_array_size(users) ||
             json_has_str(users, rec_str(rec, "user"))) &&
            state_names_match(states, slurm ? slurm : "",
                              json_string_value(json_object_get(rec, "state"))))
            json_array_append(out, rec);
    }
    json_decref(recs);
    json_decref(arrays);
}

/* Append to out the finished jobs the request names explicitly
 * (JobRetention) that viewer may see and whose state the request's
 * "states" select (squeue -j ID lists a finished job only with -t naming
 * its state, as Slurm); returns how many viewer may see, selected or not. */
static size_t list_stored(struct ctld *c, json_t *q, const struct selector *sel, size_t nsel,
                          long viewer, json_t *out)
{
    json_t *found, *states = json_object_get(q, "states"), *rec;
    size_t known, i;
    if (!nsel) {
        list_recent(c, q, viewer, out);
        return 0;
    }
    found = json_array();
    for (size_t k = 0; k < nsel; k++) {
        if (!sel[k].tasks && jobtab_find(c->jobs, sel[k].id))
            continue;
        selector_stored(c, &sel[k], found, stored_get);
    }
    if (viewer >= 0)
        ctld_records_own(found, (uid_t)viewer);
    known = json_array_size(found);
    json_array_foreach(found, i, rec) {
        const char *slurm = json_string_value(json_object_get(rec, "slurm_state"));
        if (state_names_match(states, slurm ? slurm : "",
                              json_string_value(json_object_get(rec, "state"))))
            json_array_append(out, rec);
    }
    json_decref(found);
    return known;
}

/* Whether a live job the ids select is one viewer may see, filters aside:
 * with none (and no stored one), the ids name no job ("Invalid job id"). */
static int live_known(struct ctld *c, const struct selector *sel, size_t nsel, long viewer)
{
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next)
        if ((viewer < 0 || j->uid == (uid_t)viewer) && selected(sel, nsel, j))
            return 1;
    return 0;
}

static int list_wanted(json_t *q, const struct selector *sel, size_t nsel, long viewer,
                       const struct job *j)
{
    return (viewer < 0 || j->uid == (uid_t)viewer) &&
           (nsel ? selected(sel, nsel, j) : listed(j)) && job_matches(q, j);
}

/* "columns": one row of values per job, written as JSON text (job_cols.h). */
static void list_columns(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q,
                         const struct selector *sel, size_t nsel)
{
    long viewer = list_viewer(c, conn);
    struct jobcols cols;
    struct jsonw w;
    sl_error_t e;
    size_t rows = 0, i, known;
    json_t *stored, *rec;
    if (jobcols_init(&cols, json_object_get(q, "columns"), &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    jsonw_init(&w);
    jsonw_raw(&w, "\0\0\0\0", PROTO_HDR_LEN);     /* the frame's header goes here */
    jsonw_text(&w, "{\"id\":");
    jsonw_int(&w, (int64_t)id);
    jsonw_text(&w, ",\"body\":{\"columns\":");
    jobcols_names(&cols, &w);
    jsonw_text(&w, ",\"rows\":[");
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!list_wanted(q, sel, nsel, viewer, j))
            continue;
        if (rows++)
            jsonw_char(&w, ',');
        jobcols_row(&cols, j, &w);
    }
    stored = json_array();
    known = list_stored(c, q, sel, nsel, viewer, stored) || live_known(c, sel, nsel, viewer);
    json_array_foreach(stored, i, rec) {
        if (rows++)
            jsonw_char(&w, ',');
        jobcols_row_rec(&cols, rec, &w);
    }
    json_decref(stored);
    jsonw_text(&w, "]}}");
    if (nsel && !known)
        conn_error(conn, id, "ENOENT", "Invalid job id specified");
    else if (w.oom)
        conn_error(conn, id, "EIO", "out of memory listing %zu jobs", rows);
    else if (w.len - PROTO_HDR_LEN > PROTO_MAX_FRAME)
        conn_error(conn, id, "EIO", "listing of %zu jobs is %zu bytes, over the %u byte "
                   "frame limit: filter it or ask for fewer columns", rows, w.len,
                   PROTO_MAX_FRAME);
    else {
        conn_send_owned(conn, w.buf, w.len);
        jsonw_init(&w);     /* the connection owns the buffer now */
    }
    jsonw_free(&w);
    jobcols_free(&cols);
}

void op_job_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct selector *sel;
    size_t nsel;
    json_t *jobs, *keys = json_object_get(q, "fields");
    long viewer = list_viewer(c, conn);
    size_t known;
    if (selectors_get(c, conn, id, q, &sel, &nsel) < 0)
        return;
    if (json_object_get(q, "columns")) {
        list_columns(c, conn, id, q, sel, nsel);
        selectors_free(sel, nsel);
        return;
    }
    jobs = json_array();
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (list_wanted(q, sel, nsel, viewer, j))
            json_array_append_new(jobs, json_is_array(keys) ? job_to_json_fields(j, keys)
                                                            : job_to_json(j));
    }
    known = list_stored(c, q, sel, nsel, viewer, jobs) || live_known(c, sel, nsel, viewer);
    selectors_free(sel, nsel);
    if (nsel && !known) {
        json_decref(jobs);
        conn_error(conn, id, "ENOENT", "Invalid job id specified");
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "jobs", jobs));
}

void op_job_show(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct selector s;
    sl_error_t e;
    json_t *jid = json_object_get(q, "job_id"), *rec = NULL;
    if (selector_parse(jid, &s, c->conf->max_array_size, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    uint32_t task = s.tasks ? idset_first(s.tasks) : IDSET_NONE;
    struct job *j = task == IDSET_NONE ? jobtab_find(c->jobs, s.id)
                                       : jobtab_find_task(c->jobs, s.id, (int32_t)task);
    if (!j && task != IDSET_NONE && (j = jobtab_find(c->jobs, s.id)) &&
        !(j->array_pending && idset_test(j->array_pending, task)))
        j = NULL;
    rec = j ? job_to_json(j) : stored_get(c, s.id, task == IDSET_NONE ? -1 : (int32_t)task);
    selector_free(&s);
    if (rec && !ctld_sees_all(c, conn_uid(conn), PRIVATE_JOBS) &&
        json_integer_value(json_object_get(rec, "uid")) != (json_int_t)conn_uid(conn)) {
        json_decref(rec);   /* as if it did not exist: PrivateData=jobs */
        rec = NULL;
    }
    if (!rec) {
        conn_error(conn, id, "ENOENT", "Invalid job id specified");
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
    /* AWS Batch's distinction, for the HTTP API: "cancel" applies only to
     * jobs not yet started; "terminate" (scancel's meaning) to any. */
    const char *mode = json_string_value(json_object_get(q, "mode"));
    if (mode && !strcmp(mode, "cancel") && !job_is_pending(j) && !job_is_array_parent(j))
        return "Job has started: cancel applies only to jobs not yet started (terminate stops "
               "running jobs)";
    j = het_leader(c, j);   /* a het job is cancelled whole, through its leader */
    if (j->completing)
        return NULL;   /* already being terminated: cancelling again is harmless */
    if (job_is_array_parent(j)) {
        array_cancel(c, j, NULL, uid);
        return NULL;
    }
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
    if (j->priority_set && j->priority == 0) {
        /* --priority=0 held it: released, it is ordered as any other. */
        j->priority_set = 0;
        j->priority = j->id < 4000000000u ? 4000000000u - j->id : 1;
    }
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

/* Cancel only the named pending tasks of an array. */
static const char *act_cancel_tasks(struct ctld *c, struct job *p, const idset_t *tasks,
                                    uid_t uid)
{
    idset_t *pend = idset_create(idset_size(p->array_pending));
    for (uint32_t t = idset_first(tasks); t != IDSET_NONE; t = idset_next(tasks, t))
        if (idset_test(p->array_pending, t))
            idset_set(pend, t);
    if (idset_count(pend))
        array_cancel(c, p, pend, uid);
    idset_destroy(pend);
    return NULL;
}

/* Without ids, only a filter selects jobs: a body holding nothing else (a
 * signal or a mode alone, or empty lists) names no job, as scancel without
 * arguments names none; it must not read as "every job I may act on". */
static int has_filter(json_t *q)
{
    static const char *const lists[] = { "users", "states", "partitions", "queues" };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if (json_array_size(json_object_get(q, lists[i])))
            return 1;
    }
    return json_object_get(q, "name") != NULL;
}

/* Apply act to the selected jobs: explicit ids, or the filters over the
 * caller's own jobs (every job for an administrator). */
static void jobs_apply(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q,
                       job_action_fn act)
{
    uid_t uid = conn_uid(conn);
    int admin = ctld_is_admin(c, uid);
    struct selector *sel;
    size_t nsel;
    json_t *done = json_array(), *errors = json_array();
    const char *user = json_string_value(json_object_get(q, "user"));
    const char *part = json_string_value(json_object_get(q, "partition"));
    if (user && !json_object_get(q, "users"))
        json_object_set_new(q, "users", json_pack("[s]", user));
    if (part && !json_object_get(q, "partitions"))
        json_object_set_new(q, "partitions", json_pack("[s]", part));
    if (!json_array_size(json_object_get(q, "job_ids")) && !has_filter(q)) {
        conn_error(conn, id, "EINVAL", "No job identification provided");
        json_decref(done);
        json_decref(errors);
        return;
    }
    if (selectors_get(c, conn, id, q, &sel, &nsel) < 0) {
        json_decref(done);
        json_decref(errors);
        return;
    }
    for (size_t i = 0; i < nsel; i++) {
        int any = 0;
        for (struct job *j = jobtab_first(c->jobs); j && !any; j = j->next)
            any = selected(&sel[i], 1, j);
        if (!any) {
            json_t *old = db_job_get(c->db, sel[i].id);
            error_add(errors, sel[i].id, old ? "Job/step already completing or completed"
                                             : "Invalid job id specified");
            json_decref(old);
        }
    }
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        int pick = nsel ? selected(sel, nsel, j) : (admin || j->uid == uid);
        if (!pick || job_is_terminal(j) || !job_matches(q, j))
            continue;
        const char *err = NULL;
        const idset_t *tasks = NULL;
        for (size_t i = 0; i < nsel && !tasks; i++)
            tasks = sel[i].tasks && sel[i].id == j->id ? sel[i].tasks : NULL;
        if (!admin && j->uid != uid)
            err = "Access/permission denied";
        else if (tasks && act == act_cancel && !json_integer_value(json_object_get(q, "signal")))
            err = act_cancel_tasks(c, j, tasks, uid);
        else
            err = act(c, j, uid, q);
        if (err)
            error_add(errors, j->id, err);
        else
            json_array_append_new(done, json_integer(j->id));
    }
    selectors_free(sel, nsel);
    ctld_reply_later(c, conn, id, json_pack("{s:o, s:o}", "done", done, "errors", errors));
    ctld_kick(c);
}

/* scontrol requeue: a running job goes back to the queue when it ends (it is
 * terminated now); a finished one is brought back from the database. */
static const char *act_requeue(struct ctld *c, struct job *j, uid_t uid, json_t *q)
{
    if (job_is_pending(j) || job_is_array_parent(j))
        return "Job is pending: there is nothing to requeue";
    if (j->completing)
        return "Job is already being terminated";
    j->requeue_on_end = 1;
    launch_terminate(c, j, "requeue");
    return NULL;
}

/* Bring a finished job back from the database as a new attempt. */
static const char *requeue_finished(struct ctld *c, uint32_t jid, uid_t uid)
{
    json_t *rec = db_job_get(c->db, jid);
    struct job *j = rec ? job_from_json(rec, NULL) : NULL;
    json_decref(rec);
    const char *err = !j ? "Invalid job id specified"
                      : job_is_array_parent(j) || j->array_job_id
                          ? "Requeue of a finished array is not supported: submit it again"
                      : j->uid != uid && !ctld_is_admin(c, uid) ? "Access/permission denied"
                                                                : NULL;
    if (err) {
        job_destroy(j);
        return err;
    }
    jobtab_add(c->jobs, j);
    dep_index_add(c, j);
    ctld_job_record_attempt(c, j, j->end, j->reason);
    j->end = END_NONE;
    ctld_job_requeue(c, j, NULL);
    return NULL;
}

void op_job_requeue(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uid_t uid = conn_uid(conn);
    json_t *done = json_array(), *errors = json_array(), *v;
    size_t i;
    sl_error_t e;
    json_array_foreach(json_object_get(q, "job_ids"), i, v) {
        struct selector s;
        const char *err = NULL;
        if (selector_parse(v, &s, c->conf->max_array_size, &e) < 0) {
            error_add(errors, 0, e.text);
            continue;
        }
        uint32_t task = s.tasks ? idset_first(s.tasks) : IDSET_NONE;
        struct job *j = task == IDSET_NONE ? jobtab_find(c->jobs, s.id)
                                           : jobtab_find_task(c->jobs, s.id, (int32_t)task);
        if (!j && task == IDSET_NONE)
            err = requeue_finished(c, s.id, uid);
        else if (!j)
            err = "Invalid job id specified";
        else if (j->uid != uid && !ctld_is_admin(c, uid))
            err = "Access/permission denied";
        else
            err = act_requeue(c, j, uid, q);
        if (err)
            error_add(errors, s.id, err);
        else
            json_array_append_new(done, json_integer(j ? j->id : s.id));
        selector_free(&s);
    }
    ctld_reply_later(c, conn, id, json_pack("{s:o, s:o}", "done", done, "errors", errors));
    ctld_kick(c);
}

void op_job_cancel(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    if (json_object_get(q, "step_id")) {
        steps_cancel(arg, conn, id, q);
        return;
    }
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
