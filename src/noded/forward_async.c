/* forward_async.c: see forward_async.h (the launch tree's, shared). */
#define _GNU_SOURCE
#include "forward_async.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <event2/event.h>

/* A forward in flight: its sends run in a thread, which writes a byte to
 * the pipe when they are all answered; the event loop then answers. */
struct forward_pending {
    sl_conn_t *conn;
    uint64_t id;
    json_t *fwd;             /* the request's forward: the sends point into it */
    struct fanout_send *sends;
    size_t count;
    json_t *failed;          /* this node's own failure, then the children's */
    json_t *children;        /* the thread's */
    const char *code;
    forward_answer_fn answer;
    int pipe[2];
    pthread_t th;
    int threaded;
};

static void *pending_run(void *arg)
{
    struct forward_pending *p = arg;
    fanout_run_all(p->sends, p->count, p->children);
    while (write(p->pipe[1], "x", 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void pending_done(evutil_socket_t fd, short what, void *arg)
{
    struct forward_pending *p = arg;
    (void)fd, (void)what;
    if (p->threaded)
        pthread_join(p->th, NULL);
    json_array_extend(p->failed, p->children);
    p->answer(p->conn, p->id, p->failed, p->code);
    conn_release(p->conn);
    close(p->pipe[0]);
    close(p->pipe[1]);
    fanout_plan_free(p->sends, p->count);
    json_decref(p->failed);
    json_decref(p->children);
    json_decref(p->fwd);
    free(p);
}

/* Run the sends off the event loop, so that this daemon goes on serving
 * while its children answer; failing that, in the loop (slower, never
 * lost). */
void forward_async(struct event_base *base, sl_conn_t *conn, uint64_t id, json_t *fwd,
                   struct fanout_send *sends, size_t count, json_t *failed, const char *code,
                   forward_answer_fn answer)
{
    struct forward_pending *p = calloc(1, sizeof(*p));

    if (p && pipe2(p->pipe, O_CLOEXEC) == 0) {
        p->conn = conn_hold(conn);
        p->id = id;
        p->fwd = json_incref(fwd);
        p->sends = sends;
        p->count = count;
        p->failed = failed;
        p->children = json_array();
        p->code = code;
        p->answer = answer;
        if (base && event_base_once(base, p->pipe[0], EV_READ, pending_done, p, NULL) == 0) {
            if (pthread_create(&p->th, NULL, pending_run, p) == 0) {
                p->threaded = 1;
                return;
            }
            /* The callback is armed but no thread runs: run here; the loop
             * answers (the byte is in the pipe). */
            pending_run(p);
            return;
        }
        conn_release(p->conn);
        close(p->pipe[0]);
        close(p->pipe[1]);
        json_decref(p->children);
        json_decref(p->fwd);
    }
    free(p);
    fanout_run_all(sends, count, failed);
    answer(conn, id, failed, code);
    fanout_plan_free(sends, count);
    json_decref(failed);
}

