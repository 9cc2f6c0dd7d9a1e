/* step_tasks.c: a step's tasks on this node: fork and exec each with its
 * files or pipes, carry their output up the stream, stdin down, and report
 * each one's exit once its output is drained. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "rlimits.h"
#include "bind.h"
#include "taskenv.h"
#include "launch.h"
#include "log.h"
#include "outpath.h"
#include "step_env.h"
#include "step_impl.h"
#include "step_multiprog.h"
#include "step_pty.h"
#include "step_rec.h"
#include "stepio.h"
#include "usage.h"

#define OUT_FLUSH_AT 65536   /* a line longer than this goes up in pieces */

/* Files opened for several tasks (a pattern without %t) are opened once
 * and shared, so that one task's output does not truncate another's. */
struct openfile {
    char *path;
    int fd;
};

struct task_setup {
    struct openfile files[64];
    size_t nfiles;
};

static void sbytes_add(struct sbytes *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void sbytes_drop(struct sbytes *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void sbytes_free(struct sbytes *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static void fd_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* outpath's view of one task of this step. */
static char *task_path(const struct stepd *sd, const struct task *t, const char *pattern)
{
    const struct step_rec *r = sd->r;
    struct launch l = {
        .job_id = r->job_id, .name = r->job_name, .user = r->user, .cwd = r->cwd,
        .node_name = r->node_name, .node_index = r->node_id, .array_task_id = -1,
        .step_id = r->step_id, .task_id = t->rank,
    };
    return outpath_expand(&l, pattern);
}

static int setup_open(struct task_setup *ts, const char *path, int flags, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < ts->nfiles; i++) {
        if (!strcmp(ts->files[i].path, path))
            return ts->files[i].fd;
    }
    int fd = open(path, flags | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "could not open %s: %s", path, strerror(errno));
        return -1;
    }
    if (ts->nfiles < sizeof(ts->files) / sizeof(ts->files[0])) {
        ts->files[ts->nfiles].path = strdup(path);
        ts->files[ts->nfiles++].fd = fd;
    }
    return fd;
}

static void setup_close(struct task_setup *ts)
{
    for (size_t i = 0; i < ts->nfiles; i++) {
        free(ts->files[i].path);
        close(ts->files[i].fd);
    }
    ts->nfiles = 0;
}

/* A file opened for one task only is closed once it is forked. */
static int setup_owned(const struct task_setup *ts, int fd)
{
    for (size_t i = 0; i < ts->nfiles; i++) {
        if (ts->files[i].fd == fd)
            return 0;
    }
    return 1;
}

static int pipe_pair(int p[2], int parent_end_nonblock, char *err, size_t errlen)
{
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    if (parent_end_nonblock >= 0)
        (void)fcntl(p[parent_end_nonblock], F_SETFL, O_NONBLOCK);
    return 0;
}

/* srun --pty's task 0: the slave as its three standard files, the master
 * for both directions here (in_fd a dup, so that stdin's end does not end
 * the output).  Other tasks keep their pipes, as in Slurm. */
static int task_pty_files(struct task *t, uint16_t rows, uint16_t cols, int fds[3], char *err,
                          size_t errlen)
{
    int m, s;

    if (step_pty_open(rows, cols, &m, &s, err, errlen) < 0)
        return -1;
    t->in_fd = fcntl(m, F_DUPFD_CLOEXEC, 0);
    if (t->in_fd < 0) {
        snprintf(err, errlen, "cannot duplicate the pty's master: %s", strerror(errno));
        close(m);
        close(s);
        return -1;
    }
    t->out_fd = m;
    t->pty = 1;
    fds[1] = fds[2] = s;
    fds[0] = fcntl(s, F_DUPFD_CLOEXEC, 0);
    if (fds[0] < 0) {
        snprintf(err, errlen, "cannot duplicate the pty's slave: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The task's standard files: fds[0..2] for the child, the parent's ends
 * in the task. */
static int task_files(struct stepd *sd, struct task *t, struct task_setup *ts, int fds[3],
                      char *err, size_t errlen)
{
    const struct step_rec *r = sd->r;
    int p[2];
    char *path;
    uint16_t rows, cols;

    if (t->rank == 0 && step_pty_wanted(r, &rows, &cols))
        return task_pty_files(t, rows, cols, fds, err, errlen);
    if (r->stdin_pat) {
        path = task_path(sd, t, r->stdin_pat);
        fds[0] = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fds[0] < 0)
            snprintf(err, errlen, "could not open input file %s: %s", path, strerror(errno));
        free(path);
        if (fds[0] < 0)
            return -1;
    } else if (r->stdin_task == STEP_STDIN_ALL || r->stdin_task == (int64_t)t->rank) {
        if (pipe_pair(p, 1, err, errlen) < 0)
            return -1;
        fds[0] = p[0];
        t->in_fd = p[1];
    } else {
        fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (r->stdout_pat) {
        path = task_path(sd, t, r->stdout_pat);
        fds[1] = setup_open(ts, path, O_WRONLY | O_CREAT | O_TRUNC, err, errlen);
        free(path);
        if (fds[1] < 0)
            return -1;
    } else {
        if (pipe_pair(p, 0, err, errlen) < 0)
            return -1;
        fds[1] = p[1];
        t->out_fd = p[0];
    }
    if (r->stderr_pat) {
        path = task_path(sd, t, r->stderr_pat);
        fds[2] = setup_open(ts, path, O_WRONLY | O_CREAT | O_TRUNC, err, errlen);
        free(path);
        if (fds[2] < 0)
            return -1;
    } else if (r->stdout_pat) {
        fds[2] = fds[1];   /* -o without -e: both to the file, as Slurm does */
    } else {
        if (pipe_pair(p, 0, err, errlen) < 0)
            return -1;
        fds[2] = p[1];
        t->err_fd = p[0];
    }
    return 0;
}

/* argv[0] through the task's PATH (execve does not search). */
static char *resolve_prog(const char *prog, char *const *env, const char *cwd)
{
    const char *path = step_env_get(env, "PATH");
    char buf[PATH_MAX];

    if (strchr(prog, '/') || !path)
        return strdup(prog);
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        int dlen = (int)(end - p);
        struct stat sb;
        if (dlen == 0)
            snprintf(buf, sizeof(buf), "%s/%s", cwd, prog);
        else if (*p != '/')
            snprintf(buf, sizeof(buf), "%s/%.*s/%s", cwd, dlen, p, prog);
        else
            snprintf(buf, sizeof(buf), "%.*s/%s", dlen, p, prog);
        if (access(buf, X_OK) == 0 && stat(buf, &sb) == 0 && S_ISREG(sb.st_mode))
            return strdup(buf);
        if (!*end)
            break;
        p = end;
    }
    return strdup(prog);
}

/* In the child: only system calls and stack buffers from here on (the
 * MPI plugin's threads may hold locks that the fork copied). */
static __attribute__((noreturn)) void task_exec(const struct stepd *sd, const char *prog,
                                                char **argv, char **env, const int fds[3],
                                                int rep, int pty, const struct bind_prep *b)
{
    sigset_t none;
    char msg[512];
    int n, err;

    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* On a pty: a session of its own with the pty as its controlling
     * terminal (job control, ^C from the terminal, SIGWINCH). */
    if (!pty) {
        (void)setpgid(0, 0);
    } else if (setsid() < 0) {
        n = snprintf(msg, sizeof(msg), "setsid: %s", strerror(errno));
        (void)!write(rep, msg, (size_t)n);
        _exit(1);
    }
    if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0 ||
        (pty && ioctl(0, TIOCSCTTY, 0) < 0)) {
        n = snprintf(msg, sizeof(msg), "could not set up standard files: %s", strerror(errno));
        (void)!write(rep, msg, (size_t)n);
        _exit(1);
    }
    /* The task's CPUs (task/affinity); the stepd joined the cgroups. */
    if (bind_child(b, msg, sizeof(msg)) < 0) {
        (void)!write(rep, msg, strlen(msg));
        _exit(1);
    }
    bind_child_verbose(b);
    if (chdir(sd->r->cwd) < 0) {
        n = snprintf(msg, sizeof(msg), "slurmstepd: error: couldn't chdir to `%s': %s: going "
                     "to /tmp instead\n", sd->r->cwd, strerror(errno));
        (void)!write(2, msg, (size_t)n);
        (void)!chdir("/tmp");
    }
    taskenv_fill_pid(env);
    taskenv_apply_umask(env);
    execve(prog, argv, env);
    err = errno;
    n = snprintf(msg, sizeof(msg), "execve(): %s: %s", argv[0], strerror(err));
    (void)!write(rep, msg, (size_t)(n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1));
    _exit(err > 0 && err < 256 ? err : 1);
}

/* A task that could not be set up: ERROR and its exit, as if it ran. */
static void task_fail(struct stepd *sd, struct task *t, const char *text)
{
    static const char ex[] = "{\"exit_code\":1,\"signal\":0,\"core\":0}";

    log_error("step %llu.%u: task %u: %s", (unsigned long long)sd->r->job_id, sd->r->step_id,
              t->rank, text);
    step_io_send(sd, STEPIO_ERROR, t->rank, text, strlen(text));
    step_io_send(sd, STEPIO_TASK_EXIT, t->rank, ex, sizeof(ex) - 1);
    fd_close(&t->out_fd);
    fd_close(&t->err_fd);
    fd_close(&t->in_fd);
    t->exited = t->reported = 1;
}

static char **task_argv(struct stepd *sd, struct task *t, char *err, size_t errlen)
{
    const struct step_rec *r = sd->r;
    sl_error_t e;
    char **argv;

    if (r->multi_prog) {
        /* a heterogeneous step's file names the step's ranks (SLURM_PROCID) */
        argv = multiprog_argv(r->multi_prog, r->het_offset + t->rank, &e);
        if (!argv)
            snprintf(err, errlen, "%s", e.text);
        return argv;
    }
    size_t n = json_array_size(r->argv);
    argv = calloc(n + 1, sizeof(*argv));
    if (!argv)
        abort();
    for (size_t i = 0; i < n; i++) {
        argv[i] = strdup(json_string_value(json_array_get(r->argv, i)));
        if (!argv[i])
            abort();
    }
    return argv;
}

static int task_start(struct stepd *sd, struct task *t, struct task_setup *ts)
{
    int fds[3] = { -1, -1, -1 }, rep[2] = { -1, -1 };
    char err[512] = "", **argv = NULL, **env = NULL, **extra = NULL, *prog = NULL;
    char who[64];
    struct bind_prep b;
    sl_error_t e;

    snprintf(who, sizeof(who), "step %llu.%u task %u", (unsigned long long)sd->r->job_id,
             sd->r->step_id, t->rank);
    bind_prepare(sd->r->root, t->local, t->rank, sd->r->node_name, who, &b);
    bind_free(&b);      /* only the mask: the stepd is in the cgroups already */
    b.nprocs = 0;

    argv = task_argv(sd, t, err, sizeof(err));
    if (argv) {
        extra = step_mpi_task_env(sd, t->local, &e);
        if (!extra)
            snprintf(err, sizeof(err), "%s", e.text);
    }
    if (argv && extra) {
        struct rlimits rl;
        env = step_env_build(sd->r, t->local, extra);
        rlimits_take(env, &rl);
        prog = resolve_prog(argv[0], env, sd->r->cwd);
        if (task_files(sd, t, ts, fds, err, sizeof(err)) == 0 &&
            pipe_pair(rep, -1, err, sizeof(err)) == 0) {
            t->pid = fork();
            if (t->pid == 0) {
                rlimits_apply(&rl);
                task_exec(sd, prog, argv, env, fds, rep[1], t->pty, &b);
            }
            if (t->pid < 0) {
                snprintf(err, sizeof(err), "cannot fork: %s", strerror(errno));
                t->pid = 0;
            }
        }
    }
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0 && setup_owned(ts, fds[i]) && (i < 2 || fds[2] != fds[1]))
            close(fds[i]);
    }
    fd_close(&rep[1]);
    t->rep_fd = rep[0];
    if (!t->pid) {
        fd_close(&t->rep_fd);
        task_fail(sd, t, err[0] ? err : "could not start the task");
    }
    multiprog_free(argv);
    step_env_free(extra);
    step_env_free(env);
    free(prog);
    return t->pid ? 0 : -1;
}

