/* ops_update.c: scontrol update of a job, and sacct's accounting query. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "jobspec.h"
#include "parse.h"

/* The job-model fields: dependency, array throttle, begin time. */
static int job_update_model(struct ctld *c, sl_conn_t *conn, uint64_t id, struct job *j,
                            json_t *q)
{
    json_t *dep = json_object_get(q, "dependency"), *thr = json_object_get(q, "array_throttle");
    json_t *begin = json_object_get(q, "begin_time");
    sl_error_t e;
    if ((dep || begin) && !job_is_pending(j)) {
        conn_error(conn, id, "EINVAL", "Job %u is no longer pending", j->id);
        return -1;
    }
    if (thr && (!json_is_integer(thr) || json_integer_value(thr) < 0 || !job_is_array_parent(j))) {
        conn_error(conn, id, "EINVAL", "ArrayTaskThrottle needs an array job and a number >= 0");
        return -1;
    }
    if (begin && (!json_is_integer(begin) || json_integer_value(begin) < 0)) {
        conn_error(conn, id, "EINVAL", "Invalid StartTime");
        return -1;
    }
    if (dep) {
        struct deplist d = { 0 };
        const char *text = json_string_value(dep);
        if (!text || (*text && (depend_parse(text, &d, &e) < 0 || dep_validate(c, &d, &e) < 0))) {
            conn_error(conn, id, "EINVAL", "%s", text ? e.text : "Dependency must be a string");
            depend_free(&d);
            return -1;
        }
        if (dep_cycle(c, j->id, &d)) {
            conn_error(conn, id, "EINVAL", "Job dependency problem: this would make a cycle "
                                           "through job %u", j->id);
            depend_free(&d);
            return -1;
        }
        depend_free(&j->deps);
        j->deps = d;
        job_set_str(&j->dependency, *text ? text : NULL);
        j->dep_state = DEP_NONE;
        dep_index_add(c, j);
        if (!j->deps.n && j->state == JOB_PENDING && !j->hold)
            j->state = JOB_RUNNABLE;
    }
    if (thr)
        j->array_throttle = (uint32_t)json_integer_value(thr);
    if (begin)
        j->begin_time = json_integer_value(begin);
    return 0;
}

