#include "ctl.h"
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include "client.h"
#include "conf.h"
#include "hw.h"
#include "jobs.h"
#include "lease.h"
#include "log.h"
#include "proto.h"
#include "steps.h"

#define BACKOFF_FIRST 1
#define BACKOFF_MAX 10
#define HB_MISSED_MAX 3
#define HB_SILENCE_MIN 30

enum req_kind { REQ_REGISTER, REQ_HEARTBEAT, REQ_STARTED, REQ_ENDED, REQ_STEP_ENDED };

/* A request of ours waiting for its reply. */
struct pending {
    uint64_t id;
    enum req_kind kind;
    size_t node;             /* index in ctl->nodes */
    uint64_t job_id;
    uint64_t seq;            /* of the result a job_ended carries */
    int64_t sent_ns;         /* lease clock when sent: a reply renews from here */
    struct pending *next;
};

enum ctl_state { ST_DOWN, ST_REGISTERING, ST_REGISTERED };

struct ctl {
    struct event_base *base;
    const conf_t *conf;
    struct ctl_node *nodes;
    size_t nnodes;
    size_t nregistered;      /* registrations acknowledged on this link */
    sl_client_t *cl;
    struct bufferevent *bev;
    enum ctl_state state;
    uint64_t next_id;
    struct pending *pending;
    struct event *retry_ev;
    struct event *hb_ev;
    int backoff;
    int failures;            /* connection attempts failed in a row */
    uint64_t hb_waiting;     /* id of an unanswered heartbeat, 0 if none */
    int hb_missed;           /* intervals it has been waiting */
    int hb_interval;
    int64_t lease_ns;        /* the lease's length: NodeTimeout, as the controller says */
    int64_t lease_until;     /* lease clock (lease.h); 0: never held */
    int lease_lost;          /* ran out and not renewed since */
    struct event *lease_ev;  /* fires when the lease runs out */
    struct event *kill_ev;   /* KillWait and more after that: stepds left are killed */
};

static void ctl_connect(ctl_t *c);

static void pending_clear(ctl_t *c)
{
    while (c->pending) {
        struct pending *p = c->pending;
        c->pending = p->next;
        free(p);
    }
}