int step_tasks_start(struct stepd *sd)
{
    struct task_setup ts = { .nfiles = 0 };
    int started = 0;

    sd->tasks = calloc(sd->r->nlocal ? sd->r->nlocal : 1, sizeof(*sd->tasks));
    if (!sd->tasks)
        abort();
    for (uint32_t i = 0; i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        t->local = i;
        t->rank = sd->r->first_rank + i;
        t->out_fd = t->err_fd = t->in_fd = t->rep_fd = -1;
    }
    for (uint32_t i = 0; i < sd->r->nlocal; i++)
        started += task_start(sd, &sd->tasks[i], &ts) == 0;
    setup_close(&ts);
    log_info("step %llu.%u: %d of %u tasks started as user %s", (unsigned long long)sd->r->job_id,
             sd->r->step_id, started, sd->r->nlocal, sd->r->user);
    return started;
}

void step_tasks_signal(struct stepd *sd, int sig)
{
    for (uint32_t i = 0; sd->tasks && i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        if (t->pid && !t->exited && kill(-t->pid, sig) < 0 && errno == ESRCH)
            (void)kill(t->pid, sig);
    }
}

/* An MPI rank killed by a signal leaves its peers waiting for it for ever
 * (in a fence, a barrier): the whole step ends, with 128 + the signal, as
 * after MPI_Abort.  Not when the signal came from srun or sluiced, nor once
 * the step is ending anyway. */
