/* core.c: the end-of-iteration flush (schedule, commit, then reply and
 * launch) and the job life-cycle transitions every operation shares. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "ctld.h"
#include "hetjob.h"
#include "sched_api.h"
#include "db.h"
#include "log.h"
#include "share.h"
#include "steps.h"

struct after {
    after_commit_fn fn;
    void *arg;
};
static struct after *afters;
static size_t nafters, cap_afters;

int64_t ctld_now(void)
{
    return (int64_t)time(NULL);
}

void ctld_kick(struct ctld *c)
{
    if (!c->flush_pending) {
        c->flush_pending = 1;
        event_active(c->flush_ev, EV_TIMEOUT, 0);
    }
}

void ctld_sched_request(struct ctld *c)
{
    c->sched_needed = 1;
    ctld_kick(c);
}

void ctld_after_commit(struct ctld *c, after_commit_fn fn, void *arg)
{
    if (!db_in_txn(c->db)) {
        fn(c, arg);
        return;
    }
    if (nafters == cap_afters) {
        cap_afters = cap_afters ? cap_afters * 2 : 64;
        afters = realloc(afters, cap_afters * sizeof(*afters));
        if (!afters)
            log_fatal("out of memory");
    }
    afters[nafters++] = (struct after){ fn, arg };
    ctld_kick(c);
}

struct later_reply {
    sl_conn_t *conn;
    uint64_t id;
    json_t *body;
};

static void reply_now(struct ctld *c, void *arg)
{
    struct later_reply *r = arg;
    conn_reply(r->conn, r->id, r->body);
    conn_release(r->conn);
    free(r);
}

void ctld_reply_later(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *body)
{
    struct later_reply *r = malloc(sizeof(*r));
    if (!r)
        log_fatal("out of memory");
    *r = (struct later_reply){ conn_hold(conn), id, body };
    ctld_after_commit(c, reply_now, r);
}

/* Runs once per loop iteration when kicked: everything that happened in the
 * iteration shares one transaction and one fsync. */
static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    ctld_kick(arg);
}

/* A pass costs time in proportion to the queue.  After a pass of d ms the
 * next waits about 3d, so that passes take at most a quarter of the loop
 * and a burst of submissions shares one pass; small queues pass at once. */
static void sched_maybe_pass(struct ctld *c)
{
    double now = mono_ms();
    if (now < c->sched_next_ms) {
        if (!c->sched_timer)
            c->sched_timer = evtimer_new(c->base, sched_timer_cb, c);
        if (!evtimer_pending(c->sched_timer, NULL)) {
            double wait = c->sched_next_ms - now;
            struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)((long)wait % 1000) * 1000 };
            evtimer_add(c->sched_timer, &tv);
        }
        return;
    }
    c->sched_needed = 0;
    sched_pass(c);
    double took = mono_ms() - now;
    c->sched_next_ms = now + took * 4;
    /* Debug output: passes may run many times a second.  A slow one is
     * worth an operator's eye, so it is logged at info. */
    if (took >= SCHED_SLOW_PASS_MS)
        log_info("sched pass: %zu jobs in %.3f ms (slow)", jobtab_count(c->jobs), took);
    else
        log_debug("sched pass: %zu jobs in %.3f ms", jobtab_count(c->jobs), took);
}

void ctld_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    c->flush_pending = 0;
    if (c->sched_needed)
        sched_maybe_pass(c);
    db_commit(c->db);
    /* Actions may queue more actions (e.g. a launch finding a dead node). */
    while (nafters) {
        struct after *batch = afters;
        size_t n = nafters;
        afters = NULL;
        nafters = cap_afters = 0;
        for (size_t i = 0; i < n; i++)
            batch[i].fn(c, batch[i].arg);
        free(batch);
        db_commit(c->db);
    }
    alloc_waiters_poll(c);
}

void ctld_core_fini(void)
{
    free(afters);
    afters = NULL;
    nafters = cap_afters = 0;
}