static struct pending *pending_take(ctl_t *c, uint64_t id)
{
    for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct pending *p = *pp;
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

static int pending_has_ended(const ctl_t *c, size_t node, uint64_t job_id, uint64_t seq)
{
    for (const struct pending *p = c->pending; p; p = p->next) {
        if (p->kind == REQ_ENDED && p->node == node && p->job_id == job_id && p->seq == seq)
            return 1;
    }
    return 0;
}

/* Queue a request (stealing body) and remember what its reply is for. */
static void ctl_send(ctl_t *c, const char *op, json_t *body, enum req_kind kind,
                     size_t node, uint64_t job_id, uint64_t seq)
{
    struct pending *p = calloc(1, sizeof(*p));
    json_t *msg;

    if (!p || !c->bev) {
        free(p);
        json_decref(body);
        return;
    }
    p->id = c->next_id++;
    p->kind = kind;
    p->node = node;
    p->job_id = job_id;
    p->seq = seq;
    p->sent_ns = lease_now_ns();
    p->next = c->pending;
    c->pending = p;
    msg = proto_request(op, p->id, body);
    if (proto_put(bufferevent_get_output(c->bev), msg) < 0)
        log_error("cannot queue %s for the controller", op);
    json_decref(msg);
    if (kind == REQ_HEARTBEAT)
        c->hb_waiting = p->id;
}

/* Retries come often enough to be back within the lease: a restarted
 * controller must not cost the node its jobs. */
static int backoff_max(const ctl_t *c)
{
    int quarter = (int)(c->lease_ns / 4000000000LL);
    return quarter < 1 ? 1 : quarter < BACKOFF_MAX ? quarter : BACKOFF_MAX;
}

static void ctl_schedule_retry(ctl_t *c)
{
    struct timeval tv = { c->backoff, 0 };

    evtimer_add(c->retry_ev, &tv);
    c->backoff = c->backoff * 2 > backoff_max(c) ? backoff_max(c) : c->backoff * 2;
}

/* The lease (doc/design.md, "Leases"): a reply from the controller to a
 * heartbeat or registration sent at sent_ns proves that the controller
 * counted this node alive at some time after sent_ns, so the lease runs
 * NodeTimeout from sent_ns (never from the reply's arrival: a reply that
 * waited in a buffer while this host was stopped renews nothing). */
static void ctl_disconnect(ctl_t *c, const char *why);

/* Has the lease run out (now, or at any time since the last look)?  Then
 * the node's jobs must stop: every stepd is told at once (it would see the
 * lease file within LEASE_CHECK_S, but a renewal could come first), and
 * the stepds still there KillWait and more later are killed.  The link
 * starts afresh: the controller has declared, or will declare, the node
 * DOWN, and only a new registration brings it back. */
static void ctl_lease_check(ctl_t *c)
{
    struct timeval tv = { c->conf->kill_wait + LEASE_CHECK_S + 1, 0 };
    int64_t now = lease_now_ns();
    size_t stopping = 0;

    if (!c->lease_until || c->lease_lost || now < c->lease_until)
        return;
    c->lease_lost = 1;
    for (size_t i = 0; i < c->nnodes; i++)
        stopping += jobs_fence(c->nodes[i].jobs, (now - c->lease_until) / 1000000000LL);
    if (stopping || c->state != ST_DOWN)
        log_warn("no word from the controller for %lld s: the node's lease ran out; %zu jobs "
                 "stop", (long long)(c->lease_ns / 1000000000LL), stopping);
    evtimer_add(c->kill_ev, &tv);
    if (c->state != ST_DOWN)
        ctl_disconnect(c, "the lease ran out");
}

/* NodeTimeout=0: the controller never declares a silent node DOWN, so
 * nothing is ever requeued away from it and the node needs no lease: its
 * jobs run on whatever becomes of the controller. */
static void ctl_lease_forever(ctl_t *c)
{
    c->lease_lost = 0;
    c->lease_until = INT64_MAX;
    evtimer_del(c->lease_ev);
    for (size_t i = 0; i < c->nnodes; i++)
        jobs_lease_renew(c->nodes[i].jobs, INT64_MAX);
}

static void ctl_lease_renew(ctl_t *c, int64_t sent_ns, json_t *body)
{
    json_t *secs = json_object_get(body, "lease");
    int64_t until, now = lease_now_ns();
    struct timeval tv;

    ctl_lease_check(c);
    if (json_is_integer(secs) && json_integer_value(secs) <= 0) {
        ctl_lease_forever(c);
        return;
    }
    if (c->lease_until == INT64_MAX)
        c->lease_until = 0;   /* NodeTimeout was 0 and is not any more */
    if (json_is_integer(secs))
        c->lease_ns = json_integer_value(secs) * 1000000000LL;
    until = sent_ns + c->lease_ns;
    if (until <= now || until <= c->lease_until)
        return;
    if (c->lease_lost)
        log_info("the controller renewed the node's lease");
    c->lease_lost = 0;
    c->lease_until = until;
    for (size_t i = 0; i < c->nnodes; i++)
        jobs_lease_renew(c->nodes[i].jobs, until);
    tv.tv_sec = (time_t)((until - now) / 1000000000LL);
    tv.tv_usec = (suseconds_t)((until - now) % 1000000000LL / 1000) + 1;
    evtimer_add(c->lease_ev, &tv);
}

static void ctl_lease_cb(evutil_socket_t fd, short what, void *arg)
{
    ctl_lease_check(arg);
}

static void ctl_kill_cb(evutil_socket_t fd, short what, void *arg)
{
    ctl_t *c = arg;

    if (!c->lease_lost)
        return;
    for (size_t i = 0; i < c->nnodes; i++)
        jobs_kill_stepds(c->nodes[i].jobs);
}

static void ctl_disconnect(ctl_t *c, const char *why)
{
    if (c->state != ST_DOWN)
        log_warn("lost the controller link: %s; retrying in %d s", why, c->backoff);
    if (c->bev)
        bufferevent_free(c->bev);   /* the client owns the socket */
    c->bev = NULL;
    client_close(c->cl);
    c->cl = NULL;
    c->state = ST_DOWN;
    c->nregistered = 0;
    c->hb_waiting = 0;
    c->hb_missed = 0;
    evtimer_del(c->hb_ev);
    pending_clear(c);
    ctl_schedule_retry(c);
}

/* One node_register per node, all sent at once. */
static void ctl_register(ctl_t *c)
{
    c->state = ST_REGISTERING;
    c->nregistered = 0;
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct ctl_node *n = &c->nodes[i];
        json_t *body = json_pack("{s:s, s:i, s:i, s:i, s:i, s:I, s:o, s:o, s:o, s:s, s:o}",
                                 "name", n->name, "cpus", (int)n->hw->cpus,
                                 "sockets", (int)n->hw->sockets,
                                 "cores_per_socket", (int)n->hw->cores_per_socket,
                                 "threads_per_core", (int)n->hw->threads_per_core,
                                 "memory_mb", (json_int_t)n->hw->memory_mb,
                                 "running", jobs_running_ids(n->jobs),
                                 "running_attempts", jobs_running_attempts(n->jobs),
                                 "ended", jobs_ended_ids(n->jobs),
                                 "version", PACKAGE_VERSION,
                                 "topology", topo_to_json(n->hw->topo));
        load_sample(body);
        ctl_send(c, "node_register", body, REQ_REGISTER, i, 0, 0);
    }
}

