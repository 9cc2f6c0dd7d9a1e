#include "client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "auth.h"
#include "conf.h"
#include "proto.h"

struct sl_client {
    int fd;
    uint64_t next_id;
    char code[32];
    uint64_t hello_id;       /* sent, reply not read yet (client_open_deferred) */
    int hello_pending;
    char where[300];         /* "controller H:P", for the hello's errors */
};

static int tcp_connect(const char *host, int port, sl_error_t *e)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return sl_errprintf(e, "cannot resolve %s: %s", host, gai_strerror(rc));
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return sl_errprintf(e, "cannot connect to %s:%d: %s", host, port, strerror(err));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* The auth plugin stays loaded for the life of the process: commands are
 * short-lived, and unloading it (munmap, with TLB shootdowns on a VM) cost
 * more than the rest of a submission's client-side work. */
static sl_auth_t *client_auth(const struct conf *c, sl_error_t *e)
{
    static sl_auth_t *auth;
    static char key[3 * 1024];
    char now[sizeof(key)];

    /* A daemon may be reconfigured with another auth setup. */
    snprintf(now, sizeof(now), "%s|%s|%s", c->plugin_dir ? c->plugin_dir : "",
             c->auth_type ? c->auth_type : "", c->auth_socket ? c->auth_socket : "");
    if (auth && strcmp(now, key) == 0)
        return auth;
    auth_destroy(auth);
    auth = auth_create(c, e);
    snprintf(key, sizeof(key), "%s", auth ? now : "");
    return auth;
}

static json_t *client_wait_reply(sl_client_t *cl, uint64_t id, sl_error_t *e);

/* "cannot connect to H:P: reason" reads better naming the controller. */
static void client_open_error(const struct conf *c, const sl_error_t *why, sl_error_t *e)
{
    const char *prefix = "cannot connect to ";
    if (strncmp(why->text, prefix, strlen(prefix)) == 0)
        sl_errprintf(e, "cannot connect to controller %s", why->text + strlen(prefix));
    else
        sl_errprintf(e, "controller %s:%d: %s", c->controller_host, c->controller_port,
                     why->text);
}

static int client_hello_send(sl_client_t *cl, const struct conf *c, sl_error_t *e)
{
    sl_auth_t *auth = client_auth(c, e);
    if (!auth)
        return -1;
    char *cred = auth_cred_create(auth, e);
    if (!cred)
        return -1;
    json_t *body = json_pack("{s:i, s:s}", "version", PROTO_VERSION, "cred", cred);
    free(cred);
    cl->hello_id = cl->next_id++;
    json_t *req = proto_request("hello", cl->hello_id, body);
    int rc = proto_write(cl->fd, req, e);
    json_decref(req);
    cl->hello_pending = rc == 0;
    return rc;
}

/* Connect to host:port (what: "controller" or "node NAME") and send the
 * hello; its reply is read by client_hello_finish. */
