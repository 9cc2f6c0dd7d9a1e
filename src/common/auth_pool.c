#define _GNU_SOURCE
#include "auth_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

struct check {
    char *cred;
    auth_pool_done_fn done;
    void *arg;
    int ok;
    uid_t uid;
    gid_t gid;
    char why[256];
    struct check *next;
};

struct checkq {
    struct check *head, *tail;
};

struct sl_auth_pool {
    sl_auth_t *auth;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct checkq todo, done;   /* under lock */
    int stopping;
    int pipefd[2];              /* a byte per finished check wakes the loop */
    struct event *done_ev;
};

static void q_push(struct checkq *q, struct check *k)
{
    k->next = NULL;
    if (q->tail)
        q->tail->next = k;
    else
        q->head = k;
    q->tail = k;
}

static struct check *q_pop(struct checkq *q)
{
    struct check *k = q->head;
    if (k && !(q->head = k->next))
        q->tail = NULL;
    return k;
}

static void check_run(sl_auth_pool_t *p, struct check *k)
{
    sl_error_t e;
    e.text[0] = '\0';
    k->ok = auth_cred_verify(p->auth, k->cred, &k->uid, &k->gid, &e) == 0;
    if (!k->ok)
        snprintf(k->why, sizeof(k->why), "%s", e.text);
}

static void *pool_thread(void *arg)
{
    sl_auth_pool_t *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct check *k = q_pop(&p->todo);
        if (!k) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        pthread_mutex_unlock(&p->lock);
        check_run(p, k);
        pthread_mutex_lock(&p->lock);
        q_push(&p->done, k);
        char b = 1;
        while (write(p->pipefd[1], &b, 1) < 0 && errno == EINTR)
            ;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void check_free(struct check *k)
{
    free(k->cred);
    free(k);
}

/* Results in the order they finished; the pipe's bytes only wake us. */
static void pool_done_cb(evutil_socket_t fd, short what, void *arg)
{
    sl_auth_pool_t *p = arg;
    char sink[256];
    while (read(fd, sink, sizeof(sink)) > 0)
        ;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct check *k = q_pop(&p->done);
        pthread_mutex_unlock(&p->lock);
        if (!k)
            break;
        k->done(k->arg, 0, k->ok, k->uid, k->gid, k->why);
        check_free(k);
    }
}

static void pool_stop_threads(sl_auth_pool_t *p, int started)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

static void pool_free(sl_auth_pool_t *p)
{
    if (p->done_ev)
        event_free(p->done_ev);
    for (int i = 0; i < 2; i++) {
        if (p->pipefd[i] >= 0)
            close(p->pipefd[i]);
    }
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

sl_auth_pool_t *auth_pool_create(struct event_base *base, sl_auth_t *auth, int threads,
                                 sl_error_t *e)
{
    sl_auth_pool_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->threads = calloc((size_t)threads, sizeof(pthread_t)))) {
        free(p);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    p->auth = auth;
    p->pipefd[0] = p->pipefd[1] = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pipe2(p->pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
        sl_errprintf(e, "credential checks: pipe: %s", strerror(errno));
        pool_free(p);
        return NULL;
    }
    p->done_ev = event_new(base, p->pipefd[0], EV_READ | EV_PERSIST, pool_done_cb, p);
    if (!p->done_ev || event_add(p->done_ev, NULL) < 0) {
        sl_errprintf(e, "credential checks: cannot watch the pipe");
        pool_free(p);
        return NULL;
    }
    for (; p->nthreads < threads; p->nthreads++) {
        int rc = pthread_create(&p->threads[p->nthreads], NULL, pool_thread, p);
        if (rc != 0) {
            sl_errprintf(e, "credential checks: cannot start a thread: %s", strerror(rc));
            pool_stop_threads(p, p->nthreads);
            pool_free(p);
            return NULL;
        }
    }
    return p;
}

static void cancel_all(struct checkq *q)
{
    struct check *k;
    while ((k = q_pop(q))) {
        k->done(k->arg, 1, 0, (uid_t)-1, (gid_t)-1, "cancelled");
        check_free(k);
    }
}

void auth_pool_destroy(sl_auth_pool_t *p)
{
    if (!p)
        return;
    pool_stop_threads(p, p->nthreads);
    /* The threads are gone: the queues are ours alone. */
    cancel_all(&p->todo);
    cancel_all(&p->done);
    pool_free(p);
}

int auth_pool_submit(sl_auth_pool_t *p, const char *cred, auth_pool_done_fn done, void *arg,
                     sl_error_t *e)
{
    struct check *k = calloc(1, sizeof(*k));
    if (!k || !(k->cred = strdup(cred))) {
        free(k);
        return sl_errprintf(e, "out of memory");
    }
    k->done = done;
    k->arg = arg;
    pthread_mutex_lock(&p->lock);
    q_push(&p->todo, k);
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
