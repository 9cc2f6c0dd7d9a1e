/* srun_out.c: what srun prints for a step: the tasks' output (whole lines
 * unless -u, "N: " labels with -l, padded to the widest rank as Slurm
 * does), the tasks' exits ("srun: error: n1: task 3: Exited with exit code
 * 2") and the status lines of a first Ctrl-C. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idset.h"
#include "srun_io.h"

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;   /* a closed stdout loses the output, not the step */
        p += n;
        len -= (size_t)n;
    }
}

static void out_emit(struct srun_io *io, uint32_t task, int err, const char *d, size_t n,
                     int newline)
{
    int fd = err ? STDERR_FILENO : STDOUT_FILENO;
    if (io->o.label) {
        char lab[32];
        int l = snprintf(lab, sizeof(lab), "%*u: ", io->width, task + io->o.task_offset);
        char *line = malloc((size_t)l + n + 1);
        if (!line)
            return;
        memcpy(line, lab, (size_t)l);
        memcpy(line + l, d, n);
        if (newline)
            line[l + n++] = '\n';
        write_all(fd, line, (size_t)l + n);   /* one write: lines of tasks do not mix */
        free(line);
        return;
    }
    write_all(fd, d, n);
    if (newline)
        write_all(fd, "\n", 1);
}

void out_data(struct srun_io *io, uint32_t task, int err, const unsigned char *d, size_t n)
{
    struct io_line *b = &io->lines[err][task];
    const char *p = (const char *)d, *end = p + n, *nl;
    if (io->o.unbuffered && !io->o.label) {
        write_all(err ? STDERR_FILENO : STDOUT_FILENO, d, n);
        return;
    }
    while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
        if (b->len) {   /* the start of this line came in an earlier frame */
            size_t part = (size_t)(nl - p) + 1;
            char *joined = malloc(b->len + part);
            if (joined) {
                memcpy(joined, b->buf, b->len);
                memcpy(joined + b->len, p, part);
                out_emit(io, task, err, joined, b->len + part, 0);
                free(joined);
            }
            b->len = 0;
        } else {
            out_emit(io, task, err, p, (size_t)(nl - p) + 1, 0);
        }
        p = nl + 1;
    }
    if (p == end)
        return;
    if (io->o.unbuffered) {
        out_emit(io, task, err, p, (size_t)(end - p), 0);
        return;
    }
    if (b->len + (size_t)(end - p) > b->cap) {
        size_t cap = (b->len + (size_t)(end - p)) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb)
            return;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, (size_t)(end - p));
    b->len += (size_t)(end - p);
}

void out_eof(struct srun_io *io, uint32_t task, int err)
{
    struct io_line *b = &io->lines[err][task];
    if (b->len)
        out_emit(io, task, err, b->buf, b->len, io->o.label);
    b->len = 0;
}

void out_lines_free(struct srun_io *io)
{
    for (int s = 0; s < 2; s++) {
        for (int t = 0; io->lines[s] && t < io->ntasks; t++) {
            out_eof(io, (uint32_t)t, s);
            free(io->lines[s][t].buf);
        }
        free(io->lines[s]);
        io->lines[s] = NULL;
    }
}

void out_task_exit(struct srun_io *io, uint32_t task, const unsigned char *d, size_t n)
{
    json_t *j = json_loadb((const char *)d, n, 0, NULL);
    int code = (int)json_integer_value(json_object_get(j, "exit_code"));
    int sig = (int)json_integer_value(json_object_get(j, "signal"));
    int core = json_is_true(json_object_get(j, "core")) ||
               json_integer_value(json_object_get(j, "core")) != 0;
    json_decref(j);
    if (io->exited[task])
        return;
    io->exited[task] = 1;
    io->code[task] = code;
    io->sig[task] = sig;
    if (!io->first_exit_ms)
        io->first_exit_ms = io_now_ms();
    out_eof(io, task, 0);
    out_eof(io, task, 1);
    io->core[task] = core;
    if (sig || code) {   /* said by out_exits, with the others of its node */
        io->unreported[task] = 1;
        io->nunreported++;
    }
    if ((sig || code) && io->o.kill_on_bad_exit)
        io_kill(io, NULL);
}

/* The failed exits not said yet, as Slurm says them: one line per node and
 * kind of end ("srun: error: n1: tasks 0-3: Exited with exit code 1"). */
void out_exits(struct srun_io *io)
{
    if (!io->nunreported)
        return;
    io->nunreported = 0;
    for (int i = 0; i < io->nnodes; i++) {
        struct io_node *n = &io->nodes[i];
        for (uint32_t t = n->first; t < n->first + n->count; t++) {
            idset_t *s;
            char *list;
            if (!io->unreported[t])
                continue;
            if (!(s = idset_create((uint32_t)io->ntasks + io->o.task_offset)))
                return;
            for (uint32_t u = t; u < n->first + n->count; u++) {
                if (io->unreported[u] && io->code[u] == io->code[t] &&
                    io->sig[u] == io->sig[t] && io->core[u] == io->core[t]) {
                    idset_set(s, u + io->o.task_offset);   /* the het step's rank */
                    io->unreported[u] = 0;
                }
            }
            list = idset_encode(s);
            if (io->sig[t])
                fprintf(stderr, "srun: error: %s: task%s %s: %s%s\n", n->name,
                        idset_count(s) > 1 ? "s" : "", list ? list : "?",
                        strsignal(io->sig[t]), io->core[t] ? " (core dumped)" : "");
            else
                fprintf(stderr, "srun: error: %s: task%s %s: Exited with exit code %d\n",
                        n->name, idset_count(s) > 1 ? "s" : "", list ? list : "?",
                        io->code[t]);
            free(list);
            idset_destroy(s);
        }
    }
}

/* "srun: StepId=N.S tasks 0-3: running", one line per kind. */
void out_status(struct srun_io *io)
{
    static const char *const what[] = { "running", "exited", "exited abnormally" };
    for (int k = 0; k < 3; k++) {
        idset_t *s = idset_create((uint32_t)io->ntasks);
        for (int t = 0; s && t < io->ntasks; t++) {
            int kind = !io->exited[t] ? 0 : (io->code[t] || io->sig[t]) ? 2 : 1;
            if (kind == k)
                idset_set(s, (uint32_t)t);
        }
        if (s && idset_count(s)) {
            char *list = idset_encode(s);
            fprintf(stderr, "srun: StepId=%lld.%d task%s %s: %s\n", (long long)io->job_id,
                    io->step_id, idset_count(s) > 1 ? "s" : "", list ? list : "?", what[k]);
            free(list);
        }
        idset_destroy(s);
    }
}

/* A node's stream ended before its tasks were all reported.  Returns how
 * many tasks that left without a status. */
uint32_t out_lost(struct srun_io *io, int node)
{
    uint32_t lost = 0;
    struct io_node *n = &io->nodes[node];
    idset_t *s = idset_create((uint32_t)io->ntasks);
    for (uint32_t t = n->first; s && t < n->first + n->count; t++) {
        if (!io->exited[t]) {
            io->exited[t] = 1;
            io->code[t] = 1;
            idset_set(s, t);
        }
    }
    if (s && idset_count(s)) {
        char *list = idset_encode(s);
        fprintf(stderr, "srun: error: %s: task%s %s: unknown status (the node's stream "
                "ended)\n", n->name, idset_count(s) > 1 ? "s" : "", list ? list : "?");
        free(list);
        io->lost = 1;
        lost = idset_count(s);
    }
    idset_destroy(s);
    return lost;
}
