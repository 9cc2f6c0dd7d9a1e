/* ops_step_query.c: step_list and step_show (doc/protocol.md, "Job steps"). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "db.h"
#include "steps.h"

static int str_in(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (s && json_is_string(v) && strcasecmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

/* Every step of job id that the filters keep: from memory while the job is
 * active (its running steps are the newest), the table for the rest. */
static void steps_of(struct ctld *c, uint32_t job_id, json_t *q, int all, json_t *out)
{
    struct job *j = jobtab_find(c->jobs, job_id);
    json_t *recs = all || !j ? db_steps_of(c->db, job_id) : json_incref(j->steps), *rec;
    json_t *states = json_object_get(q, "states"), *users = json_object_get(q, "users");
    size_t i;
    json_array_foreach(recs, i, rec) {
        const char *st = json_string_value(json_object_get(rec, "state"));
        int keep = json_array_size(states) ? str_in(states, st)
                                           : all || (st && !strcmp(st, "RUNNING"));
        if (keep && (!json_array_size(users) ||
                     str_in(users, json_string_value(json_object_get(rec, "user")))))
            json_array_append(out, rec);
    }
    json_decref(recs);
}

/* With PrivateData=jobs, only one's own. */
static void steps_visible(struct ctld *c, sl_conn_t *conn, json_t *steps)
{
    if (!ctld_sees_all(c, conn_uid(conn), PRIVATE_JOBS))
        ctld_records_own(steps, conn_uid(conn));
}

void op_step_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *ids = json_object_get(q, "job_ids"), *v, *out = json_array();
    int all = json_is_true(json_object_get(q, "all"));
    size_t i;
    sl_error_t e;
    json_array_foreach(ids, i, v) {
        struct selector s;
        if (selector_parse(v, &s, c->conf->max_array_size, &e) < 0) {
            json_decref(out);
            conn_error(conn, id, "EINVAL", "%s", e.text);
            return;
        }
        uint32_t task = s.tasks ? idset_first(s.tasks) : IDSET_NONE;
        struct job *j = task == IDSET_NONE ? NULL : jobtab_find_task(c->jobs, s.id, (int32_t)task);
        steps_of(c, j ? j->id : s.id, q, all, out);
        selector_free(&s);
    }
    for (struct job *j = jobtab_first(c->jobs); !json_array_size(ids) && j; j = j->next) {
        if (!job_is_pending(j))
            steps_of(c, j->id, q, all, out);
    }
    steps_visible(c, conn, out);
    conn_reply(conn, id, json_pack("{s:o}", "steps", out));
}

void op_step_show(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct selector s;
    sl_error_t e;
    json_t *sid = json_object_get(q, "step_id"), *out = json_array(), *all, *rec;
    size_t i;
    if (selector_parse(json_object_get(q, "job_id"), &s, c->conf->max_array_size, &e) < 0) {
        json_decref(out);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    uint32_t task = s.tasks ? idset_first(s.tasks) : IDSET_NONE;
    struct job *j = task == IDSET_NONE ? NULL : jobtab_find_task(c->jobs, s.id, (int32_t)task);
    uint32_t jid = j ? j->id : s.id;
    selector_free(&s);
    all = db_steps_of(c->db, jid);
    json_array_foreach(all, i, rec) {
        if (!sid || json_equal(sid, json_object_get(rec, "step_id")))
            json_array_append(out, rec);
    }
    json_decref(all);
    steps_visible(c, conn, out);
    if (!json_array_size(out)) {
        json_decref(out);
        if (sid)
            conn_error(conn, id, "ENOENT", "Job step %u.%lld not found", jid,
                       (long long)json_integer_value(sid));
        else
            conn_error(conn, id, "ENOENT", "No job steps exist for job %u", jid);
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "steps", out));
}