/* A node's registration was accepted; the heartbeat starts with the last. */
static void ctl_registered(ctl_t *c, size_t node, json_t *body)
{
    json_t *hb = json_object_get(body, "heartbeat_interval");
    int secs = json_is_integer(hb) ? (int)json_integer_value(hb) : 0;
    struct timeval tv;

    jobs_resend(c->nodes[node].jobs);
    if (c->nnodes > 1)
        log_debug("registered node %s", c->nodes[node].name);
    if (++c->nregistered < c->nnodes)
        return;
    if (secs <= 0)
        secs = c->conf->heartbeat_interval > 0 ? c->conf->heartbeat_interval : 30;
    /* Several heartbeats per lease, so that one slow reply costs nothing. */
    if (secs > c->lease_ns / 3000000000LL)
        secs = c->lease_ns / 3000000000LL > 1 ? (int)(c->lease_ns / 3000000000LL) : 1;
    if (c->nnodes > 1)
        log_info("registered %zu nodes (%s to %s) with the controller (heartbeat every %d s)",
                 c->nnodes, c->nodes[0].name, c->nodes[c->nnodes - 1].name, secs);
    else
        log_info("registered with the controller as %s (heartbeat every %d s)",
                 c->nodes[0].name, secs);
    c->state = ST_REGISTERED;
    c->backoff = BACKOFF_FIRST;
    c->failures = 0;
    c->hb_interval = secs;
    tv.tv_sec = secs;
    tv.tv_usec = 0;
    evtimer_add(c->hb_ev, &tv);
}

