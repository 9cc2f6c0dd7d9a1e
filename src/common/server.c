#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "auth.h"
#include "auth_pool.h"
#include "log.h"
#include "proto.h"

/* Before its hello a connection is anyone's: it may send one frame of at
 * most this size, and must have said hello within HELLO_DEADLINE_S, so that
 * connections that never authenticate cost little memory and no slot for
 * long.  A hello is a few hundred bytes. */
#define HELLO_MAX_FRAME (64u * 1024u)
#define HELLO_DEADLINE_S 10
#define SERVER_DEFAULT_MAX_CONNS 4096

struct sl_conn {
    sl_server_t *srv;
    struct bufferevent *bev;
    struct event *hello_timer;  /* until the hello */
    struct sl_conn *prev, *next;
    int refs;
    int authed;
    int verifying;         /* its hello's credential is being checked (pool) */
    uint64_t hello_id;
    int closing;           /* close once the output buffer drains */
    uid_t uid;
    gid_t gid;
    char peer[64];
    void *data;
    void (*on_close)(sl_conn_t *, void *);
};

struct sl_server {
    struct event_base *base;
    struct evconnlistener *listener;
    sl_auth_t *auth;
    sl_auth_pool_t *pool;       /* NULL: hellos are checked on the loop */
    const struct op_spec *table;
    void *arg;
    sl_conn_t *conns;
    size_t nconns, max_conns;
};

static void conn_drop(sl_conn_t *c);

uid_t conn_uid(const sl_conn_t *c) { return c->uid; }
gid_t conn_gid(const sl_conn_t *c) { return c->gid; }
const char *conn_peer(const sl_conn_t *c) { return c->peer; }
int conn_is_open(const sl_conn_t *c) { return c->bev != NULL && !c->closing; }
void *conn_data(const sl_conn_t *c) { return c->data; }

void conn_set_data(sl_conn_t *c, void *data, void (*on_close)(sl_conn_t *, void *))
{
    c->data = data;
    c->on_close = on_close;
}

sl_conn_t *conn_hold(sl_conn_t *c)
{
    c->refs++;
    return c;
}

void conn_release(sl_conn_t *c)
{
    if (c && --c->refs == 0)
        free(c);
}

void conn_send(sl_conn_t *c, json_t *msg)
{
    if (c->bev && !c->closing && (!msg || proto_put(bufferevent_get_output(c->bev), msg) < 0)) {
        /* Never leave a client waiting for a reply that will not come: a
         * message that cannot be encoded closes the connection, so the
         * client sees the end of its connection instead of hanging. */
        log_warn("closing connection from %s: a message to it could not be encoded", c->peer);
        conn_close(c);
    }
    json_decref(msg);
}

void conn_send_owned(sl_conn_t *c, char *buf, size_t len)
{
    if (c->bev && !c->closing)
        proto_put_owned(bufferevent_get_output(c->bev), buf, len);
    else
        free(buf);
}

void conn_reply(sl_conn_t *c, uint64_t id, json_t *body)
{
    if (!body) {
        /* The handler's json_pack failed: most often a string that is not
         * UTF-8, which JSON cannot carry.  Say so instead of an empty reply. */
        conn_error(c, id, "EIO", "the reply could not be encoded (text that is not UTF-8?)");
        return;
    }
    conn_send(c, proto_reply(id, body));
}

void conn_error(sl_conn_t *c, uint64_t id, const char *code, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    conn_send(c, proto_error(id, code, text));
}

/* Unlink from the server and free the socket; the struct lives on while
 * someone holds it. */
static void conn_drop(sl_conn_t *c)
{
    if (!c->bev)
        return;
    if (c->on_close)
        c->on_close(c, c->data);
    if (c->hello_timer)
        event_free(c->hello_timer);
    c->hello_timer = NULL;
    bufferevent_free(c->bev);
    c->bev = NULL;
    c->srv->nconns--;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    conn_release(c);
}

void conn_close(sl_conn_t *c)
{
    if (!c->bev || c->closing)
        return;
    c->closing = 1;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_drop(c);
}

static void conn_read_cb(struct bufferevent *bev, void *arg);

static void conn_authed(sl_conn_t *c, uint64_t id, uid_t uid, gid_t gid)
{
    c->authed = 1;
    c->uid = uid;
    c->gid = gid;
    event_free(c->hello_timer);
    c->hello_timer = NULL;
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    conn_reply(c, id, json_pack("{s:i, s:i, s:i}", "version", PROTO_VERSION, "uid",
                                (int)c->uid, "gid", (int)c->gid));
}

static void conn_refused(sl_conn_t *c, uint64_t id, const char *why)
{
    log_warn("refused connection from %s: %s", c->peer, why);
    conn_error(c, id, "EPERM", "%s", why);
    conn_close(c);
}

