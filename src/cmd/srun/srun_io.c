/* srun_io.c: srun's side of the step I/O stream (doc/protocol.md, "The step
 * I/O stream"): accept each node's stepd, check its key, route its frames,
 * forward stdin and signals, be the hub of the PMI fence, and end the step
 * when asked (-K, MPI_Abort).  The loop itself, with stdin, signals and
 * timers, is srun_io_loop.c. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobacct.h"
#include "srun_io.h"

#define IO_READ_CHUNK 65536

int64_t io_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The address the nodes reach srun at: the one its controller connection
 * goes out from (the cluster's network, loopback on a devcluster). */
static int io_listen(struct srun_io *io, sl_error_t *e)
{
    struct sockaddr_in a = { 0 };
    socklen_t len = sizeof(a);
    int fd;
    if (getsockname(client_fd(cmd_client()), (struct sockaddr *)&a, &len) < 0 ||
        a.sin_family != AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    a.sin_family = AF_INET;
    a.sin_port = 0;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &(socklen_t){ sizeof(a) }) < 0) {
        if (fd >= 0)
            close(fd);
        return sl_errprintf(e, "cannot listen for the step's I/O: %s", strerror(errno));
    }
    io->lfd = fd;
    io->port = ntohs(a.sin_port);
    inet_ntop(AF_INET, &a.sin_addr, io->host, sizeof(io->host));
    return 0;
}

static int io_layout(struct srun_io *io, const json_t *grant)
{
    json_t *names = json_object_get(grant, "node_names");
    json_t *tpn = json_object_get(grant, "tasks_per_node");
    uint32_t rank = 0;
    io->nnodes = (int)json_array_size(names);
    if (io->nnodes == 0 || json_array_size(tpn) != (size_t)io->nnodes)
        return -1;
    io->nodes = calloc((size_t)io->nnodes, sizeof(*io->nodes));
    if (!io->nodes)
        return -1;
    for (int i = 0; i < io->nnodes; i++) {
        io->nodes[i].name = json_string_value(json_array_get(names, (size_t)i));
        io->nodes[i].first = rank;
        io->nodes[i].count = (uint32_t)json_integer_value(json_array_get(tpn, (size_t)i));
        io->nodes[i].conn = -1;
        rank += io->nodes[i].count;
    }
    io->ntasks = (int)rank;
    /* labels are the heterogeneous step's ranks, padded to its widest */
    for (int w = (io->o.task_total ? (int)io->o.task_total : io->ntasks) - 1; w > 0; w /= 10)
        io->width++;
    if (!io->width)
        io->width = 1;
    return io->ntasks > 0 ? 0 : -1;
}

srun_io_t *io_create(const json_t *grant, int64_t job_id, int step_id,
                     const struct io_opts *opts, int sigfd, sl_error_t *e)
{
    struct srun_io *io = calloc(1, sizeof(*io));
    if (!io) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    io->lfd = -1;
    io->sigfd = sigfd;
    io->job_id = job_id;
    io->step_id = step_id;
    io->o = *opts;
    io->abort_status = -1;
    io->start_ms = io_now_ms();
    if (io_layout(io, grant) < 0) {
        sl_errprintf(e, "the step's grant has no usable node list");
    } else if (!(io->exited = calloc((size_t)io->ntasks, sizeof(int))) ||
               !(io->code = calloc((size_t)io->ntasks, sizeof(int))) ||
               !(io->sig = calloc((size_t)io->ntasks, sizeof(int))) ||
               !(io->core = calloc((size_t)io->ntasks, sizeof(int))) ||
               !(io->unreported = calloc((size_t)io->ntasks, 1)) ||
               !(io->lines[0] = calloc((size_t)io->ntasks, sizeof(struct io_line))) ||
               !(io->lines[1] = calloc((size_t)io->ntasks, sizeof(struct io_line)))) {
        sl_errprintf(e, "out of memory");
    } else if (stepio_make_key(io->key, e) == 0 && io_listen(io, e) == 0) {
        io->stdin_open = opts->stdin_task != -2;
        return io;
    }
    io_destroy(io);
    return NULL;
}

