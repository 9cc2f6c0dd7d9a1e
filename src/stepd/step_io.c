/* step_io.c: sluicestepd-step's stream to srun (doc/protocol.md, "The step
 * I/O stream"). */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include "log.h"
#include "step_impl.h"
#include "step_pty.h"
#include "step_rec.h"
#include "stepio.h"

static int io_hello(struct stepd *sd, sl_error_t *e)
{
    const struct step_rec *r = sd->r;
    json_t *ranks = json_array(), *h;
    char *text;
    int rc;

    for (uint32_t i = 0; i < r->nlocal; i++)
        json_array_append_new(ranks, json_integer(r->first_rank + i));
    h = json_pack("{s:s, s:i, s:s, s:o}", "io_key", r->io_key, "node_id", (int)r->node_id,
                  "node", r->node_name, "tasks", ranks);
    text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);
    if (!text)
        return sl_errprintf(e, "out of memory");
    rc = stepio_write(sd->io_fd, STEPIO_HELLO, STEPIO_ALL_TASKS, text, strlen(text), e);
    free(text);
    return rc;
}

int step_io_connect(struct stepd *sd, sl_error_t *e)
{
    const struct step_rec *r = sd->r;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
    char port[16];
    int rc, err = 0, one = 1;

    snprintf(port, sizeof(port), "%d", r->io_port);
    rc = getaddrinfo(r->io_host, port, &hints, &res);
    if (rc != 0)
        return sl_errprintf(e, "cannot resolve srun's address %s: %s", r->io_host,
                            gai_strerror(rc));
    sd->io_fd = -1;
    for (ai = res; ai && sd->io_fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            sd->io_fd = fd;
            break;
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (sd->io_fd < 0)
        return sl_errprintf(e, "cannot connect to srun at %s:%d: %s", r->io_host, r->io_port,
                            strerror(err));
    (void)setsockopt(sd->io_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return io_hello(sd, e);
}

int step_io_send(struct stepd *sd, uint32_t type, uint32_t task, const void *data, size_t len)
{
    sl_error_t e;
    int rc = -1;

    pthread_mutex_lock(&sd->io_lock);
    if (!sd->io_closed) {
        rc = stepio_write(sd->io_fd, type, task, data, len, &e);
        if (rc < 0) {
            log_error("step %llu.%u: the stream to srun broke: %s",
                      (unsigned long long)sd->r->job_id, sd->r->step_id, e.text);
            sd->io_closed = 1;
        }
    }
    pthread_mutex_unlock(&sd->io_lock);
    return rc;
}

void step_io_fail_node(struct stepd *sd, const char *text)
{
    json_t *ex = json_pack("{s:i, s:i, s:i}", "exit_code", 1, "signal", 0, "core", 0);
    char *exs = ex ? json_dumps(ex, JSON_COMPACT) : NULL;

    log_error("step %llu.%u: %s", (unsigned long long)sd->r->job_id, sd->r->step_id, text);
    step_io_send(sd, STEPIO_ERROR, STEPIO_ALL_TASKS, text, strlen(text));
    for (uint32_t i = 0; exs && i < sd->r->nlocal; i++) {
        struct task *t = sd->tasks ? &sd->tasks[i] : NULL;
        if (t && (t->pid || t->reported))
            continue;
        step_io_send(sd, STEPIO_TASK_EXIT, sd->r->first_rank + i, exs, strlen(exs));
        if (t)
            t->reported = 1;
    }
    free(exs);
    json_decref(ex);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* -1 with e set on a frame that breaks the protocol. */
static int io_frame(struct stepd *sd, const struct stepio_frame *f, sl_error_t *e)
{
    uint16_t rows, cols;

    switch (f->type) {
    case STEPIO_WINSIZE:
        if (step_pty_winsize_parse(f->data, f->len, &rows, &cols, e) < 0)
            return -1;
        step_pty_resize(sd, f->task, rows, cols);
        break;
    case STEPIO_STDIN:
        step_tasks_add_stdin(sd, f->task, f->data, f->len);
        break;
    case STEPIO_SIGNAL:
        if (f->len >= 4) {
            uint32_t sig = be32(f->data);
            if (sig > 0 && sig < NSIG) {
                log_debug("step %llu.%u: signal %u from srun", (unsigned long long)sd->r->job_id,
                          sd->r->step_id, sig);
                sd->signalled = 1;
                step_tasks_signal(sd, (int)sig);
            }
        }
        break;
    case STEPIO_FENCE_DONE:
        if (f->len >= 4)
            step_mpi_fence_done(sd, be32(f->data), f->task == 0, f->data + 4, f->len - 4);
        break;
    default:
        log_warn("step %llu.%u: frame of type %u from srun ignored (it goes up, not down)",
                 (unsigned long long)sd->r->job_id, sd->r->step_id, f->type);
    }
    return 0;
}

static void rbuf_reserve(struct sbytes *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more)
        cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p)
        abort();
    b->cap = cap;
}

int step_io_on_read(struct stepd *sd)
{
    struct sbytes *b = &sd->rbuf;
    size_t off = 0;
    ssize_t n;

    rbuf_reserve(b, 65536);
    n = recv(sd->io_fd, b->p + b->len, b->cap - b->len, MSG_DONTWAIT);
    if (n < 0)
        return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    if (n == 0)
        return -1;
    b->len += (size_t)n;
    for (;;) {
        struct stepio_frame f;
        size_t used;
        sl_error_t e;
        int rc = stepio_parse(b->p + off, b->len - off, &f, &used, &e);
        if (rc > 0 && io_frame(sd, &f, &e) < 0)
            rc = -1;
        if (rc < 0) {
            log_error("step %llu.%u: bad frame from srun: %s", (unsigned long long)sd->r->job_id,
                      sd->r->step_id, e.text);
            return -1;
        }
        if (rc == 0)
            break;
        off += used;
    }
    memmove(b->p, b->p + off, b->len - off);
    b->len -= off;
    return 0;
}