/* A pool's answer, on the loop thread.  What the client sent after its
 * hello waited in the socket meanwhile: read it now. */
static void conn_hello_checked(void *arg, int cancelled, int ok, uid_t uid, gid_t gid,
                               const char *why)
{
    sl_conn_t *c = arg;
    c->verifying = 0;
    if (!cancelled && c->bev && !c->closing) {
        if (!ok) {
            /* Reading again (into nothing) until the close: unread bytes
             * at the close would reset the connection, and the reset
             * could discard the error before the peer reads it. */
            bufferevent_enable(c->bev, EV_READ);
            conn_refused(c, c->hello_id, why);
        } else {
            conn_authed(c, c->hello_id, uid, gid);
            bufferevent_enable(c->bev, EV_READ);
            conn_read_cb(c->bev, c);
        }
    }
    conn_release(c);
}

static void conn_hello(sl_conn_t *c, uint64_t id, json_t *body)
{
    sl_error_t e;
    const char *cred = json_string_value(json_object_get(body, "cred"));
    json_int_t version = json_integer_value(json_object_get(body, "version"));
    uid_t uid;
    gid_t gid;
    if (!cred) {
        conn_error(c, id, "EPROTO", "hello without a credential");
    } else if (version != PROTO_VERSION) {
        conn_error(c, id, "EPROTO", "protocol version %lld not supported (this daemon speaks %d)",
                   (long long)version, PROTO_VERSION);
    } else if (c->srv->pool) {
        if (auth_pool_submit(c->srv->pool, cred, conn_hello_checked, conn_hold(c), &e) < 0) {
            conn_release(c);
            conn_refused(c, id, e.text);
            return;
        }
        c->verifying = 1;
        c->hello_id = id;
        bufferevent_disable(c->bev, EV_READ);
        return;
    } else if (auth_cred_verify(c->srv->auth, cred, &uid, &gid, &e) < 0) {
        conn_refused(c, id, e.text);
        return;
    } else {
        conn_authed(c, id, uid, gid);
        return;
    }
    conn_close(c);
}

static const struct op_spec *op_lookup(const struct op_spec *table, const char *name)
{
    for (const struct op_spec *op = table; op && op->name; op++) {
        if (strcmp(op->name, name) == 0)
            return op;
    }
    return NULL;
}

static void conn_dispatch(sl_conn_t *c, json_t *msg)
{
    json_t *jid = json_object_get(msg, "id");
    const char *name = json_string_value(json_object_get(msg, "op"));
    json_t *body = json_object_get(msg, "body");
    uint64_t id = json_is_integer(jid) ? (uint64_t)json_integer_value(jid) : 0;
    if (!name || !json_is_integer(jid) || (body && !json_is_object(body))) {
        conn_error(c, id, "EPROTO", "request needs a string \"op\", an integer \"id\" and an "
                                    "object \"body\"");
        return;
    }
    if (!c->authed) {
        if (strcmp(name, "hello") == 0) {
            conn_hello(c, id, body);
        } else {
            conn_error(c, id, "EPERM", "authenticate first: the first request must be hello");
            conn_close(c);
        }
        return;
    }
    const struct op_spec *op = op_lookup(c->srv->table, name);
    if (!op) {
        conn_error(c, id, "EPROTO", "unknown operation '%s'", name);
    } else if ((op->flags & OP_PRIVILEGED) && c->uid != 0 && c->uid != getuid()) {
        conn_error(c, id, "EPERM", "operation '%s' is reserved for the Sluice daemons", name);
    } else {
        json_t *b = body ? json_incref(body) : json_object();
        sl_error_t e;
        if (fields_check(op->fields, (op->flags & OP_OPEN_FIELDS) != 0, b, &e) < 0)
            conn_error(c, id, "EINVAL", "%s: %s", name, e.text);
        else
            op->fn(c, id, b, c->srv->arg);
        json_decref(b);
    }
}

/* proto_take within the budget of a connection that has not said hello. */
static int conn_take_hello(struct evbuffer *in, json_t **msg, sl_error_t *e)
{
    uint32_t hdr;
    *msg = NULL;
    if (evbuffer_copyout(in, &hdr, 4) == 4 && ntohl(hdr) > HELLO_MAX_FRAME)
        return sl_errprintf(e, "frame of %u bytes before hello: until its hello a connection "
                               "may send frames of at most %u bytes", ntohl(hdr),
                            HELLO_MAX_FRAME);
    return proto_take(in, msg, e);
}

static void conn_hello_late(evutil_socket_t fd, short what, void *arg)
{
    sl_conn_t *c = arg;
    log_warn("closing connection from %s: no hello within %d s", c->peer, HELLO_DEADLINE_S);
    conn_error(c, 0, "EPROTO", "no hello within %d seconds", HELLO_DEADLINE_S);
    conn_close(c);
}

