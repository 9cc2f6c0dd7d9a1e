#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "bind.h"
#include "taskenv.h"

static __attribute__((noreturn, format(printf, 2, 3)))
void child_fail(int fd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(msg) - 1)
        n = (int)sizeof(msg) - 1;
    /* Shorter than PIPE_BUF: one write, never blocks. */
    (void)!write(fd, msg, (size_t)n);
    _exit(1);
}

/* The stepd blocks signals for its signalfd and its parent may ignore some;
 * both would be inherited across exec. */
static void child_reset_signals(void)
{
    sigset_t none;
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_become_user(const struct spawn_req *r, int fd)
{
    if (!r->change_user)
        return;
    if (setgroups(r->ngroups, r->groups) < 0)
        child_fail(fd, "could not set the groups of user %s: %s", r->user, strerror(errno));
    if (setgid(r->gid) < 0)
        child_fail(fd, "could not set gid %ld: %s", (long)r->gid, strerror(errno));
    if (setuid(r->uid) < 0)
        child_fail(fd, "could not set uid %ld: %s", (long)r->uid, strerror(errno));
    if (getuid() != r->uid || geteuid() != r->uid || getgid() != r->gid ||
        getegid() != r->gid || (r->uid != 0 && setuid(0) == 0))
        child_fail(fd, "could not drop privileges to uid %ld gid %ld", (long)r->uid,
                   (long)r->gid);
}

/* Into the job's cgroups and onto its CPUs, while still root. */
static void child_bind(const struct spawn_req *r, int fd)
{
    char msg[400];

    if (r->bind && bind_child(r->bind, msg, sizeof(msg)) < 0)
        child_fail(fd, "%s", msg);
}

static int child_open(const char *path, int flags, const char *what, int fd)
{
    int f = open(path, flags | O_CLOEXEC | O_NOCTTY, 0644);
    if (f < 0)
        child_fail(fd, "could not open %s file %s: %s", what, path, strerror(errno));
    return f;
}

static void child_open_files(const struct spawn_req *r, int fd)
{
    int out_flags = O_WRONLY | O_CREAT | (r->append ? O_APPEND : O_TRUNC);
    int in = child_open(r->stdin_path, O_RDONLY, "input", fd);
    int out = child_open(r->stdout_path, out_flags, "output", fd);
    int err = out;

    if (strcmp(r->stderr_path, r->stdout_path) != 0)
        err = child_open(r->stderr_path, out_flags, "output", fd);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        child_fail(fd, "could not set up standard files: %s", strerror(errno));
}

static __attribute__((noreturn)) void child_run(const struct spawn_req *r, int fd)
{
    child_reset_signals();
    if (setsid() < 0)
        child_fail(fd, "could not create a session: %s", strerror(errno));
    child_bind(r, fd);
    child_become_user(r, fd);
    rlimits_apply(r->rlimits);   /* as the user: the hard limits stay the node's */
    if (chdir(r->cwd) < 0)
        child_fail(fd, "could not chdir to %s: %s", r->cwd, strerror(errno));
    child_open_files(r, fd);
    if (r->bind)
        bind_child_verbose(r->bind);
    taskenv_fill_pid(r->envp);
    execve(r->script, r->argv, r->envp);
    child_fail(fd, "could not execute the job script %s: %s", r->script, strerror(errno));
}

pid_t spawn_job(const struct spawn_req *r, int *report_fd, sl_error_t *e)
{
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return sl_errprintf(e, "cannot create a pipe: %s", strerror(errno));
    /* vfork: the child shares our memory until it execs, so neither our
     * page tables are copied nor our pages faulted in copy-on-write; it
     * only makes system calls and writes to its own stack and the pipe. */
    pid = vfork();
    if (pid < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        return sl_errprintf(e, "cannot fork the job: %s", strerror(err));
    }
    if (pid == 0) {
        close(p[0]);
        child_run(r, p[1]);
    }
    close(p[1]);
    *report_fd = p[0];
    return pid;
}

pid_t spawn_holder(const struct spawn_req *r, int *report_fd, sl_error_t *e)
{
    int p[2];
    pid_t pid;

    pid_t parent = getpid();

    if (pipe2(p, O_CLOEXEC) < 0)
        return sl_errprintf(e, "cannot create a pipe: %s", strerror(errno));
    /* fork, not vfork: this child never execs. */
    pid = fork();
    if (pid < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        return sl_errprintf(e, "cannot fork the allocation's holder: %s", strerror(err));
    }
    if (pid == 0) {
        close(p[0]);
        child_reset_signals();
        if (setsid() < 0)
            child_fail(p[1], "could not create a session: %s", strerror(errno));
        child_bind(r, p[1]);
        child_become_user(r, p[1]);
        /* Without its stepd the holder holds nothing: go with it (set after
         * the change of user, which clears it). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(1);
        if (chdir("/") < 0)
            child_fail(p[1], "could not chdir to /: %s", strerror(errno));
        close(p[1]);
        for (;;)
            pause();
    }
    close(p[1]);
    *report_fd = p[0];
    return pid;
}

int spawn_read_report(int fd, char *buf, size_t len)
{
    size_t got = 0;

    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return got > 0;
}
