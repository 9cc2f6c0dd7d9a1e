/* fanout.c: a step's launch along a tree of nodes (fanout.h). */
#define _GNU_SOURCE
#include "fanout.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto.h"

size_t fanout_split(size_t n, size_t width, size_t *first, size_t *count)
{
    size_t k = n < (width ? width : 1) ? n : (width ? width : 1), at = 0;

    for (size_t i = 0; i < k; i++) {
        first[i] = at;
        count[i] = n / k + (i < n % k);
        at += count[i];
    }
    return k;
}

static int send_connect(const char *host, int port, int timeout_s, sl_error_t *e)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    char portstr[16];
    int fd = -1, err = 0, one = 1;
    struct timeval tv = { timeout_s, 0 };

    snprintf(portstr, sizeof(portstr), "%d", port);
    if ((err = getaddrinfo(host, portstr, &hints, &res)) != 0)
        return sl_errprintf(e, "cannot resolve %s: %s", host, gai_strerror(err));
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0) {
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
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

/* The reply to request id: 0, or -1 with e and, where the error names the
 * nodes that failed, *failed. */
static int send_reply(int fd, uint64_t id, json_t **failed, sl_error_t *e)
{
    for (;;) {
        json_t *msg = proto_read(fd, e), *err;
        if (!msg)
            return -1;
        json_int_t rid = json_integer_value(json_object_get(msg, "id"));
        if (json_object_get(msg, "op") || (rid != (json_int_t)id && rid != 0)) {
            json_decref(msg);
            continue;
        }
        if ((err = json_object_get(msg, "error"))) {
            const char *text = json_string_value(json_object_get(err, "message"));
            json_t *f = json_object_get(err, "failed");
            sl_errprintf(e, "%s", text ? text : "refused");
            if (failed && json_is_array(f) && json_array_size(f) > 0)
                *failed = json_incref(f);
            json_decref(msg);
            return -1;
        }
        json_decref(msg);
        return 0;
    }
}

/* Every node of the subtree failed with the same error: the first with e,
 * the others because their launch went through it. */
static void send_fail_all(struct fanout_send *f, const sl_error_t *e)
{
    json_t *fwd = json_object_get(f->body, "forward"), *x;
    size_t i;
    char text[sizeof(e->text) + 128];

    json_array_append_new(f->failed, json_pack("{s:s, s:s}", "node", f->name, "error", e->text));
    snprintf(text, sizeof(text), "not launched: its launch went through node %s: %s", f->name,
             e->text);
    json_array_foreach(fwd, i, x) {
        const char *n = json_string_value(json_object_get(x, "name"));
        json_array_append_new(f->failed, json_pack("{s:s, s:s}", "node", n ? n : "?", "error",
                                                   text));
    }
}

/* A failure list as a node sends it: each entry a node and its error. */
static int failed_ok(const json_t *failed)
{
    json_t *x;
    size_t i;
    json_array_foreach(failed, i, x) {
        if (!json_is_string(json_object_get(x, "node")) ||
            !json_is_string(json_object_get(x, "error")))
            return 0;
    }
    return 1;
}

void fanout_send_run(struct fanout_send *f)
{
    sl_error_t e;
    json_t *hello, *req, *failed = NULL;
    int fd, ok = 0;

    f->failed = json_array();
    if (!f->cred) {
        sl_errprintf(&e, "no credential for the hello");
        send_fail_all(f, &e);
        return;
    }
    if ((fd = send_connect(f->host, f->port, f->timeout_s, &e)) < 0) {
        send_fail_all(f, &e);
        return;
    }
    hello = proto_request("hello", 1, json_pack("{s:i, s:s}", "version", PROTO_VERSION,
                                                "cred", f->cred));
    req = proto_request(f->op ? f->op : "step_launch", 2, json_incref(f->body));
    /* Both go out at once; the hello's reply comes first. */
    if (proto_write(fd, hello, &e) == 0 && proto_write(fd, req, &e) == 0 &&
        send_reply(fd, 1, NULL, &e) == 0 && send_reply(fd, 2, &failed, &e) == 0)
        ok = 1;
    else if ((errno == EAGAIN || errno == EWOULDBLOCK) && !strncmp(e.text, "read failed", 11))
        sl_errprintf(&e, "no answer from %s:%d within %d s", f->host, f->port, f->timeout_s);
    json_decref(hello);
    json_decref(req);
    close(fd);
    if (ok)
        return;
    if (failed && failed_ok(failed))
        json_array_extend(f->failed, failed);
    else
        send_fail_all(f, &e);
    json_decref(failed);
}

void fanout_send_clear(struct fanout_send *f)
{
    free(f->cred);
    f->cred = NULL;
    json_decref(f->body);
    f->body = NULL;
    json_decref(f->failed);
    f->failed = NULL;
}

static int node_ok(const json_t *a)
{
    json_int_t port = json_integer_value(json_object_get(a, "port"));
    return json_is_string(json_object_get(a, "name")) &&
           json_is_string(json_object_get(a, "host")) && port > 0 && port < 65536;
}

struct fanout_send *fanout_plan(const json_t *base, const json_t *nodes, size_t width,
                                int timeout_s, size_t *count, sl_error_t *e)
{
    size_t n = json_array_size(nodes), k, m = n < width ? n : width;
    size_t *first = calloc(m ? m : 1, sizeof(*first)), *cnt = calloc(m ? m : 1, sizeof(*cnt));
    struct fanout_send *s = calloc(m ? m : 1, sizeof(*s));

    *count = 0;
    if (!first || !cnt || !s) {
        free(first), free(cnt), free(s);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!node_ok(json_array_get(nodes, i))) {
            free(first), free(cnt), free(s);
            sl_errprintf(e, "node %zu of the launch has no name, host or port (1-65535)", i);
            return NULL;
        }
    }
    k = fanout_split(n, width, first, cnt);
    for (size_t i = 0; i < k; i++) {
        json_t *head = json_array_get(nodes, first[i]), *fwd = json_array();
        for (size_t j = 1; j < cnt[i]; j++)
            json_array_append_new(fwd, json_deep_copy(json_array_get(nodes, first[i] + j)));
        s[i].name = json_string_value(json_object_get(head, "name"));
        s[i].host = json_string_value(json_object_get(head, "host"));
        s[i].port = (int)json_integer_value(json_object_get(head, "port"));
        s[i].timeout_s = timeout_s;
        s[i].body = json_deep_copy(base);
        json_object_set_new(s[i].body, "node", json_string(s[i].name));
        json_object_set_new(s[i].body, "tree_width", json_integer((json_int_t)width));
        json_object_del(s[i].body, "forward");
        if (json_array_size(fwd) > 0)
            json_object_set(s[i].body, "forward", fwd);
        json_decref(fwd);
    }
    free(first);
    free(cnt);
    *count = k;
    return s;
}

static void *send_thread(void *arg)
{
    fanout_send_run(arg);
    return NULL;
}

void fanout_run_all(struct fanout_send *sends, size_t count, json_t *failed)
{
    pthread_t *th = calloc(count ? count : 1, sizeof(*th));
    char *started = calloc(count ? count : 1, 1);

    for (size_t i = 0; i < count; i++) {
        /* Without a thread (or the memory for one), the subtree is launched
         * in this one: slower, never lost. */
        if (th && started && pthread_create(&th[i], NULL, send_thread, &sends[i]) == 0)
            started[i] = 1;
        else
            fanout_send_run(&sends[i]);
    }
    for (size_t i = 0; i < count; i++) {
        if (started && started[i])
            pthread_join(th[i], NULL);
        json_array_extend(failed, sends[i].failed);
    }
    free(th);
    free(started);
}

void fanout_plan_free(struct fanout_send *sends, size_t count)
{
    for (size_t i = 0; sends && i < count; i++)
        fanout_send_clear(&sends[i]);
    free(sends);
}
