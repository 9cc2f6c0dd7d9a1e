#define _GNU_SOURCE
/* power_cloud.c: the cloud plugin and the one thread that calls it.
 *
 * The event loop never waits on a provider: it queues a call, the worker
 * runs calls one at a time in queue order (a suspend queued after a resume
 * of the same node runs after it), and each result is queued back and the
 * loop woken through a pipe.  instance_lost may come from any thread of the
 * plugin and takes the same way back. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "cloud_api.h"
#include "log.h"
#include "plugin.h"
#include "power.h"

enum call_kind { CALL_RESUME, CALL_SUSPEND, CALL_DESCRIBE, CALL_LOST };

struct call {
    enum call_kind kind;
    json_t *req;            /* resume/suspend: the request; lost: {"node", "why"} */
    json_t *result;
    int rc;
    char err[CLOUD_ERR_LEN];
    struct call *next;
};

struct callq {
    struct call *head, *tail;
};

struct power_cloud {
    struct ctld *c;
    sl_plugin_handle_t *h;
    const struct cloud_ops *ops;
    void *p;                        /* the plugin's state */
    struct cloud_host host;
    char ctld_path[4096];
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct callq todo, done;        /* under lock */
    int stopping;
    int pipefd[2];
    struct event *done_ev;
};

static void q_push(struct callq *q, struct call *k)
{
    k->next = NULL;
    if (q->tail)
        q->tail->next = k;
    else
        q->head = k;
    q->tail = k;
}

static struct call *q_pop(struct callq *q)
{
    struct call *k = q->head;
    if (k && !(q->head = k->next))
        q->tail = NULL;
    return k;
}

static void call_free(struct call *k)
{
    json_decref(k->req);
    json_decref(k->result);
    free(k);
}

/* Hand a finished call to the loop (any thread). */
static void post_done(struct power_cloud *pc, struct call *k)
{
    pthread_mutex_lock(&pc->lock);
    q_push(&pc->done, k);
    pthread_mutex_unlock(&pc->lock);
    char b = 1;
    while (write(pc->pipefd[1], &b, 1) < 0 && errno == EINTR)
        ;
}

static void run_call(struct power_cloud *pc, struct call *k)
{
    k->err[0] = '\0';
    switch (k->kind) {
    case CALL_RESUME: k->rc = pc->ops->resume(pc->p, k->req, &k->result, k->err); break;
    case CALL_SUSPEND: k->rc = pc->ops->suspend(pc->p, k->req, &k->result, k->err); break;
    case CALL_DESCRIBE: k->rc = pc->ops->describe(pc->p, &k->result, k->err); break;
    case CALL_LOST: break;
    }
}

static void *worker_main(void *arg)
{
    struct power_cloud *pc = arg;
    pthread_mutex_lock(&pc->lock);
    for (;;) {
        struct call *k = q_pop(&pc->todo);
        if (!k) {
            if (pc->stopping)
                break;
            pthread_cond_wait(&pc->cond, &pc->lock);
            continue;
        }
        pthread_mutex_unlock(&pc->lock);
        run_call(pc, k);
        post_done(pc, k);
        pthread_mutex_lock(&pc->lock);
    }
    pthread_mutex_unlock(&pc->lock);
    return NULL;
}

static void deliver(struct ctld *c, struct call *k)
{
    const char *err = k->rc < 0 ? (k->err[0] ? k->err : "the plugin failed") : NULL;
    switch (k->kind) {
    case CALL_RESUME: power_resume_done(c, k->req, k->result, err); break;
    case CALL_SUSPEND: power_suspend_done(c, k->req, k->result, err); break;
    case CALL_DESCRIBE: power_describe_done(c, k->result, err); break;
    case CALL_LOST:
        power_instance_lost(c, json_string_value(json_object_get(k->req, "node")),
                            json_string_value(json_object_get(k->req, "why")));
        break;
    }
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct power_cloud *pc = arg;
    char buf[256];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    for (;;) {
        pthread_mutex_lock(&pc->lock);
        struct call *k = q_pop(&pc->done);
        pthread_mutex_unlock(&pc->lock);
        if (!k)
            break;
        deliver(pc->c, k);
        call_free(k);
    }
}

static void host_instance_lost(struct cloud_host *h, const char *node, const char *why)
{
    struct power_cloud *pc = h->ctx;
    struct call *k = calloc(1, sizeof(*k));
    if (!k)
        return;
    k->kind = CALL_LOST;
    k->req = json_pack("{s:s, s:s}", "node", node ? node : "", "why", why ? why : "lost");
    post_done(pc, k);
}