json_t *io_usage(const srun_io_t *io)
{
    json_t **v = calloc((size_t)io->nnodes + 1, sizeof(*v)), *sum;
    size_t n = 0;
    if (!v)
        return NULL;
    for (int i = 0; i < io->nnodes; i++) {
        if (io->nodes[i].usage)
            v[n++] = io->nodes[i].usage;
    }
    sum = jobacct_merge_json(v, n);
    free(v);
    return sum;
}

void io_destroy(srun_io_t *io)
{
    if (!io)
        return;
    out_lines_free(io);
    for (size_t i = 0; i < io->nconns; i++) {
        if (io->conns[i].fd >= 0)
            close(io->conns[i].fd);
        free(io->conns[i].buf);
    }
    if (io->lfd >= 0)
        close(io->lfd);
    free(io->conns);
    for (int i = 0; io->nodes && i < io->nnodes; i++)
        json_decref(io->nodes[i].usage);
    free(io->nodes);
    free(io->exited);
    free(io->code);
    free(io->sig);
    free(io->core);
    free(io->unreported);
    free(io->fence.blob);
    free(io);
}

const char *io_host(const srun_io_t *io) { return io->host; }
int io_port(const srun_io_t *io) { return io->port; }
const char *io_key(const srun_io_t *io) { return io->key; }

void io_send(struct srun_io *io, int node, uint32_t type, uint32_t task, const void *data,
             size_t len)
{
    int c = io->nodes[node].conn;
    sl_error_t e;
    if (c >= 0 && io->conns[c].fd >= 0 && !io->nodes[node].done)
        stepio_write(io->conns[c].fd, type, task, data, len, &e);  /* a dead one ends anyway */
}

void io_signal_all(struct srun_io *io, int sig)
{
    unsigned char b[4] = { (unsigned char)(sig >> 24), (unsigned char)(sig >> 16),
                           (unsigned char)(sig >> 8), (unsigned char)sig };
    for (int i = 0; i < io->nnodes; i++)
        io_send(io, i, STEPIO_SIGNAL, STEPIO_ALL_TASKS, b, 4);
}

void io_kill(struct srun_io *io, const char *msg)
{
    if (io->kill_sent)
        return;
    if (!io->o.quiet && msg)
        fprintf(stderr, "srun: %s\n", msg);
    else if (!io->o.quiet)
        fprintf(stderr, "srun: Terminating StepId=%lld.%d\n", (long long)io->job_id,
                io->step_id);
    io->kill_sent = 1;
    io_signal_all(io, SIGKILL);
    /* One step over several components ends as one, as Slurm's does: the
     * parent srun has the others end theirs (not back to the one it
     * came from: io->het_killed). */
    if (io->o.relay_wfd >= 0 && !io->het_killed)
        (void)hetmsg_send(io->o.relay_wfd, HETMSG_KILL,
                          io->abort_status > 0 ? (uint32_t)io->abort_status : 0, NULL, 0);
}

/* ---- the fence hub ---- */

static void fence_finish(struct srun_io *io, int ok)
{
    unsigned char *msg = malloc(4 + (ok ? io->fence.len : 0));
    uint32_t seq = io->fence.seq;
    if (msg) {
        msg[0] = (unsigned char)(seq >> 24);
        msg[1] = (unsigned char)(seq >> 16);
        msg[2] = (unsigned char)(seq >> 8);
        msg[3] = (unsigned char)seq;
        if (ok && io->fence.len)
            memcpy(msg + 4, io->fence.blob, io->fence.len);
        for (int i = 0; i < io->nnodes; i++)
            io_send(io, i, STEPIO_FENCE_DONE, ok ? 0 : 1, msg, 4 + (ok ? io->fence.len : 0));
        free(msg);
    }
    io->fence.active = 0;
    io->fence.len = 0;
    io->fence.count = 0;
    for (int i = 0; i < io->nnodes; i++)
        io->nodes[i].fenced = 0;
}