static sl_client_t *client_connect_to(const struct conf *c, const char *host, int port,
                                      const char *what, sl_error_t *why)
{
    int fd = tcp_connect(host, port, why);
    sl_client_t *cl = fd >= 0 ? calloc(1, sizeof(*cl)) : NULL;

    if (fd >= 0 && !cl)
        sl_errprintf(why, "out of memory");
    if (cl) {
        cl->fd = fd;
        snprintf(cl->where, sizeof(cl->where), "%s %s:%d", what, host, port);
        if (client_hello_send(cl, c, why) == 0)
            return cl;
        client_close(cl);
    } else if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

static sl_client_t *client_connect(const struct conf *c, sl_error_t *e)
{
    sl_error_t why;
    sl_client_t *cl = client_connect_to(c, c->controller_host, c->controller_port,
                                        "controller", &why);
    if (!cl)
        client_open_error(c, &why, e);
    return cl;
}

/* The hello's reply, if not read yet. */
static int client_hello_finish(sl_client_t *cl, sl_error_t *e)
{
    if (!cl->hello_pending)
        return 0;
    cl->hello_pending = 0;
    json_t *msg = client_wait_reply(cl, cl->hello_id, e);
    json_t *err = msg ? json_object_get(msg, "error") : NULL;
    if (msg && !err) {
        json_decref(msg);
        return 0;
    }
    if (err) {
        const char *text = json_string_value(json_object_get(err, "message"));
        const char *code = json_string_value(json_object_get(err, "code"));
        if (!code || !strcmp(code, "EPERM"))
            sl_errprintf(e, "%s: authentication refused: %s", cl->where,
                         text ? text : "unknown error");
        else
            sl_errprintf(e, "%s: %s", cl->where, text ? text : code);
        snprintf(cl->code, sizeof(cl->code), "%s", code ? code : "EPERM");
    } else {
        sl_errprefix(e, "%s", cl->where);
    }
    json_decref(msg);
    return -1;
}

sl_client_t *client_open(const struct conf *c, sl_error_t *e)
{
    sl_client_t *cl = client_connect(c, e);
    if (cl && client_hello_finish(cl, e) < 0) {
        client_close(cl);
        return NULL;
    }
    return cl;
}

/* The hello goes out with the first request instead of a round trip of
 * its own: a command makes one call, so this saves a third of its waiting. */
sl_client_t *client_open_deferred(const struct conf *c, sl_error_t *e)
{
    return client_connect(c, e);
}

sl_client_t *client_open_node(const struct conf *c, const char *name, const char *host,
                              int port, sl_error_t *e)
{
    char what[300];
    sl_error_t why;
    sl_client_t *cl;
    snprintf(what, sizeof(what), "node %s", name);
    if (!(cl = client_connect_to(c, host, port, what, &why)))
        sl_errprintf(e, "%s (%s:%d): %s", what, host, port, why.text);
    return cl;
}

/* Match the reply to our request; skip pushes (id 0) that are not ours. */
static json_t *client_wait_reply(sl_client_t *cl, uint64_t id, sl_error_t *e)
{
    for (;;) {
        json_t *msg = proto_read(cl->fd, e);
        if (!msg)
            return NULL;
        json_int_t rid = json_integer_value(json_object_get(msg, "id"));
        /* An error with id 0 is about the connection (refused before any
         * request was read): it answers whatever we wait for. */
        if (((uint64_t)rid == id || (rid == 0 && json_object_get(msg, "error"))) &&
            !json_object_get(msg, "op"))
            return msg;
        json_decref(msg);
    }
}

/* Send one request (stealing body) and read a deferred hello's reply: the
 * request's id, or 0 with e set. */
static uint64_t client_send(sl_client_t *cl, const char *op, json_t *body, sl_error_t *e)
{
    uint64_t id = cl->next_id++;
    json_t *req = proto_request(op, id, body);
    int rc = proto_write(cl->fd, req, e);
    json_decref(req);
    /* A write refused because the controller closed the connection: its
     * reply to the hello (sent before it closed) says why. */
    if (rc < 0 && cl->hello_pending) {
        sl_error_t why;
        if (client_hello_finish(cl, &why) < 0 && cl->code[0])
            *e = why;
        return 0;
    }
    return rc < 0 || client_hello_finish(cl, e) < 0 ? 0 : id;
}

json_t *client_call(sl_client_t *cl, const char *op, json_t *body, sl_error_t *e)
{
    uint64_t id = client_send(cl, op, body, e);
    if (!id)
        return NULL;
    json_t *msg = client_wait_reply(cl, id, e);
    if (!msg)
        return NULL;
    json_t *err = json_object_get(msg, "error");
    json_t *result = NULL;
    cl->code[0] = '\0';
    if (err) {
        const char *code = json_string_value(json_object_get(err, "code"));
        const char *text = json_string_value(json_object_get(err, "message"));
        snprintf(cl->code, sizeof(cl->code), "%s", code ? code : "EIO");
        sl_errprintf(e, "%s", text ? text : "unknown error");
    } else {
        result = json_object_get(msg, "body");
        result = result ? json_incref(result) : json_object();
    }
    json_decref(msg);
    return result;
}

/* The reply frame with our id, parsed into tp; skips other messages. */
static int client_wait_tape(sl_client_t *cl, uint64_t id, struct jtape *tp, sl_error_t *e)
{
    for (;;) {
        size_t len;
        char *text = proto_read_text(cl->fd, &len, e);
        if (!text)
            return -1;
        if (jtape_parse(tp, text, len, e) < 0)
            return -1;
        if (tp->t[0].type == JT_OBJ && jtape_get(tp, 0, "op") == JT_NONE &&
            jtape_int(tp, jtape_get(tp, 0, "id"), -1) == (int64_t)id)
            return 0;
    }
}

size_t client_call_tape(sl_client_t *cl, const char *op, json_t *body, struct jtape *tp,
                        sl_error_t *e)
{
    uint64_t id = client_send(cl, op, body, e);
    size_t err, res;
    if (!id || client_wait_tape(cl, id, tp, e) < 0)
        return JT_NONE;
    cl->code[0] = '\0';
    if ((err = jtape_get(tp, 0, "error")) != JT_NONE) {
        const char *code = jtape_str(tp, jtape_get(tp, err, "code"));
        const char *text = jtape_str(tp, jtape_get(tp, err, "message"));
        snprintf(cl->code, sizeof(cl->code), "%s", code ? code : "EIO");
        sl_errprintf(e, "%s", text ? text : "unknown error");
        return JT_NONE;
    }
    res = jtape_get(tp, 0, "body");
    if (res != JT_NONE && tp->t[res].type == JT_OBJ)
        return res;
    sl_errprintf(e, "reply to %s has no body", op);
    return JT_NONE;
}

const char *client_last_code(const sl_client_t *cl)
{
    return cl->code;
}

int client_fd(const sl_client_t *cl)
{
    return cl->fd;
}

void client_close(sl_client_t *cl)
{
    if (!cl)
        return;
    if (cl->fd >= 0)
        close(cl->fd);
    free(cl);
}

json_t *client_call_once(const struct conf *c, const char *op, json_t *body, sl_error_t *e)
{
    sl_client_t *cl = client_open(c, e);
    if (!cl) {
        json_decref(body);
        return NULL;
    }
    json_t *reply = client_call(cl, op, body, e);
    client_close(cl);
    return reply;
}
