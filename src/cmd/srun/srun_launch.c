/* srun_launch.c: step_launch to the sluiced of every node of a grant.  One
 * thread per node, so that a slow or dead node costs the launch one
 * timeout, not one per node.  The hello credentials are made beforehand in
 * the main thread (one auth plugin, used from one thread). */
#define _GNU_SOURCE
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

#include "auth.h"
#include "cmdutil.h"
#include "proto.h"
#include "srun.h"

/* How long a node may take to answer: its sluiced starts a stepd first. */
#define LAUNCH_TIMEOUT_S 60

struct launch_node {
    const char *name;
    const char *host;
    int port;
    char *cred;          /* the hello's credential */
    json_t *body;        /* step_launch's body for this node */
    int ok;
    sl_error_t err;
};

static int launch_connect(const char *host, int port, sl_error_t *e)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    char portstr[16];
    int fd = -1, err = 0, one = 1;
    struct timeval tv = { LAUNCH_TIMEOUT_S, 0 };
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

/* The reply to request id: its error, if any, in e. */
static int launch_reply(int fd, uint64_t id, sl_error_t *e)
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
            sl_errprintf(e, "%s", text ? text : "refused");
            json_decref(msg);
            return -1;
        }
        json_decref(msg);
        return 0;
    }
}

static void *launch_one(void *arg)
{
    struct launch_node *n = arg;
    int fd = launch_connect(n->host, n->port, &n->err);
    json_t *hello, *req;
    if (fd < 0)
        return NULL;
    hello = proto_request("hello", 1, json_pack("{s:i, s:s}", "version", PROTO_VERSION,
                                                  "cred", n->cred));
    req = proto_request("step_launch", 2, json_incref(n->body));
    /* Both go out at once; the hello's reply comes first. */
    if (proto_write(fd, hello, &n->err) == 0 && proto_write(fd, req, &n->err) == 0 &&
        launch_reply(fd, 1, &n->err) == 0 && launch_reply(fd, 2, &n->err) == 0)
        n->ok = 1;
    json_decref(hello);
    json_decref(req);
    close(fd);
    return NULL;
}

static int launch_prepare(struct launch_node *nodes, size_t count, const json_t *grant,
                          const json_t *body)
{
    sl_error_t e;
    sl_auth_t *auth = auth_create(cmd_conf_load(), &e);
    json_t *addrs = json_object_get(grant, "addrs");
    if (!auth) {
        fprintf(stderr, "srun: error: %s\n", e.text);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *a = json_array_get(addrs, i);
        struct launch_node *n = &nodes[i];
        n->name = cmd_str(a, "name");
        n->host = cmd_str(a, "host");
        n->port = (int)cmd_int(a, "port");
        n->body = json_deep_copy(body);
        json_object_set_new(n->body, "node", json_string(n->name));
        n->cred = auth_cred_create(auth, &n->err);
    }
    auth_destroy(auth);
    return 0;
}

int launch_nodes(const json_t *grant, const json_t *body, int64_t job_id, int step_id)
{
    size_t count = json_array_size(json_object_get(grant, "addrs"));
    struct launch_node *nodes = calloc(count ? count : 1, sizeof(*nodes));
    pthread_t *th = calloc(count ? count : 1, sizeof(*th));
    int rc = 0;
    if (!nodes || !th || launch_prepare(nodes, count, grant, body) < 0) {
        free(nodes);
        free(th);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (nodes[i].cred && pthread_create(&th[i], NULL, launch_one, &nodes[i]) != 0) {
            sl_errprintf(&nodes[i].err, "cannot start a thread");
            free(nodes[i].cred);
            nodes[i].cred = NULL;
        }
    }
    for (size_t i = 0; i < count; i++) {
        struct launch_node *n = &nodes[i];
        if (n->cred)
            pthread_join(th[i], NULL);
        if (!n->ok) {
            fprintf(stderr, "srun: error: Task launch for StepId=%lld.%d failed on node %s: "
                    "%s\n", (long long)job_id, step_id, n->name, n->err.text);
            rc = -1;
        }
        free(n->cred);
        json_decref(n->body);
    }
    if (rc < 0)
        fprintf(stderr, "srun: error: Application launch failed\n");
    free(nodes);
    free(th);
    return rc;
}