static void fence_add(struct srun_io *io, int node, const unsigned char *d, size_t n)
{
    uint32_t seq;
    if (n < 4)
        return;
    seq = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    if (io->fence.active && seq != io->fence.seq) {
        fprintf(stderr, "srun: error: %s: fence %u while fence %u is open\n",
                io->nodes[node].name, seq, io->fence.seq);
        fence_finish(io, 0);
        return;
    }
    if (io->nodes[node].fenced)
        return;
    if (!io->fence.active)
        io->fence.start_ms = io_now_ms();
    io->fence.active = 1;
    io->fence.seq = seq;
    if (io->fence.len + n - 4 > io->fence.cap) {
        size_t cap = (io->fence.len + n) * 2;
        unsigned char *nb = realloc(io->fence.blob, cap);
        if (!nb) {
            fence_finish(io, 0);
            return;
        }
        io->fence.blob = nb;
        io->fence.cap = cap;
    }
    memcpy(io->fence.blob + io->fence.len, d + 4, n - 4);
    io->fence.len += n - 4;
    io->nodes[node].fenced = 1;
    if (++io->fence.count < io->nnodes)
        return;
    if (io->o.relay_wfd < 0)
        fence_finish(io, 1);
    else if (hetmsg_send(io->o.relay_wfd, HETMSG_FENCE, seq, io->fence.blob,
                         (uint32_t)io->fence.len) < 0)
        fence_finish(io, 0);   /* a heterogeneous step: the parent joins the components */
}

void io_relay_read(struct srun_io *io)
{
    uint32_t type, seq, len;
    unsigned char *d = NULL;
    if (hetmsg_recv(io->o.relay_rfd, &type, &seq, &d, &len) < 0) {
        io->o.relay_rfd = -1;   /* the parent is gone: no fence completes */
        if (io->fence.active)
            fence_finish(io, 0);
        return;
    }
    if (type == HETMSG_KILL) {   /* another component's step ended: so does this one */
        char msg[160];
        free(d);
        if (io->kill_sent)
            return;
        if (io->abort_status < 0 && seq > 0)
            io->abort_status = (int)seq;
        io->het_killed = 1;
        snprintf(msg, sizeof(msg), "Terminating StepId=%lld.%d: another component of the "
                 "heterogeneous step ended it", (long long)io->job_id, io->step_id);
        io_kill(io, msg);
        return;
    }
    if (!io->fence.active || seq != io->fence.seq || type < HETMSG_FENCE_OK ||
        type > HETMSG_FENCE_FAIL) {
        free(d);   /* a fence that timed out here */
        return;
    }
    if (type == HETMSG_FENCE_OK) {
        free(io->fence.blob);
        io->fence.blob = d;
        io->fence.len = io->fence.cap = len;
        fence_finish(io, 1);
    } else {
        free(d);
        fence_finish(io, 0);
    }
}

void io_fence_timeout(struct srun_io *io)
{
    fprintf(stderr, "srun: error: fence %u of StepId=%lld.%d timed out waiting for nodes:",
            io->fence.seq, (long long)io->job_id, io->step_id);
    for (int i = 0; i < io->nnodes; i++)
        if (!io->nodes[i].fenced)
            fprintf(stderr, " %s", io->nodes[i].name);
    fputc('\n', stderr);
    fence_finish(io, 0);
}

/* ---- frames from the stepds ---- */

static void node_end(struct srun_io *io, int node)
{
    if (io->nodes[node].done)
        return;
    uint32_t lost = out_lost(io, node);
    io->nodes[node].done = 1;
    if (io->fence.active)
        fence_finish(io, 0);
    /* Its tasks are gone without a word (the node or its stepd died): the
     * step cannot go on, as Slurm ends a step on a node failure. */
    if (lost && !io->kill_sent) {
        if (!io->o.quiet)
            fprintf(stderr, "srun: error: Node failure on %s\n", io->nodes[node].name);
        io_kill(io, NULL);
    }
}

static int conn_hello(struct srun_io *io, struct io_conn *c, size_t ci,
                      const struct stepio_frame *f)
{
    json_t *j = json_loadb((const char *)f->data, f->len, 0, NULL);
    const char *key = json_string_value(json_object_get(j, "io_key"));
    json_int_t node = json_integer_value(json_object_get(j, "node_id"));
    int ok = key && stepio_key_equal(key, io->key) && node >= 0 && node < io->nnodes &&
             io->nodes[node].conn < 0;
    json_decref(j);
    if (!ok)
        return -1;
    c->node = (int)node;
    io->nodes[node].conn = (int)ci;
    if (io->kill_sent) {   /* killed before this node was heard from */
        unsigned char b[4] = { 0, 0, 0, SIGKILL };
        io_send(io, (int)node, STEPIO_SIGNAL, STEPIO_ALL_TASKS, b, 4);
    }
    return 0;
}

