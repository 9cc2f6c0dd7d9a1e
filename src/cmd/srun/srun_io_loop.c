/* srun_io_loop.c: the poll loop of a step's I/O stream: the stepds'
 * connections, srun's stdin, its signals (Slurm's Ctrl-C: the first prints
 * the tasks' status, a second within a second ends the step) and the
 * timers (stepds that never connect, -W, a step that will not die). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "srun_io.h"

#define IO_CONNECT_MS 120000   /* launched stepds connect within this */
#define IO_KILL_MS 60000       /* after SIGKILL, nodes report within this */
#define IO_FENCE_MS 600000     /* every node joins a fence within this (MPI_Init of
                                  a large step on a loaded machine is slow) */

static int node_of_rank(const struct srun_io *io, int rank)
{
    for (int i = 0; i < io->nnodes; i++)
        if ((uint32_t)rank >= io->nodes[i].first &&
            (uint32_t)rank < io->nodes[i].first + io->nodes[i].count)
            return i;
    return -1;
}

static int stdin_ready(const struct srun_io *io)
{
    int t = io->o.stdin_task, node;
    if (!io->stdin_open)
        return 0;
    if (t >= 0)
        return (node = node_of_rank(io, t)) >= 0 && io->nodes[node].conn >= 0;
    for (int i = 0; i < io->nnodes; i++)
        if (io->nodes[i].conn < 0 && !io->nodes[i].done)
            return 0;
    return 1;
}

static void loop_stdin(struct srun_io *io)
{
    static char buf[65536];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    int t = io->o.stdin_task;
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {   /* end of file (or an unreadable stdin): the tasks see EOF */
        n = 0;
        io->stdin_open = 0;
    }
    if (t >= 0)
        io_send(io, node_of_rank(io, t), STEPIO_STDIN, (uint32_t)t, buf, (size_t)n);
    else
        for (int i = 0; i < io->nnodes; i++)
            io_send(io, i, STEPIO_STDIN, STEPIO_ALL_TASKS, buf, (size_t)n);
}

static void loop_intr(struct srun_io *io)
{
    int64_t now = io_now_ms();
    if (io->kill_sent) {
        if (!io->o.quiet)
            fprintf(stderr, "srun: job abort in progress\n");
        io_signal_all(io, SIGKILL);
        return;
    }
    if (!io->last_intr_ms || now - io->last_intr_ms > 1000) {
        if (!io->o.quiet) {
            fprintf(stderr, "srun: interrupt (one more within 1 sec to abort)\n");
            out_status(io);
        }
        io->last_intr_ms = now;
        return;
    }
    if (!io->o.quiet)
        fprintf(stderr, "srun: sending Ctrl-C to StepId=%lld.%d\n", (long long)io->job_id,
                io->step_id);
    io_signal_all(io, SIGINT);
    io->cancelled = 1;
    io_kill(io, "forcing job termination");
}