static void task_killed_abort(struct stepd *sd, const struct task *t)
{
    char js[160];
    int n, sig;

    if (!sd->mpi || !WIFSIGNALED(t->wait_status) || sd->signalled || sd->aborted ||
        sd->phase != SP_RUNNING)
        return;
    sig = WTERMSIG(t->wait_status);
    n = snprintf(js, sizeof(js), "{\"status\":%d,\"message\":\"task %u was killed by signal "
                 "%d\"}", 128 + sig, t->rank, sig);
    log_info("step %llu.%u: task %u was killed by signal %d: ending the step",
             (unsigned long long)sd->r->job_id, sd->r->step_id, t->rank, sig);
    step_io_send(sd, STEPIO_ABORT, t->rank, js, (size_t)n);
    sd->aborted = 1;
}

void step_tasks_reap(struct stepd *sd)
{
    int ws;
    pid_t pid;
    struct rusage ru;

    while ((pid = wait4(-1, &ws, WNOHANG, &ru)) > 0) {
        for (uint32_t i = 0; i < sd->r->nlocal; i++) {
            struct task *t = &sd->tasks[i];
            if (t->pid != pid || t->exited)
                continue;
            t->exited = 1;
            t->wait_status = ws;
            if (sd->usage)
                usage_task_reaped(sd->usage, i, &ru);
            fd_close(&t->in_fd);
            step_mpi_task_exited(sd, t->local, ws);
            task_killed_abort(sd, t);
        }
    }
}