static void conn_abort(struct srun_io *io, int node, uint32_t task, const struct stepio_frame *f)
{
    json_t *j = json_loadb((const char *)f->data, f->len, 0, NULL);
    int status = (int)json_integer_value(json_object_get(j, "status"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (task == STEPIO_ALL_TASKS)   /* the stepd does not say which task */
        fprintf(stderr, "srun: error: %s: a task aborted the step with status %d%s%s\n",
                io->nodes[node].name, status, msg && *msg ? ": " : "", msg ? msg : "");
    else
        fprintf(stderr, "srun: error: %s: task %u: aborted the step with status %d%s%s\n",
                io->nodes[node].name, task + io->o.task_offset, status, msg && *msg ? ": " : "", msg ? msg : "");
    json_decref(j);
    if (io->abort_status < 0)
        io->abort_status = status;
    io_kill(io, NULL);
}

static int conn_frame(struct srun_io *io, struct io_conn *c, size_t ci,
                      const struct stepio_frame *f)
{
    int node = c->node;
    if (node < 0)
        return f->type == STEPIO_HELLO ? conn_hello(io, c, ci, f) : -1;
    struct io_node *n = &io->nodes[node];
    int mine = f->task >= n->first && f->task < n->first + n->count;
    switch (f->type) {
    case STEPIO_STDOUT:
    case STEPIO_STDERR:
        if (!mine)
            break;
        if (f->len)
            out_data(io, f->task, f->type == STEPIO_STDERR, f->data, f->len);
        else
            out_eof(io, f->task, f->type == STEPIO_STDERR);
        break;
    case STEPIO_TASK_EXIT:
        if (mine)
            out_task_exit(io, f->task, f->data, f->len);
        break;
    case STEPIO_FENCE:
        fence_add(io, node, f->data, f->len);
        break;
    case STEPIO_ABORT:
        conn_abort(io, node, f->task, f);
        break;
    case STEPIO_NODE_DONE:
        if (f->len && !n->usage)
            n->usage = json_loadb((const char *)f->data, f->len, 0, NULL);
        node_end(io, node);   /* reports any task it left unreported */
        return 1;
    case STEPIO_ERROR:
        if (f->task == STEPIO_ALL_TASKS)
            fprintf(stderr, "srun: error: %s: %.*s\n", n->name, (int)f->len, f->data);
        else
            fprintf(stderr, "srun: error: %s: task %u: %.*s\n", n->name,
                    f->task + io->o.task_offset,
                    (int)f->len, f->data);
        break;
    default:
        break;
    }
    return 0;
}

static void conn_close(struct srun_io *io, size_t ci)
{
    struct io_conn *c = &io->conns[ci];
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->node >= 0)
        node_end(io, c->node);
}

void io_conn_read(struct srun_io *io, size_t ci)
{
    struct io_conn *c = &io->conns[ci];
    ssize_t n;
    size_t off = 0;
    if (c->cap - c->len < IO_READ_CHUNK) {
        unsigned char *nb = realloc(c->buf, c->cap + IO_READ_CHUNK);
        if (!nb) {
            conn_close(io, ci);
            return;
        }
        c->buf = nb;
        c->cap += IO_READ_CHUNK;
    }
    n = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        conn_close(io, ci);
        return;
    }
    c->len += (size_t)n;
    for (;;) {
        struct stepio_frame f;
        size_t used;
        sl_error_t e;
        int rc = stepio_parse(c->buf + off, c->len - off, &f, &used, &e);
        if (rc == 0)
            break;
        if (rc < 0 || (rc = conn_frame(io, c, ci, &f)) < 0) {
            conn_close(io, ci);
            return;
        }
        off += used;
        if (rc == 1) {   /* NODE_DONE: the stepd closes after it */
            close(c->fd);
            c->fd = -1;
            return;
        }
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

void io_accept(struct srun_io *io)
{
    int fd = accept4(io->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (io->nconns == io->capconns) {
        size_t cap = io->capconns ? io->capconns * 2 : 16;
        struct io_conn *nc = realloc(io->conns, cap * sizeof(*nc));
        if (!nc) {
            close(fd);
            return;
        }
        io->conns = nc;
        io->capconns = cap;
    }
    io->conns[io->nconns++] = (struct io_conn){ fd, -1, NULL, 0, 0 };
}