/* The reply to one of our requests. */
static void ctl_on_reply(ctl_t *c, uint64_t id, json_t *msg)
{
    struct pending *p = pending_take(c, id);
    json_t *err = json_object_get(msg, "error");
    const char *text = json_string_value(json_object_get(err, "message"));
    const char *code = json_string_value(json_object_get(err, "code"));

    if (!p) {
        log_debug("reply %llu from the controller matches no request", (unsigned long long)id);
        return;
    }
    if (p->kind == REQ_HEARTBEAT && c->hb_waiting == id)
        c->hb_waiting = 0;
    if (!err && (p->kind == REQ_HEARTBEAT || p->kind == REQ_REGISTER))
        ctl_lease_renew(c, p->sent_ns, json_object_get(msg, "body"));
    if (err)
        log_error("controller refused %s: %s (%s)",
                  p->kind == REQ_REGISTER ? "node_register" :
                  p->kind == REQ_ENDED ? "job_ended" :
                  p->kind == REQ_STARTED ? "job_started" :
                  p->kind == REQ_STEP_ENDED ? "step_node_ended" : "node_heartbeat",
                  text ? text : "no message", code ? code : "?");
    if (p->kind == REQ_REGISTER) {
        if (err) {
            free(p);
            ctl_disconnect(c, "registration refused");
            return;
        }
        ctl_registered(c, p->node, json_object_get(msg, "body"));
    } else if (p->kind == REQ_HEARTBEAT && err) {
        /* The controller has declared this node DOWN: only a new
         * registration brings it (and its lease) back. */
        free(p);
        ctl_disconnect(c, "heartbeat refused");
        return;
    } else if (p->kind == REQ_ENDED && !(code && (strcmp(code, "EAGAIN") == 0 ||
                                               strcmp(code, "EPROTO") == 0))) {
        /* Committed (or refused for good): either way the controller has
         * decided, and resending would not change its mind.  EPROTO means
         * the link is not registered (the controller declared the node DOWN
         * meanwhile): the result is kept and goes again after registering. */
        jobs_ack(c->nodes[p->node].jobs, p->job_id, p->seq);
    }
    free(p);
}

