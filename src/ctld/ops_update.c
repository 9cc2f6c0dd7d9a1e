/* ops_update.c: scontrol update of a job, and sacct's accounting query. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "db.h"
#include "parse.h"

void op_job_update(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uint32_t jid = (uint32_t)json_integer_value(json_object_get(q, "job_id"));
    struct job *j = jobtab_find(c->jobs, jid);
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
    if (name)
        job_set_str(&j->name, name);
    ctld_job_save(c, j);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}

static void ids_from(json_t *arr, uint32_t **out, size_t *n)
{
    size_t i;
    json_t *v;
    *n = json_array_size(arr);
    *out = calloc(*n + 1, sizeof(**out));
    json_array_foreach(arr, i, v)
        (*out)[i] = (uint32_t)json_integer_value(v);
}

void op_acct_query(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct acct_filter f = { 0 };
    json_t *users = json_object_get(q, "users");
    size_t i;
    json_t *v;
    sl_error_t e;
    ids_from(json_object_get(q, "job_ids"), &f.ids, &f.nids);
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
            return;
        }
        f.uids[f.nuids++] = uid;
    }
    json_t *jobs = db_acct_query(c->db, &f, &e);
    free(f.ids);
    free(f.uids);
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
    conn_reply(conn, id, json_pack("{s:o}", "jobs", jobs));
}