void op_job_update(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct selector sel;
    sl_error_t se;
    if (jobspec_check(q, &se) < 0) {   /* the submission's limits: a 1 MiB name, a NUL */
        conn_error(conn, id, "EINVAL", "%s", se.text);
        return;
    }
    if (selector_parse(json_object_get(q, "job_id"), &sel, c->conf->max_array_size, &se) < 0) {
        conn_error(conn, id, "EINVAL", "%s", se.text);
        return;
    }
    uint32_t jid = sel.id, task = sel.tasks ? idset_first(sel.tasks) : IDSET_NONE;
    struct job *j = task == IDSET_NONE ? jobtab_find(c->jobs, jid)
                                       : jobtab_find_task(c->jobs, jid, (int32_t)task);
    selector_free(&sel);
    uid_t uid = conn_uid(conn);
    int admin = ctld_is_admin(c, uid);
    json_t *tl = json_object_get(q, "time_limit");
    const char *name = json_string_value(json_object_get(q, "name"));
    const char *part = json_string_value(json_object_get(q, "partition"));
    const struct conf_partition *p = NULL;
    if (!j) {
        conn_error(conn, id, "ENOENT", "Invalid job id specified: %u", jid);
        return;
    }
    if (!admin && j->uid != uid) {
        conn_error(conn, id, "EPERM", "Access/permission denied: job %u belongs to %s", jid,
                   j->user);
        return;
    }
    if ((tl || part) && !job_is_pending(j)) {
        conn_error(conn, id, "EINVAL", "Job %u is no longer pending: only its name can change",
                   jid);
        return;
    }
    if (part && !(p = conf_part_find(c->conf, part))) {
        conn_error(conn, id, "EINVAL", "Invalid partition name specified: %s", part);
        return;
    }
    if (tl && (!json_is_integer(tl) ||
               (json_integer_value(tl) < 1 && json_integer_value(tl) != TIME_INFINITE))) {
        conn_error(conn, id, "EINVAL", "Invalid TimeLimit: seconds > 0 or -1 for unlimited");
        return;
    }
    if (tl && !admin && (json_integer_value(tl) == TIME_INFINITE ||
                         (j->time_limit != TIME_INFINITE &&
                          json_integer_value(tl) > j->time_limit))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only an administrator can "
                                      "raise a time limit");
        return;
    }
    /* Check the result on a copy of the request fields before changing j. */
    int64_t old_tl = j->time_limit;
    char *old_part = j->partition ? strdup(j->partition) : NULL;
    if (tl)
        j->time_limit = json_integer_value(tl);
    if (p)
        job_set_str(&j->partition, p->name);
    sl_error_t e;
    const struct conf_partition *check = conf_part_find(c->conf, j->partition);
    if (check && (tl || p) && sched_validate(c, j, check, &e) < 0) {
        j->time_limit = old_tl;
        job_set_str(&j->partition, old_part);
        free(old_part);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    free(old_part);
    if (job_update_res(c, j, q, admin, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    if (job_update_model(c, conn, id, j, q) < 0)
        return;
    if (name)
        job_set_str(&j->name, name);
    ctld_job_save(c, j);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}

/* Job ids for the query; strings like "123_7" select the array 123 here and
 * its task 7 in acct_keep.  An id may lead a heterogeneous job: the ids of
 * its possible components are asked too, and acct_keep keeps the real ones. */
static int ids_from(struct ctld *c, json_t *arr, uint32_t **out, size_t *nids,
                    struct selector **sel, size_t *nsel, sl_error_t *e)
{
    size_t i;
    json_t *v;
    *nids = *nsel = 0;
    *out = calloc(json_array_size(arr) * HET_MAX_COMPONENTS + 1, sizeof(**out));
    *sel = calloc(json_array_size(arr) + 1, sizeof(**sel));
    json_array_foreach(arr, i, v) {
        struct selector *s = &(*sel)[(*nsel)++];
        if (selector_parse(v, s, c->conf->max_array_size, e) < 0)
            return -1;
        (*out)[(*nids)++] = s->id;
        for (uint32_t k = 1; !s->het_one && !s->tasks && k < HET_MAX_COMPONENTS; k++)
            (*out)[(*nids)++] = s->id + k;
    }
    return 0;
}

static int acct_keep(json_t *r, const struct selector *sel, size_t n)
{
    uint32_t id = (uint32_t)json_integer_value(json_object_get(r, "job_id"));
    uint32_t arr = (uint32_t)json_integer_value(json_object_get(r, "array_job_id"));
    json_int_t task = json_integer_value(json_object_get(r, "array_task_id"));
    for (size_t i = 0; i < n; i++) {
        if (!sel[i].tasks && (sel[i].id == id || sel[i].id == arr))
            return 1;
        if (!sel[i].tasks && !sel[i].het_one && sel[i].id ==
            (uint32_t)json_integer_value(json_object_get(r, "het_job_id")))
            return 1;   /* a component of the het job it leads */
        if (sel[i].tasks && sel[i].id == arr && task >= 0 &&
            idset_test(sel[i].tasks, (uint32_t)task))
            return 1;
    }
    return !n;
}

/* An array's own record shows in sacct only for tasks that never started
 * and were cancelled; its tasks have records of their own. */
static void acct_trim_arrays(json_t *jobs)
{
    for (size_t i = json_array_size(jobs); i-- > 0;) {
        json_t *r = json_array_get(jobs, i);
        int parent = json_integer_value(json_object_get(r, "array_size")) > 0 &&
                     json_integer_value(json_object_get(r, "array_task_id")) < 0;
        if (parent && !json_object_get(r, "array_tasks_cancelled"))
            json_array_remove(jobs, i);
    }
}

void op_acct_query(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct acct_filter f = { 0 };
    json_t *users = json_object_get(q, "users");
    size_t i, nsel;
    json_t *v;
    sl_error_t e;
    struct selector *sel = NULL;
    if (ids_from(c, json_object_get(q, "job_ids"), &f.ids, &f.nids, &sel, &nsel, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        for (size_t k = 0; k < nsel; k++)
            selector_free(&sel[k]);
        free(sel);
        free(f.ids);
        return;
    }
    f.start = json_integer_value(json_object_get(q, "start"));
    f.end = json_integer_value(json_object_get(q, "end"));
    f.all_users = json_array_size(users) == 0;
    f.uids = calloc(json_array_size(users) + 1, sizeof(*f.uids));
    json_array_foreach(users, i, v) {
        uid_t uid;
        if (!json_is_string(v) || ctld_user_uid(json_string_value(v), &uid) < 0) {
            conn_error(conn, id, "EINVAL", "Invalid user: %s",
                       json_is_string(v) ? json_string_value(v) : "?");
            free(f.ids);
            free(f.uids);
            for (size_t k = 0; k < nsel; k++)
                selector_free(&sel[k]);
            free(sel);
            return;
        }
        f.uids[f.nuids++] = uid;
    }
    json_t *jobs = db_acct_query(c->db, &f, &e);
    free(f.ids);
    free(f.uids);
    if (jobs && !ctld_sees_all(c, conn_uid(conn), PRIVATE_JOBS))
        ctld_records_own(jobs, conn_uid(conn));   /* sacct -a sees only one's own */
    for (size_t k = 0; jobs && k < json_array_size(jobs);) {
        if (acct_keep(json_array_get(jobs, k), sel, nsel))
            k++;
        else
            json_array_remove(jobs, k);
    }
    for (size_t k = 0; k < nsel; k++)
        selector_free(&sel[k]);
    free(sel);
    if (!jobs) {
        conn_error(conn, id, "EIO", "%s", e.text);
        return;
    }
    /* Active jobs' records in the database may lag this iteration: prefer memory. */
    json_array_foreach(jobs, i, v) {
        struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_object_get(v, "job_id")));
        if (j)
            json_array_set_new(jobs, i, job_to_json(j));
    }
    json_t *states = json_object_get(q, "states");
    if (json_array_size(states)) {
        json_t *kept = json_array();
        json_array_foreach(jobs, i, v) {
            const char *st = json_string_value(json_object_get(v, "slurm_state"));
            size_t k;
            json_t *s;
            json_array_foreach(states, k, s) {
                if (st && json_is_string(s) && strcasecmp(st, json_string_value(s)) == 0) {
                    json_array_append(kept, v);
                    break;
                }
            }
        }
        json_decref(jobs);
        jobs = kept;
    }
    acct_trim_arrays(jobs);
    if (json_is_true(json_object_get(q, "steps"))) {
        json_array_foreach(jobs, i, v) {
            json_int_t jid = json_integer_value(json_object_get(v, "job_id"));
            json_object_set_new(v, "steps", db_steps_of(c->db, (uint32_t)jid));
        }
    }
    if (json_is_true(json_object_get(q, "duplicates")))
        db_attempts_append(c->db, jobs);
    conn_reply(conn, id, json_pack("{s:o}", "jobs", jobs));
}