static void loop_signals(struct srun_io *io)
{
    struct signalfd_siginfo si;
    while (read(io->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int s = (int)si.ssi_signo;
        if (s == SIGCHLD)
            continue;
        if (s == SIGINT) {
            loop_intr(io);
            continue;
        }
        if (s == SIGTERM || s == SIGHUP || s == SIGQUIT)
            io->cancelled = 1;   /* srun was told to end: so is the step */
        io_signal_all(io, s);
    }
}

/* --pty: srun's window changed: task 0's pty follows. */
static void loop_winch(struct srun_io *io, int winfd)
{
    struct signalfd_siginfo si;
    unsigned char ws[4];
    uint16_t rows, cols;
    int got = 0;

    while (read(winfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        got = 1;
    if (!got || !pty_winsize(&rows, &cols))
        return;
    pty_winsize_encode(ws, rows, cols);
    io_send(io, node_of_rank(io, 0), STEPIO_WINSIZE, 0, ws, sizeof(ws));
}

/* The next timer's due time (0: none) and what is due now. */
static int64_t loop_timers(struct srun_io *io, int64_t now)
{
    int64_t next = 0;
    int waiting = 0;
    for (int i = 0; i < io->nnodes; i++)
        waiting |= io->nodes[i].conn < 0 && !io->nodes[i].done;
    if (waiting && now >= io->start_ms + IO_CONNECT_MS) {
        for (int i = 0; i < io->nnodes; i++) {
            if (io->nodes[i].conn < 0 && !io->nodes[i].done) {
                fprintf(stderr, "srun: error: %s: the step's stepd did not connect within "
                        "%d s\n", io->nodes[i].name, IO_CONNECT_MS / 1000);
                io->nodes[i].done = 1;
                out_lost(io, i);
            }
        }
        io_kill(io, NULL);
    } else if (waiting) {
        next = io->start_ms + IO_CONNECT_MS;
    }
    if (io->o.wait_secs > 0 && io->first_exit_ms && !io->kill_sent) {
        int64_t due = io->first_exit_ms + (int64_t)io->o.wait_secs * 1000;
        if (now >= due) {
            if (!io->o.quiet) {
                fprintf(stderr, "srun: First task exited %ds ago\n", io->o.wait_secs);
                out_status(io);
            }
            io_kill(io, NULL);
        } else if (!next || due < next) {
            next = due;
        }
    }
    if (io->fence.active) {
        int64_t due = io->fence.start_ms + IO_FENCE_MS;
        if (now >= due)
            io_fence_timeout(io);
        else if (!next || due < next)
            next = due;
    }
    if (io->kill_sent) {
        if (!io->kill_ms)
            io->kill_ms = now;
        if (now >= io->kill_ms + IO_KILL_MS) {
            for (int i = 0; i < io->nnodes; i++) {
                if (!io->nodes[i].done) {
                    io->nodes[i].done = 1;
                    out_lost(io, i);
                }
            }
        } else if (!next || io->kill_ms + IO_KILL_MS < next) {
            next = io->kill_ms + IO_KILL_MS;
        }
    }
    return next;
}

static int loop_done(const struct srun_io *io)
{
    for (int i = 0; i < io->nnodes; i++)
        if (!io->nodes[i].done)
            return 0;
    return 1;
}

static void loop_result(struct srun_io *io, struct io_result *r)
{
    memset(r, 0, sizeof(*r));
    for (int t = 0; t < io->ntasks; t++) {
        int status = io->sig[t] ? 128 + io->sig[t] : io->code[t];
        if (io->code[t] > r->max_code)
            r->max_code = io->code[t];
        if (io->sig[t] && !r->signal)
            r->signal = io->sig[t];
        if (status > r->exit_code)
            r->exit_code = status;
    }
    /* An abort's status is the step's: the signals that follow are ours. */
    if (io->abort_status > 0) {
        r->exit_code = r->max_code = io->abort_status;
        r->signal = 0;
    }
    r->cancelled = io->cancelled;
    r->lost = io->lost;
    if (r->lost && !r->exit_code)
        r->exit_code = 1;
}

void io_run(srun_io_t *io, struct io_result *r)
{
    struct pollfd *p = NULL;
    size_t cap = 0;
    int winfd = io->o.pty ? pty_winch_fd() : -1;
    if (io->o.pty)
        pty_raw_begin();
    while (!loop_done(io)) {
        int64_t now = io_now_ms(), next = loop_timers(io, now);
        size_t n = 0, need = 5 + io->nconns;
        int in = stdin_ready(io);
        if (loop_done(io))
            break;
        if (need > cap) {
            struct pollfd *np = realloc(p, need * sizeof(*p));
            if (!np)
                break;
            p = np;
            cap = need;
        }
        p[n++] = (struct pollfd){ io->lfd, POLLIN, 0 };
        p[n++] = (struct pollfd){ io->sigfd, POLLIN, 0 };
        p[n++] = (struct pollfd){ in ? STDIN_FILENO : -1, POLLIN, 0 };
        p[n++] = (struct pollfd){ winfd, POLLIN, 0 };
        p[n++] = (struct pollfd){ io->o.relay_rfd, POLLIN, 0 };
        for (size_t i = 0; i < io->nconns; i++)
            p[n++] = (struct pollfd){ io->conns[i].fd, POLLIN, 0 };
        int rc = poll(p, n, next ? (int)(next - now > 0 ? next - now : 0) : -1);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        if (p[1].revents)
            loop_signals(io);
        if (p[0].revents)
            io_accept(io);
        if (p[3].revents)   /* before stdin: input typed after a resize sees it */
            loop_winch(io, winfd);
        if (p[2].revents)
            loop_stdin(io);
        if (p[4].revents)
            io_relay_read(io);
        for (size_t i = 0; i + 5 < n; i++)
            if (p[i + 5].revents && io->conns[i].fd >= 0)
                io_conn_read(io, i);
        out_exits(io);   /* the exits that came together, one line per node */
    }
    out_exits(io);
    if (io->o.pty)
        pty_raw_end();
    if (winfd >= 0)
        close(winfd);
    free(p);
    out_lines_free(io);
    loop_result(io, r);
}
