/* sluicestepd-step: runs one job step's tasks on one node.  Started by
 * sluiced for srun's step_launch as "sluicestepd-step STEPDIR" (doc/
 * protocol.md, "Job steps"; doc/design.md, "Job steps").  Linked
 * dynamically, unlike sluicestepd, so that it can load MPI plugins. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "lease.h"
#include "bind.h"
#include "log.h"
#include "proctree.h"
#include "status.h"
#include "step_impl.h"
#include "step_rec.h"
#include "stepio.h"
#include "supervise.h"
#include "usage.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: sluicestepd-step STEPDIR\n"
               "Run the tasks of the job step described by STEPDIR/launch.json on this node\n"
               "and carry their I/O to srun.  Started by sluiced.\n");
}

static void stdio_ensure(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR);
            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
    }
}

/* The MPI plugin's directory: the user's, private, in the step's
 * directory (sluiced removes the whole directory when this process ends). */
static int step_tmpdir(struct stepd *sd, sl_error_t *e)
{
    const struct step_rec *r = sd->r;

    snprintf(sd->tmpdir, sizeof(sd->tmpdir), "%s/tmp", r->step_dir);
    if (mkdir(sd->tmpdir, 0700) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create %s: %s", sd->tmpdir, strerror(errno));
    if (getuid() == 0 && chown(sd->tmpdir, r->uid, r->gid) < 0)
        return sl_errprintf(e, "cannot give %s to uid %ld: %s", sd->tmpdir, (long)r->uid,
                            strerror(errno));
    return 0;
}

/* Everything from here on runs as the user: the tasks, their files, the
 * MPI plugin's server. */
/* task/cgroup: the step's tasks belong to the job's cgroup.  The stepd
 * joins it while root, and its tasks are born there. */
static int step_join_cgroups(struct stepd *sd, sl_error_t *e)
{
    struct bind_prep b;
    char msg[400];
    int rc = 0;

    bind_prepare(sd->r->root, 0, 0, sd->r->node_name, "step", &b);
    b.have_mask = 0;
    b.verbose = 0;
    if (bind_child(&b, msg, sizeof(msg)) < 0)
        rc = sl_errprintf(e, "%s", msg);
    bind_free(&b);
    return rc;
}

static int step_become_user(const struct step_rec *r, sl_error_t *e)
{
    if (getuid() != 0) {
        if (getuid() != r->uid)
            return sl_errprintf(e, "sluicestepd-step runs as uid %ld (not root) and cannot "
                                   "run tasks of user %s", (long)getuid(), r->user);
        return 0;
    }
    if (!r->groups)
        return sl_errprintf(e, "step launch record for user %s has no group list", r->user);
    if (setgroups(r->ngroups, r->groups) < 0 || setgid(r->gid) < 0 || setuid(r->uid) < 0)
        return sl_errprintf(e, "cannot become user %s (uid %ld gid %ld): %s", r->user,
                            (long)r->uid, (long)r->gid, strerror(errno));
    if (r->uid != 0 && (setuid(0) == 0 || geteuid() != r->uid))
        return sl_errprintf(e, "could not drop privileges to uid %ld", (long)r->uid);
    return 0;
}

static void timer_arm(int fd, int64_t secs)
{
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)secs, .tv_nsec = secs ? 0 : 1 } };
    if (fd >= 0)
        (void)timerfd_settime(fd, 0, &its, NULL);
}

void step_kill(struct stepd *sd, const char *why)
{
    if (sd->phase != SP_KILLED)
        log_info("step %llu.%u: %s: SIGKILL", (unsigned long long)sd->r->job_id,
                 sd->r->step_id, why);
    step_tasks_signal(sd, SIGKILL);
    proctree_signal(SIGKILL);
    sd->phase = SP_KILLED;
}