void ctld_job_save(struct ctld *c, struct job *j)
{
    json_t *rec = job_to_json(j);
    db_job_update(c->db, rec);
    json_decref(rec);
    ctld_kick(c);
}

static void job_drop(struct ctld *c, void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    struct job *j = jobtab_find(c->jobs, id);
    if (j && job_is_terminal(j)) {
        jobtab_remove(c->jobs, j);
        job_destroy(j);
    }
}

/* Keep the record of the attempt that just ended, for sacct --duplicates. */
void ctld_job_record_attempt(struct ctld *c, struct job *j, enum job_end end,
                             const char *reason)
{
    json_t *rec = job_to_json(j);
    /* Slurm's sacct -D shows a node-failed attempt as NODE_FAIL. */
    json_object_set_new(rec, "slurm_state",
                        json_string(end == END_NODE_FAIL ? "NODE_FAIL" : "REQUEUED"));
    json_object_set_new(rec, "attempt_end", json_string(job_end_name(end)));
    json_object_set_new(rec, "end_time", json_integer(ctld_now()));
    json_object_set_new(rec, "reason", json_string(reason ? reason : job_end_name(end)));
    db_attempt_insert(c->db, rec);
    json_decref(rec);
}

void ctld_job_finish(struct ctld *c, struct job *j, enum job_end end, const char *reason)
{
    int started = !job_is_pending(j) && j->nodes;
    if (started && (j->requeue_on_end || retry_wanted(j, end, reason))) {
        log_info("job %u attempt %u ended %s: %s", j->id, j->restart_count + 1,
                 job_end_name(end), j->requeue_on_end ? "requeued" : "retrying");
        ctld_job_record_attempt(c, j, end, reason);
        j->requeue_on_end = 0;
        ctld_job_requeue(c, j, NULL);
        return;
    }
    if (started) {
        job_free_nodes(c, j);
        share_charge(c, j);
    }
    if (j->alloc_end && end == END_CANCELLED && j->completing)
        end = (enum job_end)j->alloc_end;     /* job_complete: salloc's command ended it */
    j->state = end == END_COMPLETED ? JOB_SUCCEEDED : JOB_FAILED;
    j->end = end;
    j->completing = 0;
    j->end_time = ctld_now();
    if (!j->start_time)
        j->start_time = j->end_time;
    job_set_reason(j, reason);
    if (started)
        steps_job_ended(c, j, end);
    ctld_job_save(c, j);
    log_info("job %u ended: %s", j->id, job_end_name(end));
    mail_job_ended(c, j);
    /* Terminal jobs leave memory; scontrol and sacct read them from the
     * database.  Dropped after the commit so that the commit covers it. */
    ctld_after_commit(c, job_drop, (void *)(uintptr_t)j->id);
    dep_notify(c, j);
    if (j->array_job_id && j->array_task_id >= 0)
        array_task_ended(c, j);
    het_job_ended(c, j, end);
    if (started)
        ctld_sched_request(c);
}

void ctld_job_requeue(struct ctld *c, struct job *j, const char *reason)
{
    mail_job_requeued(c, j);   /* while the attempt's start time is known */
    if (j->nodes) {
        steps_job_ended(c, j, END_CANCELLED);
        job_free_nodes(c, j);
    }
    free(j->nodes);
    j->nodes = NULL;
    json_decref(j->alloc);
    j->alloc = NULL;
    j->alloc_gpus = 0;
    j->num_nodes = j->num_cpus = j->cpus_per_node = 0;
    j->alloc_mem_mb = 0;
    j->state = JOB_RUNNABLE;
    j->start_time = 0;
    j->completing = 0;
    j->cancelled_by = -1;
    j->exit_code = j->exit_signal = 0;
    j->restart_count++;
    job_set_reason(j, reason);
    ctld_job_save(c, j);
    ctld_sched_request(c);
}

enum job_end job_cancel_end(const struct job *j)
{
    return j->alloc_end ? (enum job_end)j->alloc_end : END_CANCELLED;
}