/* Send what b holds up to its last newline (everything when all). */
static void out_flush(struct stepd *sd, struct task *t, struct sbytes *b, uint32_t type,
                      int all)
{
    size_t n = b->len;

    if (!all && !sd->r->unbuffered && b->len < OUT_FLUSH_AT) {
        while (n > 0 && b->p[n - 1] != '\n')
            n--;
    }
    if (n == 0)
        return;
    step_io_send(sd, type, t->rank, b->p, n);
    sbytes_drop(b, n);
}

void step_tasks_on_output(struct stepd *sd, struct task *t, int is_err)
{
    int *fd = is_err ? &t->err_fd : &t->out_fd;
    struct sbytes *b = is_err ? &t->errb : &t->outb;
    uint32_t type = is_err ? STEPIO_STDERR : STEPIO_STDOUT;
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        sbytes_add(b, buf, (size_t)n);
        out_flush(sd, t, b, type, 0);
        return;
    }
    out_flush(sd, t, b, type, 1);
    step_io_send(sd, type, t->rank, "", 0);   /* end of file */
    fd_close(fd);
    sbytes_free(b);
}

void step_tasks_on_report(struct stepd *sd, struct task *t)
{
    char msg[512];
    ssize_t n = read(t->rep_fd, msg, sizeof(msg) - 1);

    if (n > 0) {
        msg[n] = '\0';
        log_info("step %llu.%u: task %u: %s", (unsigned long long)sd->r->job_id,
                 sd->r->step_id, t->rank, msg);
        step_io_send(sd, STEPIO_ERROR, t->rank, msg, (size_t)n);
    }
    fd_close(&t->rep_fd);
}