void step_terminate(struct stepd *sd, const char *why)
{
    if (sd->phase != SP_RUNNING)
        return;
    log_info("step %llu.%u: %s: SIGTERM, SIGKILL in %llds", (unsigned long long)sd->r->job_id,
             sd->r->step_id, why, (long long)sd->r->kill_wait);
    step_tasks_signal(sd, SIGCONT);
    step_tasks_signal(sd, SIGTERM);
    proctree_signal(SIGTERM);
    sd->phase = SP_TERMINATING;
    if (sd->r->kill_wait > 0)
        timer_arm(sd->kill_tfd, sd->r->kill_wait);
    else
        step_kill(sd, why);
}

static void on_signals(struct stepd *sd)
{
    struct signalfd_siginfo si;

    while (read(sd->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            step_tasks_reap(sd);
        } else if (sig == SIGTERM || sig == SIGINT) {
            step_terminate(sd, "terminated");
        } else if (sig == LEASE_FENCE_SIGNAL) {
            step_terminate(sd, "the node's lease from the controller ran out");
            if (si.ssi_int >= sd->r->kill_wait)
                step_kill(sd, "past the lease's end");
        } else if (sig == SIGRTMIN && si.ssi_int > 0 && si.ssi_int < NSIG) {
            sd->signalled = 1;
            step_tasks_signal(sd, si.ssi_int);
        }
    }
}

static void step_usage_sample(struct stepd *sd)
{
    pid_t *roots = calloc(sd->r->nlocal ? sd->r->nlocal : 1, sizeof(*roots));
    if (!roots || !sd->usage) {
        free(roots);
        return;
    }
    for (uint32_t i = 0; i < sd->r->nlocal; i++)
        roots[i] = sd->tasks[i].exited ? 0 : sd->tasks[i].pid;
    usage_sample(sd->usage, roots);
    free(roots);
}

/* The node's usage for srun, in NODE_DONE (doc/protocol.md). */
static void step_usage_send(struct stepd *sd)
{
    json_t *u;
    char *text;

    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;   /* leftovers killed after the tasks: their CPU time counts too */
    u = sd->usage ? usage_finish(sd->usage) : NULL;
    text = u ? json_dumps(u, JSON_COMPACT) : NULL;
    step_io_send(sd, STEPIO_NODE_DONE, STEPIO_ALL_TASKS, text, text ? strlen(text) : 0);
    free(text);
    json_decref(u);
}