static uint64_t body_job_id(json_t *body)
{
    json_t *v = json_object_get(body, "job_id");
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* The node a push is for: its "node" field (the controller always sends
 * it), else our only node.  NULL if it names a node we do not serve. */
static jobs_t *push_jobs(ctl_t *c, const char *op, json_t *body)
{
    const char *name = json_string_value(json_object_get(body, "node"));

    if (!name)
        return c->nnodes == 1 ? c->nodes[0].jobs : NULL;
    for (size_t i = 0; i < c->nnodes; i++) {
        if (strcmp(c->nodes[i].name, name) == 0)
            return c->nodes[i].jobs;
    }
    log_warn("'%s' for node %s, which this sluiced does not serve: ignored", op, name);
    return NULL;
}

/* step_signal: a signal for one step or all (-1) of a job, or with
 * "terminate" its end (doc/protocol.md, "The node channel: steps"). */
static void ctl_step_signal(jobs_t *js, json_t *body)
{
    json_t *sv = json_object_get(body, "step_id"), *sig = json_object_get(body, "signal");
    int64_t step = json_is_integer(sv) ? json_integer_value(sv) : -1;

    if (step < -1) {
        log_warn("step_signal with step_id %lld: ignored", (long long)step);
        return;
    }
    if (json_is_true(json_object_get(body, "terminate")))
        steps_terminate(js, body_job_id(body), step);
    else if (json_is_integer(sig))
        steps_signal(js, body_job_id(body), step, (int)json_integer_value(sig));
    else
        log_warn("step_signal without a signal and without terminate: ignored");
}

static void ctl_on_push(ctl_t *c, const char *op, uint64_t id, json_t *body)
{
    jobs_t *js = push_jobs(c, op, body);

    if (!js) {
        if (id) {
            json_t *msg = proto_error(id, "ENOENT", "no such node here");
            proto_put(bufferevent_get_output(c->bev), msg);
            json_decref(msg);
        }
        return;
    }
    if (!strcmp(op, "job_launch")) {
        /* Nothing starts without a lease: the controller settles a launch
         * that was never answered (requeued: it never ran). */
        ctl_lease_check(c);
        if (c->lease_lost || !c->bev) {
            log_warn("job_launch of job %llu while the node's lease has run out: ignored",
                     (unsigned long long)body_job_id(body));
            return;
        }
        jobs_launch(js, body);
    } else if (!strcmp(op, "job_signal")) {
        jobs_signal(js, body_job_id(body),
                    (int)json_integer_value(json_object_get(body, "signal")));
    } else if (!strcmp(op, "step_signal")) {
        ctl_step_signal(js, body);
    } else if (!strcmp(op, "job_terminate")) {
        json_t *att = json_object_get(body, "attempt");
        jobs_terminate(js, body_job_id(body), json_is_integer(att) ? json_integer_value(att) : -1);
    } else {
        log_warn("unknown operation '%s' from the controller", op);
        if (id) {
            char text[128];
            snprintf(text, sizeof(text), "unknown operation '%s'", op);
            json_t *msg = proto_error(id, "EPROTO", text);
            proto_put(bufferevent_get_output(c->bev), msg);
            json_decref(msg);
        }
        return;
    }
    if (id) {
        json_t *msg = proto_reply(id, json_object());
        proto_put(bufferevent_get_output(c->bev), msg);
        json_decref(msg);
    }
}

static void ctl_dispatch(ctl_t *c, json_t *msg)
{
    const char *op = json_string_value(json_object_get(msg, "op"));
    json_t *idv = json_object_get(msg, "id");
    json_t *body = json_object_get(msg, "body");
    uint64_t id = json_is_integer(idv) ? (uint64_t)json_integer_value(idv) : 0;

    if (!op) {
        ctl_on_reply(c, id, msg);
        return;
    }
    if (!json_is_object(body)) {
        log_warn("'%s' from the controller without a body: ignored", op);
        return;
    }
    ctl_on_push(c, op, id, body);
}

static void ctl_read_cb(struct bufferevent *bev, void *arg)
{
    ctl_t *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (c->bev == bev) {
        json_t *msg = NULL;
        sl_error_t e;
        int rc = proto_take(in, &msg, &e);
        if (rc == 0)
            return;
        if (rc < 0) {
            ctl_disconnect(c, e.text);
            return;
        }
        ctl_dispatch(c, msg);
        json_decref(msg);
    }
}

static void ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
    if (what & BEV_EVENT_EOF)
        ctl_disconnect(arg, "the controller closed the connection");
    else if (what & BEV_EVENT_ERROR)
        ctl_disconnect(arg, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* A heartbeat unanswered for HB_MISSED_MAX intervals (and at least
 * HB_SILENCE_MIN s, so that a controller busy committing a burst of work is
 * not mistaken for a dead one) means the link is dead even if TCP has not
 * noticed. */
static void ctl_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
    ctl_t *c = arg;

    if (c->state != ST_REGISTERED)
        return;
    if (c->hb_waiting) {
        c->hb_missed++;
        if (c->hb_missed >= HB_MISSED_MAX && c->hb_missed * c->hb_interval >= HB_SILENCE_MIN)
            ctl_disconnect(c, "no reply to heartbeats");
        return;
    }
    c->hb_missed = 0;
    json_t *body = json_object();
    load_sample(body);   /* one host: the same for every node it serves */
    ctl_send(c, "node_heartbeat", body, REQ_HEARTBEAT, 0, 0, 0);
}

static void ctl_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    ctl_connect(arg);
}

/* client_open() blocks; on loopback (the only place Sluice connects to)
 * that is one round trip plus the hello. */