void ctld_job_node_failed(struct ctld *c, struct job *j)
{
    j->fencing = 0;
    if (j->completing) {
        ctld_job_finish(c, j, job_cancel_end(j), NULL);
    } else if (j->requeue && !job_is_pending(j)) {
        log_info("job %u attempt %u ended NODE_FAIL: requeued", j->id, j->restart_count + 1);
        ctld_job_record_attempt(c, j, END_NODE_FAIL, "NodeFail");
        ctld_job_requeue(c, j, "NodeFail");
    } else {
        ctld_job_finish(c, j, END_NODE_FAIL, "NodeFail");
    }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    c->wake_at = 0;
    /* after:ID+MIN and begin times: look again at everything waiting. */
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next)
        j->dep_dirty |= j->deps.n > 0 && job_is_pending(j);
    ctld_sched_request(c);
}

void ctld_wake_at(struct ctld *c, int64_t t)
{
    int64_t now = ctld_now();
    if (c->wake_at && c->wake_at <= t && c->wake_at > now)
        return;
    if (!c->wake_ev)
        c->wake_ev = evtimer_new(c->base, wake_cb, c);
    struct timeval tv = { t > now ? t - now : 0, 0 };
    c->wake_at = t;
    evtimer_add(c->wake_ev, &tv);
}

int ctld_is_admin(struct ctld *c, uid_t uid)
{
    return uid == 0 || uid == getuid() || conf_is_operator(c->conf, ctld_user_name(uid));
}

int ctld_sees_all(struct ctld *c, uid_t uid, unsigned kind)
{
    return !(c->conf->private_data & kind) || ctld_is_admin(c, uid);
}

void ctld_records_own(json_t *recs, uid_t uid)
{
    for (size_t i = 0; i < json_array_size(recs);) {
        json_t *uidv = json_object_get(json_array_get(recs, i), "uid");
        if (json_is_integer(uidv) && (uid_t)json_integer_value(uidv) == uid)
            i++;
        else
            json_array_remove(recs, i);
    }
}

/* A small cache: lookups hit NSS, which may be slow (LDAP). */
#define UCACHE 64
static struct {
    uid_t uid;
    char name[64];
} ucache[UCACHE];
static size_t ucache_n;

const char *ctld_user_name(uid_t uid)
{
    for (size_t i = 0; i < ucache_n; i++) {
        if (ucache[i].uid == uid)
            return ucache[i].name;
    }
    size_t slot = ucache_n < UCACHE ? ucache_n++ : (size_t)uid % UCACHE;
    struct passwd pw, *res = NULL;
    char buf[4096];
    ucache[slot].uid = uid;
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(ucache[slot].name, sizeof(ucache[slot].name), "%s", pw.pw_name);
    else
        snprintf(ucache[slot].name, sizeof(ucache[slot].name), "%u", (unsigned)uid);
    return ucache[slot].name;
}

int ctld_user_uid(const char *name, uid_t *uid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res) {
        *uid = pw.pw_uid;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(name, &end, 10);
    if (*name && !*end) {
        *uid = (uid_t)v;
        return 0;
    }
    return -1;
}

/* PurgeJobAfter: delete old accounting records, at start and then every
 * half purge period (at most hourly). */
static void purge_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    int64_t after = c->conf->purge_job_after;
    if (after > 0) {
        int n = db_purge(c->db, ctld_now() - after);
        if (n > 0)
            log_info("purged %d finished jobs older than PurgeJobAfter=%lld s", n,
                     (long long)after);
        ctld_kick(c);
    }
    int64_t period = after > 0 && after / 2 < 3600 ? (after / 2 > 0 ? after / 2 : 1) : 3600;
    struct timeval tv = { period, 0 };
    evtimer_add(c->purge_ev, &tv);
}

void ctld_purge_start(struct ctld *c)
{
    if (!c->purge_ev)
        c->purge_ev = evtimer_new(c->base, purge_cb, c);
    purge_cb(-1, 0, c);
}