static void enqueue(struct power_cloud *pc, enum call_kind kind, json_t *req)
{
    struct call *k = calloc(1, sizeof(*k));
    if (!k) {
        json_decref(req);
        return;
    }
    k->kind = kind;
    k->req = req;
    pthread_mutex_lock(&pc->lock);
    q_push(&pc->todo, k);
    pthread_cond_signal(&pc->cond);
    pthread_mutex_unlock(&pc->lock);
}

void power_cloud_resume(struct power_cloud *pc, json_t *req) { enqueue(pc, CALL_RESUME, req); }
void power_cloud_suspend(struct power_cloud *pc, json_t *req) { enqueue(pc, CALL_SUSPEND, req); }
void power_cloud_describe(struct power_cloud *pc) { enqueue(pc, CALL_DESCRIBE, NULL); }

static int cloud_load(struct power_cloud *pc, sl_error_t *e)
{
    const conf_t *conf = pc->c->conf;
    char err[CLOUD_ERR_LEN] = "";
    if (!(pc->h = plugin_load(conf->plugin_dir, conf->cloud_type, "cloud", e)))
        return -1;
    pc->ops = plugin_ops(pc->h);
    if (pc->ops->api != CLOUD_API_ABI)
        return sl_errprintf(e, "plugin %s was built for another controller (API %u, need %u)",
                            conf->cloud_type, pc->ops->api, CLOUD_API_ABI);
    ssize_t len = readlink("/proc/self/exe", pc->ctld_path, sizeof(pc->ctld_path) - 1);
    pc->ctld_path[len > 0 ? len : 0] = '\0';
    pc->host.settings = conf_to_json(conf);
    pc->host.conf_path = pc->c->conf_path;
    pc->host.state_dir = conf->state_save_location;
    pc->host.ctld_path = pc->ctld_path;
    pc->host.instance_lost = host_instance_lost;
    pc->host.ctx = pc;
    if (!(pc->p = pc->ops->create(&pc->host, err)))
        return sl_errprintf(e, "%s: %s", conf->cloud_type, err[0] ? err : "cannot start");
    return 0;
}

struct power_cloud *power_cloud_start(struct ctld *c, sl_error_t *e)
{
    struct power_cloud *pc = calloc(1, sizeof(*pc));
    if (!pc) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    pc->c = c;
    pc->pipefd[0] = pc->pipefd[1] = -1;
    pthread_mutex_init(&pc->lock, NULL);
    pthread_cond_init(&pc->cond, NULL);
    if (cloud_load(pc, e) < 0)
        goto fail;
    if (pipe2(pc->pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
        sl_errprintf(e, "cloud worker: pipe: %s", strerror(errno));
        goto fail;
    }
    pc->done_ev = event_new(c->base, pc->pipefd[0], EV_READ | EV_PERSIST, done_cb, pc);
    event_add(pc->done_ev, NULL);
    if (pthread_create(&pc->thread, NULL, worker_main, pc) != 0) {
        sl_errprintf(e, "cloud worker: cannot start its thread");
        goto fail;
    }
    pc->started = 1;
    log_info("cloud plugin %s loaded", c->conf->cloud_type);
    return pc;
fail:
    power_cloud_stop(pc);
    return NULL;
}

/* Waits for the call in progress (a provider call is not interrupted);
 * calls still queued are dropped: after a restart, describe reconciles. */
void power_cloud_stop(struct power_cloud *pc)
{
    if (!pc)
        return;
    if (pc->started) {
        pthread_mutex_lock(&pc->lock);
        struct call *k;
        while ((k = q_pop(&pc->todo)))
            call_free(k);
        pc->stopping = 1;
        pthread_cond_signal(&pc->cond);
        pthread_mutex_unlock(&pc->lock);
        pthread_join(pc->thread, NULL);
    }
    if (pc->p)
        pc->ops->destroy(pc->p);
    struct call *k;
    while ((k = q_pop(&pc->done)))
        call_free(k);
    if (pc->done_ev)
        event_free(pc->done_ev);
    for (int i = 0; i < 2; i++)
        if (pc->pipefd[i] >= 0)
            close(pc->pipefd[i]);
    json_decref(pc->host.settings);
    plugin_unload(pc->h);
    pthread_mutex_destroy(&pc->lock);
    pthread_cond_destroy(&pc->cond);
    free(pc);
}