static void on_timer(struct stepd *sd, int fd)
{
    uint64_t ticks;

    if (read(fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
        return;
    if (fd == sd->limit_tfd) {
        step_terminate(sd, "time limit reached");
    } else if (fd == sd->kill_tfd) {
        step_kill(sd, "kill_wait expired");
    } else if (fd == sd->usage_tfd) {
        step_usage_sample(sd);
    } else if (fd == sd->lease_tfd && sd->phase == SP_RUNNING) {
        int64_t until = lease_read(sd->r->lease_file), now = lease_now_ns();
        if (!until || now >= until)
            step_terminate(sd, "the node's lease from the controller ran out");
    }
}

static void on_stream_gone(struct stepd *sd)
{
    pthread_mutex_lock(&sd->io_lock);
    sd->io_closed = 1;
    pthread_mutex_unlock(&sd->io_lock);
    step_mpi_fence_fail(sd);
    step_kill(sd, "srun's stream closed before the step ended");
}

/* Up to 6 + 4 per task descriptors; map[i] says what pfd[i] is:
 * -1..-6 the stepd's own, else task index * 4 + (0 out, 1 err, 2 rep, 3 in). */
static int loop_fill(struct stepd *sd, struct pollfd *pfd, int *map)
{
    int n = 0;
    int own[6] = { sd->sigfd, sd->io_closed ? -1 : sd->io_fd, sd->kill_tfd, sd->limit_tfd,
                   sd->lease_tfd, sd->usage_tfd };

    for (int i = 0; i < 6; i++) {
        if (own[i] >= 0) {
            pfd[n] = (struct pollfd){ own[i], POLLIN, 0 };
            map[n++] = -1 - i;
        }
    }
    for (uint32_t i = 0; i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        int fds[4] = { t->out_fd, t->err_fd, t->rep_fd, t->inb.len ? t->in_fd : -1 };
        for (int k = 0; k < 4; k++) {
            if (fds[k] >= 0) {
                pfd[n] = (struct pollfd){ fds[k], k == 3 ? POLLOUT : POLLIN, 0 };
                map[n++] = (int)i * 4 + k;
            }
        }
    }
    return n;
}

static void loop_dispatch(struct stepd *sd, const struct pollfd *p, int what)
{
    if (what == -1) {
        on_signals(sd);
    } else if (what == -2) {
        if (step_io_on_read(sd) < 0)
            on_stream_gone(sd);
    } else if (what <= -3) {
        on_timer(sd, p->fd);
    } else {
        struct task *t = &sd->tasks[what / 4];
        switch (what % 4) {
        case 0: step_tasks_on_output(sd, t, 0); break;
        case 1: step_tasks_on_output(sd, t, 1); break;
        case 2: step_tasks_on_report(sd, t); break;
        default: step_tasks_write_stdin(sd, t); break;
        }
    }
}

static int step_loop(struct stepd *sd)
{
    size_t max = 6 + 4 * (size_t)sd->r->nlocal;
    struct pollfd *pfd = calloc(max, sizeof(*pfd));
    int *map = calloc(max, sizeof(*map));

    if (!pfd || !map)
        abort();
    step_tasks_reap(sd);
    for (;;) {
        if (step_tasks_all_exited(sd) && !sd->all_exited_killed) {
            /* What the tasks left behind would hold their pipes open. */
            proctree_signal(SIGKILL);
            sd->all_exited_killed = 1;
        }
        step_tasks_report(sd);
        if (step_tasks_all_reported(sd) || (sd->io_closed && step_tasks_all_exited(sd)))
            break;
        int n = loop_fill(sd, pfd, map);
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll: %s", strerror(errno));
            step_kill(sd, "internal error");
            break;
        }
        for (int i = 0; i < n; i++) {
            if (pfd[i].revents)
                loop_dispatch(sd, &pfd[i], map[i]);
        }
    }
    free(pfd);
    free(map);
    return 0;
}

static int step_timers(struct stepd *sd, sl_error_t *e)
{
    struct itimerspec its = { .it_interval = { LEASE_CHECK_S, 0 }, .it_value = { 0, 1 } };

    sd->kill_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    sd->limit_tfd = sd->r->time_limit > 0
                        ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
    sd->lease_tfd = sd->r->lease_file
                        ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
    if (sd->kill_tfd < 0 || (sd->r->time_limit > 0 && sd->limit_tfd < 0) ||
        (sd->r->lease_file && sd->lease_tfd < 0))
        return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
    if (sd->limit_tfd >= 0)
        timer_arm(sd->limit_tfd, sd->r->time_limit);
    if (sd->lease_tfd >= 0)
        (void)timerfd_settime(sd->lease_tfd, 0, &its, NULL);
    if (sd->r->acct_freq > 0) {
        struct itimerspec u = { .it_interval = { (time_t)sd->r->acct_freq, 0 },
                                .it_value = { (time_t)sd->r->acct_freq, 0 } };
        sd->usage_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (sd->usage_tfd < 0)
            return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
        (void)timerfd_settime(sd->usage_tfd, 0, &u, NULL);
    }
    return 0;
}

static void step_close(struct stepd *sd)
{
    int fds[] = { sd->sigfd, sd->kill_tfd, sd->limit_tfd, sd->lease_tfd, sd->io_fd,
                  sd->usage_tfd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    step_tasks_close(sd);
    usage_destroy(sd->usage);
    free(sd->rbuf.p);
}

/* Set up, run the tasks, end.  Returns the exit status. */
static int step_run(struct stepd *sd, const char *dir)
{
    char path[PATH_MAX];
    sl_error_t e;

    snprintf(path, sizeof(path), "%s/launch.json", dir);
    sd->r = step_rec_load(path, &e);
    if (!sd->r) {
        log_error("%s", e.text);
        return 1;
    }
    /* Connected first, so that srun hears of any failure after. */
    if (step_timers(sd, &e) < 0 || step_io_connect(sd, &e) < 0) {
        log_error("step %llu.%u: %s", (unsigned long long)sd->r->job_id, sd->r->step_id, e.text);
        return 1;
    }
    sd->usage = usage_create(sd->r->nlocal, sd->r->first_rank,
                             sd->r->node_name, (int)sd->r->acct_freq);
    /* usage.json for sstat, created while the stepd may still write here. */
    if (sd->usage && usage_snapshot_open(sd->usage, dir) < 0)
        log_warn("step %llu.%u: no usage.json for sstat: %s", (unsigned long long)sd->r->job_id,
                 sd->r->step_id, strerror(errno));
    if (step_tmpdir(sd, &e) < 0 || step_join_cgroups(sd, &e) < 0 ||
        step_become_user(sd->r, &e) < 0 ||
        step_mpi_create(sd, &e) < 0) {
        step_io_fail_node(sd, e.text);
        step_io_send(sd, STEPIO_NODE_DONE, STEPIO_ALL_TASKS, NULL, 0);
        return 1;
    }
    step_tasks_start(sd);
    step_loop(sd);
    step_mpi_destroy(sd);
    if (!sd->io_closed)
        step_usage_send(sd);
    log_info("step %llu.%u: done on node %s", (unsigned long long)sd->r->job_id, sd->r->step_id,
             sd->r->node_name);
    /* The exit status tells sluiced whether this node's tasks all ended
     * with 0, unasked (doc/design.md, "Steps"): it says so to the
     * controller, which then records the step COMPLETED should srun be
     * gone before reporting it. */
    return sd->phase == SP_RUNNING && !sd->signalled && step_tasks_all_zero(sd)
               ? 0 : STEPD_STEP_TASKS_FAILED;
}

#ifdef __SANITIZE_ADDRESS__
/* libpmix 4.2 (loaded with mpi/pmix) keeps about 2 KB of its own past
 * PMIx_server_finalize, every stack inside libpmix.so; the stepd's and the
 * plugins' own allocations are still checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpmix.so\n";
}

/* Without this the counts of suppressed leaks land in the log directory. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif

int main(int argc, char **argv)
{
    struct stepd sd = { .sigfd = -1, .kill_tfd = -1, .limit_tfd = -1, .lease_tfd = -1,
                        .io_fd = -1, .usage_tfd = -1 };
    char dir[PATH_MAX];
    sl_error_t e;
    int rc;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("sluicestepd-step %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage(stderr);
        return 2;
    }
    stdio_ensure();
    log_init("sluicestepd-step", getenv("SLUICE_STEPD_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_INFO,
             NULL, 1);
    if (!realpath(argv[1], dir))
        log_fatal("step directory %s: %s", argv[1], strerror(errno));
    /* A write to srun's closed socket or a task's closed stdin is an error
     * to handle, not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    if (status_write_pid(dir, getpid(), &e) < 0)
        log_fatal("%s", e.text);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_fatal("cannot become a child subreaper: %s", strerror(errno));
    sd.sigfd = supervise_signals_open(&e);
    if (sd.sigfd < 0)
        log_fatal("%s", e.text);
    pthread_mutex_init(&sd.io_lock, NULL);
    rc = step_run(&sd, dir);
    step_close(&sd);
    step_rec_destroy(sd.r);
    pthread_mutex_destroy(&sd.io_lock);
    log_fini();
    return rc;
}
