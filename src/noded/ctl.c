#include "ctl.h"

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
#include "log.h"
#include "proto.h"

#define BACKOFF_FIRST 1
#define BACKOFF_MAX 10
#define HB_MISSED_MAX 3
#define HB_SILENCE_MIN 30

enum req_kind { REQ_REGISTER, REQ_HEARTBEAT, REQ_STARTED, REQ_ENDED };

/* A request of ours waiting for its reply. */
struct pending {
    uint64_t id;
    enum req_kind kind;
    size_t node;             /* index in ctl->nodes */
    uint64_t job_id;
    uint64_t seq;            /* of the result a job_ended carries */
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
    p->next = c->pending;
    c->pending = p;
    msg = proto_request(op, p->id, body);
    if (proto_put(bufferevent_get_output(c->bev), msg) < 0)
        log_error("cannot queue %s for the controller", op);
    json_decref(msg);
    if (kind == REQ_HEARTBEAT)
        c->hb_waiting = p->id;
}

static void ctl_schedule_retry(ctl_t *c)
{
    struct timeval tv = { c->backoff, 0 };

    evtimer_add(c->retry_ev, &tv);
    c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
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
        json_t *body = json_pack("{s:s, s:i, s:i, s:i, s:i, s:I, s:o, s:o, s:s}",
                                 "name", n->name, "cpus", (int)n->hw->cpus,
                                 "sockets", (int)n->hw->sockets,
                                 "cores_per_socket", (int)n->hw->cores_per_socket,
                                 "threads_per_core", (int)n->hw->threads_per_core,
                                 "memory_mb", (json_int_t)n->hw->memory_mb,
                                 "running", jobs_running_ids(n->jobs),
                                 "ended", jobs_ended_ids(n->jobs),
                                 "version", PACKAGE_VERSION);
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
    if (err)
        log_error("controller refused %s: %s (%s)",
                  p->kind == REQ_REGISTER ? "node_register" :
                  p->kind == REQ_ENDED ? "job_ended" :
                  p->kind == REQ_STARTED ? "job_started" : "node_heartbeat",
                  text ? text : "no message", code ? code : "?");
    if (p->kind == REQ_REGISTER) {
        if (err) {
            free(p);
            ctl_disconnect(c, "registration refused");
            return;
        }
        ctl_registered(c, p->node, json_object_get(msg, "body"));
    } else if (p->kind == REQ_ENDED && !(code && strcmp(code, "EAGAIN") == 0)) {
        /* Committed (or refused for good): either way the controller has
         * decided, and resending would not change its mind. */
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
        jobs_launch(js, body);
    } else if (!strcmp(op, "job_signal")) {
        jobs_signal(js, body_job_id(body),
                    (int)json_integer_value(json_object_get(body, "signal")));
    } else if (!strcmp(op, "job_terminate")) {
        jobs_terminate(js, body_job_id(body));
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
    ctl_send(c, "node_heartbeat", json_object(), REQ_HEARTBEAT, 0, 0, 0);
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
    c->retry_ev = evtimer_new(base, ctl_retry_cb, c);
    c->hb_ev = event_new(base, -1, EV_PERSIST, ctl_heartbeat_cb, c);
    if (!c->retry_ev || !c->hb_ev) {
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
    free(c->nodes);
    free(c);
}

void ctl_start(ctl_t *c)
{
    ctl_connect(c);
}

void ctl_job_started(ctl_t *c, size_t node, uint64_t job_id, pid_t pid)
{
    if (c->state == ST_DOWN)
        return;
    ctl_send(c, "job_started",
             json_pack("{s:I, s:i, s:s}", "job_id", (json_int_t)job_id, "pid", (int)pid,
                       "node", c->nodes[node].name),
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
