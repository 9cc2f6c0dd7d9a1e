/* resv_ops.c: the reservation requests of scontrol (create, update, delete,
 * show), operators and administrators only for changes.  Every change is
 * saved before the reply, so that it outlives a controller killed at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "log.h"
#include "resv.h"

/* Refuse a change by someone who may not make it; 0 when allowed. */
static int resv_refuse_user(struct ctld *c, sl_conn_t *conn, uint64_t id, const char *what)
{
    if (ctld_is_admin(c, conn_uid(conn)))
        return 0;
    conn_error(conn, id, "EPERM", "Access/permission denied: only an operator or "
                                  "administrator can %s reservations", what);
    return -1;
}

/* Slurm's Flags= words of a request (flag_words) into bits; 0 if none. */
static int resv_req_flags(json_t *q, const char *key, unsigned *out, sl_error_t *e)
{
    *out = 0;
    return resv_flags_parse(json_string_value(json_object_get(q, key)), out, e);
}

void op_resv_create(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    struct resv *r;
    unsigned flags;
    if (resv_refuse_user(c, conn, id, "create"))
        return;
    resv_expire(c);
    const char *name = json_string_value(json_object_get(q, "name"));
    if (name && resv_find(c, name)) {
        conn_error(conn, id, "EEXIST", "Duplicate reservation name: %s", name);
        return;
    }
    r = resv_req_flags(q, "flag_words", &flags, &e) < 0 ? NULL : resv_from(c, q, &e);
    if (r)
        r->flags = flags;
    if (!r || resv_admissible(c, r, NULL, &e) < 0) {
        resv_free(r);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    r->next = c->resvs;
    c->resvs = r;
    db_resv_save(c->db, r->name, resv_record(r));
    log_info("reservation %s created: %s for %s", r->name, r->nodes, r->users);
    ctld_wake_at(c, r->start > ctld_now() ? r->start : r->end);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_pack("{s:s}", "name", r->name));
}

void op_resv_delete(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    struct resv *r = name ? resv_find(c, name) : NULL;
    if (resv_refuse_user(c, conn, id, "delete"))
        return;
    if (!r) {
        conn_error(conn, id, "ENOENT", "Requested reservation is invalid: no reservation %s",
                   name ? name : "");
        return;
    }
    log_info("reservation %s deleted", r->name);
    resv_remove(c, r);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}

void op_resv_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *out = json_array();
    (void)q;
    resv_expire(c);
    for (struct resv *r = c->resvs; r; r = r->next) {
        json_t *rec = resv_record(r);
        uint32_t cpus = 0;
        for (size_t i = 0; i < hostlist_count(r->hl); i++) {
            struct node *n = node_find(c, hostlist_nth(r->hl, i));
            cpus += n ? n->cfg->cpus : 0;
        }
        json_object_set_new(rec, "node_count", json_integer((json_int_t)hostlist_count(r->hl)));
        json_object_set_new(rec, "cpus", json_integer(cpus));
        char flags[160];
        resv_flags_text(r->flags, flags, sizeof(flags));
        json_object_set_new(rec, "flag_words", json_string(flags));
        json_object_set_new(rec, "state", json_string(r->start <= ctld_now() ? "ACTIVE"
                                                                             : "INACTIVE"));
        json_array_append_new(out, rec);
    }
    conn_reply(conn, id, json_pack("{s:o}", "reservations", out));
}

/* The reservation as the request would leave it: its record with the
 * request's fields over it.  A new StartTime alone keeps the duration, as
 * Slurm's; Flags= and Flags+= add, Flags-= removes. */
static struct resv *resv_updated(struct ctld *c, const struct resv *old, json_t *q,
                                 sl_error_t *e)
{
    unsigned add, del;
    json_t *rec = resv_record(old), *v;
    int64_t start = old->start, end = old->end;
    if (resv_req_flags(q, "flags_add", &add, e) < 0 || resv_req_flags(q, "flags_remove", &del, e) < 0) {
        json_decref(rec);
        return NULL;
    }
    if ((v = json_object_get(q, "start_time"))) {
        start = json_integer_value(v);
        end = start + (old->end - old->start);
    }
    if ((v = json_object_get(q, "duration")))
        end = start + json_integer_value(v);
    if ((v = json_object_get(q, "end_time")))
        end = json_integer_value(v);
    json_object_set_new(rec, "start_time", json_integer(start));
    json_object_set_new(rec, "end_time", json_integer(end));
    json_object_set_new(rec, "flags", json_integer((old->flags | add) & ~del));
    if ((v = json_object_get(q, "nodes")))
        json_object_set(rec, "nodes", v);
    if ((v = json_object_get(q, "users")))
        json_object_set(rec, "users", v);
    struct resv *r = resv_from(c, rec, e);
    json_decref(rec);
    return r;
}

void op_resv_update(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    const char *name = json_string_value(json_object_get(q, "name"));
    if (resv_refuse_user(c, conn, id, "update"))
        return;
    resv_expire(c);
    struct resv *old = name ? resv_find(c, name) : NULL, *r;
    if (!old) {
        conn_error(conn, id, "ENOENT", "Requested reservation is invalid: no reservation %s",
                   name ? name : "");
        return;
    }
    if (!(r = resv_updated(c, old, q, &e)) || resv_admissible(c, r, old, &e) < 0) {
        resv_free(r);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    for (struct resv **p = &c->resvs; *p; p = &(*p)->next) {
        if (*p == old) {
            r->next = old->next;
            *p = r;
            break;
        }
    }
    resv_free(old);
    db_resv_save(c->db, r->name, resv_record(r));
    log_info("reservation %s updated: %s for %s", r->name, r->nodes, r->users);
    ctld_wake_at(c, r->start > ctld_now() ? r->start : r->end);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}