/* Over MaxConnections: say so in one frame, written straight to the new
 * socket (it has room for it), and close. */
static void server_refuse(sl_server_t *s, evutil_socket_t fd, const char *peer)
{
    char text[256];
    log_warn("refused connection from %s: %zu connections open (MaxConnections)", peer,
             s->nconns);
    snprintf(text, sizeof(text), "too many connections: the daemon serves at most %zu "
             "(MaxConnections); try again later", s->max_conns);
    json_t *err = proto_error(0, "EAGAIN", text);
    char *body = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    if (body) {
        size_t len = strlen(body);
        char frame[512];
        uint32_t hdr = htonl((uint32_t)len);
        if (len + 4 <= sizeof(frame)) {
            memcpy(frame, &hdr, 4);
            memcpy(frame + 4, body, len);
            (void)!send(fd, frame, len + 4, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        free(body);
    }
    /* What the peer already sent (its hello) is read and dropped: closing
     * with unread bytes would reset the connection, and the reset could
     * discard the error before the peer reads it. */
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
        ;
    close(fd);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    sl_conn_t *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    conn_hold(c);
    while (c->bev && !c->closing && !c->verifying) {
        json_t *msg = NULL;
        sl_error_t e;
        int rc = c->authed ? proto_take(in, &msg, &e) : conn_take_hello(in, &msg, &e);
        if (rc == 0)
            break;
        if (rc < 0) {
            log_warn("closing connection from %s: %s", c->peer, e.text);
            conn_error(c, 0, "EPROTO", "%s", e.text);
            conn_close(c);
            break;
        }
        conn_dispatch(c, msg);
        json_decref(msg);
    }
    conn_release(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    sl_conn_t *c = arg;
    if (c->closing)
        conn_drop(c);
}

static void conn_event_cb(struct bufferevent *bev, short events, void *arg)
{
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_drop(arg);
}

static void server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                             struct sockaddr *sa, int salen, void *arg)
{
    sl_server_t *s = arg;
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "?", peer[64];
    getnameinfo(sa, (socklen_t)salen, host, sizeof(host), port, sizeof(port),
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(peer, sizeof(peer), "%s:%s", host, port);
    if (s->nconns >= s->max_conns) {
        server_refuse(s, fd, peer);
        return;
    }
    sl_conn_t *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->hello_timer = evtimer_new(s->base, conn_hello_late, c);
    if (!c->bev || !c->hello_timer) {
        if (c->bev)
            bufferevent_free(c->bev);
        else
            close(fd);
        if (c->hello_timer)
            event_free(c->hello_timer);
        free(c);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memcpy(c->peer, peer, sizeof(c->peer));
    c->srv = s;
    c->refs = 1;
    c->uid = (uid_t)-1;
    c->gid = (gid_t)-1;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    struct timeval deadline = { HELLO_DEADLINE_S, 0 };
    evtimer_add(c->hello_timer, &deadline);
    /* Read no further than one frame of the hello budget until the hello. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, HELLO_MAX_FRAME + 4);
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

sl_server_t *server_create(struct event_base *base, const char *host, int port,
                           struct sl_auth *auth, const struct op_spec *table, void *arg,
                           sl_error_t *e)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        sl_errprintf(e, "cannot resolve %s: %s", host ? host : "*", gai_strerror(rc));
        return NULL;
    }
    sl_server_t *s = calloc(1, sizeof(*s));
    if (!s) {
        freeaddrinfo(res);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    s->base = base;
    s->auth = auth;
    s->table = table;
    s->arg = arg;
    s->max_conns = SERVER_DEFAULT_MAX_CONNS;
    s->listener = evconnlistener_new_bind(base, server_accept_cb, s,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                              LEV_OPT_CLOSE_ON_EXEC,
                                          512, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (!s->listener) {
        sl_errprintf(e, "cannot listen on %s:%d: %s", host ? host : "*", port,
                     strerror(errno));
        free(s);
        return NULL;
    }
    return s;
}

void server_set_table(sl_server_t *s, const struct op_spec *table)
{
    s->table = table;
}

int server_check_hellos_off_loop(sl_server_t *s, int threads, sl_error_t *e)
{
    if (s->pool || threads <= 0)
        return 0;
    s->pool = auth_pool_create(s->base, s->auth, threads, e);
    return s->pool ? 0 : -1;
}

void server_set_max_conns(sl_server_t *s, size_t max)
{
    s->max_conns = max ? max : SERVER_DEFAULT_MAX_CONNS;
}

void server_destroy(sl_server_t *s)
{
    if (!s)
        return;
    evconnlistener_free(s->listener);
    /* Before the connections go: a check handed back holds its connection. */
    auth_pool_destroy(s->pool);
    while (s->conns)
        conn_drop(s->conns);
    free(s);
}
