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
#include "resv.h"
#include "sched_api.h"

void resv_free(struct resv *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->nodes);
    free(r->users);
    hostlist_destroy(r->hl);
    free(r);
}

struct resv *resv_find(struct ctld *c, const char *name)
{
    for (struct resv *r = c->resvs; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

json_t *resv_record(const struct resv *r)
{
    return json_pack("{s:s, s:I, s:I, s:s, s:s, s:i}", "name", r->name, "start_time",
                     (json_int_t)r->start, "end_time", (json_int_t)r->end, "nodes", r->nodes,
                     "users", r->users, "flags", (int)r->flags);
}

struct resv *resv_from(struct ctld *c, json_t *rec, sl_error_t *e)
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
    r->flags = (unsigned)json_integer_value(json_object_get(rec, "flags"));
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
        if (json_is_true(json_object_get(rec, "deleted")))
            continue;   /* an ended one goes (or, repeating, moves on) in resv_expire */
        if (!(r = resv_from(c, rec, &e))) {
            log_error("reservation %s not restored: %s", name, e.text);
            continue;
        }
        r->next = c->resvs;
        c->resvs = r;
    }
    json_decref(all);
    resv_expire(c);
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

void resv_remove(struct ctld *c, struct resv *gone)
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

/* Ended reservations go (their jobs keep running to their own limits); a
 * DAILY or WEEKLY one moves on to its next window instead, as Slurm's. */
void resv_expire(struct ctld *c)
{
    struct resv *r = c->resvs, *next;
    int64_t now = ctld_now();
    for (; r; r = next) {
        next = r->next;
        if (r->end > now)
            continue;
        int64_t period = r->flags & RESV_WEEKLY ? 7 * 86400 : r->flags & RESV_DAILY ? 86400 : 0;
        if (!period) {
            log_info("reservation %s ended", r->name);
            resv_remove(c, r);
            continue;
        }
        int64_t steps = (now - r->end) / period + 1;
        r->start += steps * period;
        r->end += steps * period;
        db_resv_save(c->db, r->name, resv_record(r));
        log_info("reservation %s repeats from %lld", r->name, (long long)r->start);
        ctld_wake_at(c, r->start);
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
        j->expected_start = r->start;   /* the earliest it may start (squeue --start) */
        snprintf(detail, sizeof(detail), "reservation %s starts %s", r->name,
                 format_datetime(r->start, when, sizeof(when)));
    } else {
        j->expected_start = 0;
        snprintf(detail, sizeof(detail), "reservation %s has ended or was deleted",
                 j->reservation);
    }
    sched_set_wait(j, JOB_PENDING, "Reservation", detail);
    return 0;
}

/* May j use n during [start, end)?  A job of a reservation only on its
 * nodes and from within its window (it may run on past the end, as in
 * Slurm); any other job nowhere that a reservation holds in that time. */
int resv_node_ok_at(struct ctld *c, const struct node *n, const struct job *j, int64_t start,
                    int64_t end)
{
    if (j->reservation) {
        struct resv *r = resv_find(c, j->reservation);
        return r && hostlist_find(r->hl, n->name) >= 0 && r->start <= start && start < r->end;
    }
    for (struct resv *r = c->resvs; r; r = r->next) {
        if (r->end <= start || end <= r->start || hostlist_find(r->hl, n->name) < 0)
            continue;
        ctld_wake_at(c, r->end);   /* the node is free again when r ends */
        return 0;
    }
    return 1;
}

int resv_node_ok(struct ctld *c, const struct node *n, const struct job *j)
{
    int64_t now = ctld_now();
    return resv_node_ok_at(c, n, j, now, j->time_limit > 0 ? now + j->time_limit : INT64_MAX);
}

int resv_any_maint(struct ctld *c)
{
    for (struct resv *r = c->resvs; r; r = r->next)
        if (r->flags & RESV_MAINT)
            return 1;
    return 0;
}

int resv_node_maint(struct ctld *c, const struct node *n, const struct job *j)
{
    int64_t now = ctld_now(), end = j->time_limit > 0 ? now + j->time_limit : INT64_MAX;
    for (struct resv *r = c->resvs; r; r = r->next) {
        if ((r->flags & RESV_MAINT) && r->start < end && now < r->end &&
            !(j->reservation && strcmp(j->reservation, r->name) == 0) &&
            hostlist_find(r->hl, n->name) >= 0)
            return 1;
    }
    return 0;
}

size_t resv_times(struct ctld *c, int64_t *out, size_t max)
{
    size_t n = 0;
    int64_t now = ctld_now();
    for (struct resv *r = c->resvs; r && n + 2 <= max; r = r->next) {
        if (r->start > now)
            out[n++] = r->start;
        if (r->end > now)
            out[n++] = r->end;
    }
    return n;
}

static int resv_share_node(const struct resv *a, hostlist_t *hl, const char **which)
{
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        if (hostlist_find(a->hl, hostlist_nth(hl, i)) >= 0) {
            *which = hostlist_nth(hl, i);
            return 1;
        }
    }
    return 0;
}

/* Running jobs (not r's own) on r's nodes whose time limit reaches r's start. */
static int resv_jobs_in_way(struct ctld *c, const struct resv *r, sl_error_t *e)
{
    char when[32];
    const char *which;
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (job_is_pending(j) || job_is_terminal(j) || !j->nodes || sched_job_end(j) <= r->start ||
            (j->reservation && strcmp(j->reservation, r->name) == 0))
            continue;
        hostlist_t *hl = hostlist_expand(j->nodes, NULL);
        int busy = hl && resv_share_node(r, hl, &which);
        if (busy)
            sl_errprintf(e, "Requested nodes are busy: job %u runs on %s until %s (use "
                            "Flags=IGNORE_JOBS to reserve them anyway)", j->id, which,
                         sched_job_end(j) == RESMAP_FOREVER ? "no time limit"
                             : format_datetime(sched_job_end(j), when, sizeof(when)));
        hostlist_destroy(hl);
        if (busy)
            return -1;
    }
    return 0;
}

int resv_admissible(struct ctld *c, const struct resv *r, const struct resv *old,
                    sl_error_t *e)
{
    const char *which;
    if (r->end <= r->start || r->end <= ctld_now())
        return sl_errprintf(e, "Invalid time specified: the reservation must end after it "
                               "starts, and in the future");
    for (struct resv *x = c->resvs; x && !(r->flags & (RESV_MAINT | RESV_OVERLAP)); x = x->next) {
        if (x == old || x->end <= r->start || r->end <= x->start)
            continue;
        if (resv_share_node(x, r->hl, &which))
            return sl_errprintf(e, "Requested reservation overlaps with another reservation: "
                                   "%s is in reservation %s at that time (Flags=OVERLAP or "
                                   "MAINT allow it)", which, x->name);
    }
    return r->flags & RESV_IGNORE_JOBS ? 0 : resv_jobs_in_way(c, r, e);
}
