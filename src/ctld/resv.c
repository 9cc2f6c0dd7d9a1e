/* resv.c: advance reservations (scontrol create reservation), as Slurm's:
 * during its window a reservation's nodes run only the jobs submitted to it
 * (--reservation) by its users, and other jobs do not start there if they
 * could still be running when it begins.  Kept in the database, so that a
 * restarted controller knows them; one that has ended is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "hostlist.h"
#include "log.h"
#include "parse.h"
#include "sched_api.h"

struct resv {
    char *name, *nodes, *users;    /* users: comma list of user names */
    int64_t start, end;
    hostlist_t *hl;
    struct resv *next;
};

static void resv_free(struct resv *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->nodes);
    free(r->users);
    hostlist_destroy(r->hl);
    free(r);
}

static struct resv *resv_find(struct ctld *c, const char *name)
{
    for (struct resv *r = c->resvs; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static json_t *resv_record(const struct resv *r)
{
    return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", r->name, "start_time",
                     (json_int_t)r->start, "end_time", (json_int_t)r->end, "nodes", r->nodes,
                     "users", r->users);
}

/* From a record (the database's or a create's); NULL with e set. */
static struct resv *resv_from(struct ctld *c, json_t *rec, sl_error_t *e)
{
    const char *name = json_string_value(json_object_get(rec, "name"));
    const char *nodes = json_string_value(json_object_get(rec, "nodes"));
    const char *users = json_string_value(json_object_get(rec, "users"));
    struct resv *r = calloc(1, sizeof(*r));
    if (!r || !name || !*name || !nodes || !users || !*users) {
        free(r);
        sl_errprintf(e, "a reservation needs ReservationName, Nodes and Users");
        return NULL;
    }
    r->start = json_integer_value(json_object_get(rec, "start_time"));
    r->end = json_integer_value(json_object_get(rec, "end_time"));
    r->name = strdup(name);
    r->nodes = strdup(nodes);
    r->users = strdup(users);
    if (!(r->hl = hostlist_expand(nodes, e))) {
        resv_free(r);
        return NULL;
    }
    for (size_t i = 0; i < hostlist_count(r->hl); i++) {
        if (!node_find(c, hostlist_nth(r->hl, i))) {
            sl_errprintf(e, "Invalid node name specified: %s", hostlist_nth(r->hl, i));
            resv_free(r);
            return NULL;
        }
    }
    return r;
}

int resv_setup(struct ctld *c)
{
    json_t *all = db_resvs_load(c->db), *rec;
    const char *name;
    json_object_foreach(all, name, rec) {
        sl_error_t e;
        struct resv *r;
        if (json_is_true(json_object_get(rec, "deleted")) ||
            json_integer_value(json_object_get(rec, "end_time")) <= ctld_now())
            continue;
        if (!(r = resv_from(c, rec, &e))) {
            log_error("reservation %s not restored: %s", name, e.text);
            continue;
        }
        r->next = c->resvs;
        c->resvs = r;
    }
    json_decref(all);
    return 0;
}

void resv_teardown(struct ctld *c)
{
    while (c->resvs) {
        struct resv *r = c->resvs;
        c->resvs = r->next;
        resv_free(r);
    }
}

static void resv_remove(struct ctld *c, struct resv *gone)
{
    for (struct resv **p = &c->resvs; *p; p = &(*p)->next) {
        if (*p == gone) {
            *p = gone->next;
            db_resv_save(c->db, gone->name, json_pack("{s:b}", "deleted", 1));
            resv_free(gone);
            return;
        }
    }
}

/* Ended reservations go (their jobs keep running to their own limits). */
static void resv_expire(struct ctld *c)
{
    struct resv *r = c->resvs, *next;
    for (; r; r = next) {
        next = r->next;
        if (r->end <= ctld_now()) {
            log_info("reservation %s ended", r->name);
            resv_remove(c, r);
        }
    }
}

static int user_listed(const struct resv *r, const char *user)
{
    size_t n = strlen(user);
    for (const char *p = r->users; user && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, user, n) == 0)
            return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

int resv_job_check(struct ctld *c, const struct job *j, sl_error_t *e)
{
    struct resv *r;
    if (!j->reservation)
        return 0;
    resv_expire(c);
    if (!(r = resv_find(c, j->reservation)))
        return sl_errprintf(e, "Requested reservation is invalid: no reservation %s",
                            j->reservation);
    if (!user_listed(r, j->user))
        return sl_errprintf(e, "Access denied to requested reservation: %s is not among "
                               "its Users (%s)", j->user, r->users);
    return 0;
}

int resv_job_ready(struct ctld *c, struct job *j)
{
    char detail[256];
    char when[32];
    struct resv *r;
    if (!j->reservation)
        return 1;
    r = resv_find(c, j->reservation);
    if (r && r->start <= ctld_now() && ctld_now() < r->end)
        return 1;
    if (r && r->start > ctld_now()) {
        ctld_wake_at(c, r->start);
        snprintf(detail, sizeof(detail), "reservation %s starts %s", r->name,
                 format_datetime(r->start, when, sizeof(when)));
    } else {
        snprintf(detail, sizeof(detail), "reservation %s has ended or was deleted",
                 j->reservation);
    }
    sched_set_wait(j, JOB_PENDING, "Reservation", detail);
    return 0;
}

int resv_node_ok(struct ctld *c, const struct node *n, const struct job *j)
{
    int64_t now = ctld_now();
    int64_t until = j->time_limit > 0 ? now + j->time_limit : INT64_MAX;
    for (struct resv *r = c->resvs; r; r = r->next) {
        int mine = j->reservation && strcmp(j->reservation, r->name) == 0;
        if (r->end <= now || hostlist_find(r->hl, n->name) < 0)
            continue;
        if (!mine && r->start < until) {
            ctld_wake_at(c, r->end);   /* the node is free again when r ends */
            return 0;
        }
    }
    if (j->reservation) {
        struct resv *r = resv_find(c, j->reservation);
        return r && hostlist_find(r->hl, n->name) >= 0;
    }
    return 1;
}

static int resv_overlaps(struct ctld *c, const struct resv *x, sl_error_t *e)
{
    for (struct resv *r = c->resvs; r; r = r->next) {
        if (r->end <= x->start || x->end <= r->start)
            continue;
        for (size_t i = 0; i < hostlist_count(x->hl); i++)
            if (hostlist_find(r->hl, hostlist_nth(x->hl, i)) >= 0)
                return sl_errprintf(e, "Requested nodes are busy: %s is in reservation %s "
                                       "at that time", hostlist_nth(x->hl, i), r->name);
    }
    return 0;
}

void op_resv_create(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    struct resv *r;
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only an operator or "
                                      "administrator can create reservations");
        return;
    }
    resv_expire(c);
    const char *name = json_string_value(json_object_get(q, "name"));
    if (name && resv_find(c, name)) {
        conn_error(conn, id, "EEXIST", "Duplicate reservation name: %s", name);
        return;
    }
    if (!(r = resv_from(c, q, &e)) || resv_overlaps(c, r, &e) < 0) {
        resv_free(r);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    if (r->end <= r->start || r->end <= ctld_now()) {
        resv_free(r);
        conn_error(conn, id, "EINVAL", "Invalid time specified: the reservation must end "
                                       "after it starts, and in the future");
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
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only an operator or "
                                      "administrator can delete reservations");
        return;
    }
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
        json_object_set_new(rec, "state", json_string(r->start <= ctld_now() ? "ACTIVE"
                                                                             : "INACTIVE"));
        json_array_append_new(out, rec);
    }
    conn_reply(conn, id, json_pack("{s:o}", "reservations", out));
}