void step_tasks_write_stdin(struct stepd *sd, struct task *t)
{
    ssize_t n = write(t->in_fd, t->inb.p, t->inb.len);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0) {
        /* The task closed its stdin or exited: what is left is lost. */
        log_debug("step %llu.%u: task %u: stdin: %s", (unsigned long long)sd->r->job_id,
                  sd->r->step_id, t->rank, strerror(errno));
        fd_close(&t->in_fd);
        sbytes_free(&t->inb);
        return;
    }
    sbytes_drop(&t->inb, (size_t)n);
    if (t->inb.len == 0 && t->in_eof)
        fd_close(&t->in_fd);
}

static void stdin_add_one(struct task *t, const void *data, size_t len)
{
    if (t->in_fd < 0)
        return;
    if (len == 0) {
        /* A terminal has no end of file: its EOF character says it (at
         * the start of a line), as a user's ^D would. */
        if (t->pty && !t->in_eof)
            sbytes_add(&t->inb, "\x04", 1);
        t->in_eof = 1;
        if (t->inb.len == 0)
            fd_close(&t->in_fd);
        return;
    }
    sbytes_add(&t->inb, data, len);
}

void step_tasks_add_stdin(struct stepd *sd, uint32_t rank, const void *data, size_t len)
{
    for (uint32_t i = 0; sd->tasks && i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        if (rank == STEPIO_ALL_TASKS || rank == t->rank)
            stdin_add_one(t, data, len);
    }
}

void step_tasks_report(struct stepd *sd)
{
    for (uint32_t i = 0; sd->tasks && i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        char js[128];
        int ws = t->wait_status, n;
        if (t->reported || !t->exited || t->out_fd >= 0 || t->err_fd >= 0 || t->rep_fd >= 0)
            continue;
        n = snprintf(js, sizeof(js), "{\"exit_code\":%d,\"signal\":%d,\"core\":%d}",
                     WIFEXITED(ws) ? WEXITSTATUS(ws) : 0, WIFSIGNALED(ws) ? WTERMSIG(ws) : 0,
                     WIFSIGNALED(ws) && WCOREDUMP(ws) ? 1 : 0);
        step_io_send(sd, STEPIO_TASK_EXIT, t->rank, js, (size_t)n);
        t->reported = 1;
    }
}

int step_tasks_all_exited(const struct stepd *sd)
{
    for (uint32_t i = 0; i < sd->r->nlocal; i++) {
        if (!sd->tasks[i].exited)
            return 0;
    }
    return 1;
}

int step_tasks_all_zero(const struct stepd *sd)
{
    for (uint32_t i = 0; i < sd->r->nlocal; i++) {
        const struct task *t = &sd->tasks[i];
        if (!t->pid || !t->exited || !WIFEXITED(t->wait_status) || WEXITSTATUS(t->wait_status))
            return 0;
    }
    return 1;
}

int step_tasks_all_reported(const struct stepd *sd)
{
    for (uint32_t i = 0; i < sd->r->nlocal; i++) {
        if (!sd->tasks[i].reported)
            return 0;
    }
    return 1;
}

void step_tasks_close(struct stepd *sd)
{
    for (uint32_t i = 0; sd->tasks && i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        fd_close(&t->out_fd);
        fd_close(&t->err_fd);
        fd_close(&t->in_fd);
        fd_close(&t->rep_fd);
        sbytes_free(&t->outb);
        sbytes_free(&t->errb);
        sbytes_free(&t->inb);
    }
    free(sd->tasks);
    sd->tasks = NULL;
}