static void ctl_connect(ctl_t *c)
{
    sl_error_t e;
    int fd;

    c->cl = client_open(c->conf, &e);
    if (!c->cl) {
        /* Say it once at warning level, then quietly until it works. */
        if (c->failures++ == 0)
            log_warn("%s; retrying every %d s at most", e.text, BACKOFF_MAX);
        else
            log_debug("%s", e.text);
        ctl_schedule_retry(c);
        return;
    }
    fd = client_fd(c->cl);
    evutil_make_socket_nonblocking(fd);
    c->bev = bufferevent_socket_new(c->base, fd, 0);
    if (!c->bev) {
        client_close(c->cl);
        c->cl = NULL;
        log_error("cannot set up the controller connection");
        ctl_schedule_retry(c);
        return;
    }
    bufferevent_setcb(c->bev, ctl_read_cb, NULL, ctl_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    log_info("connected to the controller %s:%d", c->conf->controller_host,
             c->conf->controller_port);
    ctl_register(c);
}

ctl_t *ctl_create(struct event_base *base, const conf_t *conf,
                  const struct ctl_node *nodes, size_t nnodes, sl_error_t *e)
{
    ctl_t *c = calloc(1, sizeof(*c));

    if (!c || !(c->nodes = calloc(nnodes ? nnodes : 1, sizeof(*c->nodes)))) {
        free(c);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    memcpy(c->nodes, nodes, nnodes * sizeof(*nodes));
    c->nnodes = nnodes;
    c->base = base;
    c->conf = conf;
    c->next_id = 1;
    c->backoff = BACKOFF_FIRST;
    c->lease_ns = (int64_t)(conf->node_timeout > 0 ? conf->node_timeout : 300) * 1000000000LL;
    c->retry_ev = evtimer_new(base, ctl_retry_cb, c);
    c->hb_ev = event_new(base, -1, EV_PERSIST, ctl_heartbeat_cb, c);
    c->lease_ev = evtimer_new(base, ctl_lease_cb, c);
    c->kill_ev = evtimer_new(base, ctl_kill_cb, c);
    if (!c->retry_ev || !c->hb_ev || !c->lease_ev || !c->kill_ev) {
        ctl_destroy(c);
        sl_errprintf(e, "cannot create timers");
        return NULL;
    }
    return c;
}

void ctl_destroy(ctl_t *c)
{
    if (!c)
        return;
    if (c->bev)
        bufferevent_free(c->bev);
    client_close(c->cl);
    pending_clear(c);
    if (c->retry_ev)
        event_free(c->retry_ev);
    if (c->hb_ev)
        event_free(c->hb_ev);
    if (c->lease_ev)
        event_free(c->lease_ev);
    if (c->kill_ev)
        event_free(c->kill_ev);
    free(c->nodes);
    free(c);
}

void ctl_start(ctl_t *c)
{
    /* A restarted sluiced goes on with the lease its predecessor held: if
     * that ran out meanwhile, the jobs it adopted stop. */
    c->lease_until = jobs_lease_read(c->nodes[0].jobs);
    ctl_lease_check(c);
    if (!c->lease_lost && c->lease_until) {
        int64_t left = c->lease_until - lease_now_ns();
        struct timeval tv = { (time_t)(left / 1000000000LL),
                              (suseconds_t)(left % 1000000000LL / 1000) + 1 };
        evtimer_add(c->lease_ev, &tv);
    }
    ctl_connect(c);
}

void ctl_job_started(ctl_t *c, size_t node, uint64_t job_id, int64_t attempt, pid_t pid)
{
    if (c->state == ST_DOWN)
        return;
    ctl_send(c, "job_started",
             json_pack("{s:I, s:I, s:i, s:s}", "job_id", (json_int_t)job_id, "attempt",
                       (json_int_t)attempt, "pid", (int)pid, "node", c->nodes[node].name),
             REQ_STARTED, node, job_id, 0);
}

void ctl_job_ended(ctl_t *c, size_t node, uint64_t job_id, uint64_t seq, json_t *result)
{
    json_t *body;

    if (c->state == ST_DOWN || pending_has_ended(c, node, job_id, seq))
        return;
    body = json_deep_copy(result);
    json_object_set_new(body, "node", json_string(c->nodes[node].name));
    ctl_send(c, "job_ended", body, REQ_ENDED, node, job_id, seq);
}

void ctl_step_ended(ctl_t *c, size_t node, uint64_t job_id, int64_t step_id, int ok)
{
    if (c->state != ST_REGISTERED)
        return;
    ctl_send(c, "step_node_ended",
             json_pack("{s:I, s:I, s:s, s:b}", "job_id", (json_int_t)job_id, "step_id",
                       (json_int_t)step_id, "node", c->nodes[node].name, "ok", ok),
             REQ_STEP_ENDED, node, job_id, 0);
}
