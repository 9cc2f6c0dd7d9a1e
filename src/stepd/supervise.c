#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lease.h"
#include "log.h"
#include "memwatch.h"
#include "proctree.h"
#include "usage.h"

enum phase { PH_RUNNING, PH_TERMINATING, PH_KILLED };

struct sup {
    pid_t job;
    int tfd;
    int wfd;                  /* --signal's warning, -1 when none */
    int lfd;                  /* the lease check's period, -1 when no lease */
    int ufd;                  /* the usage sampler's period, -1 when none */
    const struct supervise_limits *lim;
    int64_t kill_wait;
    enum phase phase;
    int done;
    struct supervise_result *res;
};

void supervise_sigset(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGRTMIN);
    sigaddset(set, LEASE_FENCE_SIGNAL);
}

int supervise_signals_open(sl_error_t *e)
{
    sigset_t set;
    int fd;

    /* Inherited SIG_IGN on SIGCHLD would make the kernel reap the job for us
     * and lose its exit status. */
    signal(SIGCHLD, SIG_DFL);
    supervise_sigset(&set);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return sl_errprintf(e, "cannot block signals: %s", strerror(errno));
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return sl_errprintf(e, "cannot create a signalfd: %s", strerror(errno));
    return fd;
}

static void timer_arm(struct sup *s, int64_t secs)
{
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)secs } };
    if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
        log_error("cannot arm the timer: %s", strerror(errno));
}

/* Signal the job's process group; before the child's setsid() there is
 * no group yet, so fall back to the process. */
static void job_kill(struct sup *s, int sig)
{
    if (kill(-s->job, sig) < 0 && errno == ESRCH)
        (void)kill(s->job, sig);
}

static void sup_kill_hard(struct sup *s)
{
    job_kill(s, SIGKILL);
    proctree_signal(SIGKILL);
    s->phase = PH_KILLED;
}

static void sup_terminate(struct sup *s, const char *why)
{
    if (s->phase != PH_RUNNING)
        return;
    log_info("job process %ld: %s: sending SIGTERM, SIGKILL in %llds", (long)s->job, why,
             (long long)s->kill_wait);
    job_kill(s, SIGCONT);
    job_kill(s, SIGTERM);
    proctree_signal(SIGTERM);
    s->phase = PH_TERMINATING;
    if (s->kill_wait > 0)
        timer_arm(s, s->kill_wait);
    else
        sup_kill_hard(s);
}

/* Look at the main process without reaping it, so that its pid (the
 * process group id) cannot be reused while the group is killed. */
static void sup_check_main(struct sup *s)
{
    siginfo_t si = { 0 };

    if (waitid(P_PID, (id_t)s->job, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
        return;
    (void)kill(-s->job, SIGKILL);
    if (waitpid(s->job, &s->res->wait_status, 0) == s->job)
        s->done = 1;
}

static void sup_reap(struct sup *s)
{
    int st;
    pid_t pid;

    sup_check_main(s);
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (pid == s->job) {
            s->res->wait_status = st;
            s->done = 1;
        }
    }
}

/* The node has not heard from the controller for the lease time: the
 * controller will soon run this job elsewhere, so stop it now.  Once begun
 * the stop is not undone, even if the lease is renewed meanwhile.  The
 * controller allows KillWait after the lease's end: a stop that begins
 * later than that (this host was frozen) kills at once. */
static void sup_fence(struct sup *s, int64_t late_s)
{
    if (s->phase == PH_RUNNING)
        s->res->fenced = 1;
    sup_terminate(s, "the node's lease from the controller ran out");
    if (s->phase == PH_TERMINATING && late_s >= s->kill_wait) {
        log_info("job process %ld: %llds past the lease's end: SIGKILL now", (long)s->job,
                 (long long)late_s);
        sup_kill_hard(s);
    }
}

/* No cgroup on this node: the memory limit by polling (memwatch.h). */
static void sup_check_memory(struct sup *s)
{
    uint64_t kb = memwatch_rss_kb();

    if (s->phase != PH_RUNNING || kb <= (uint64_t)s->lim->mem_poll_mb * 1024)
        return;
    log_info("job process %ld: its processes use %llu MiB resident, over its memory limit of "
             "%lld MiB: killing it (OUT_OF_MEMORY)", (long)s->job,
             (unsigned long long)(kb / 1024), (long long)s->lim->mem_poll_mb);
    s->res->oom = 1;
    sup_kill_hard(s);
}

static void sup_on_lease(struct sup *s)
{
    uint64_t ticks;
    if (read(s->lfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks) || s->phase != PH_RUNNING)
        return;
    if (s->lim->mem_poll_mb > 0)
        sup_check_memory(s);
    int64_t until = lease_read(s->lim->lease_file), now = lease_now_ns();
    if (until && now < until)
        return;
    sup_fence(s, until ? (now - until) / 1000000000LL : 0);
}

static void sup_on_signal(struct sup *s, int sigfd)
{
    struct signalfd_siginfo si;

    while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            sup_reap(s);
        } else if (sig == SIGTERM || sig == SIGINT) {
            if (s->phase == PH_RUNNING)
                s->res->cancelled = 1;
            sup_terminate(s, "cancelled");
        } else if (sig == LEASE_FENCE_SIGNAL) {
            sup_fence(s, si.ssi_int);   /* sluiced says how late */
        } else if (sig == SIGRTMIN) {
            int fwd = si.ssi_int;
            if (fwd > 0 && fwd < NSIG) {
                log_debug("forwarding signal %d to job process group %ld", fwd, (long)s->job);
                job_kill(s, fwd);
            }
        }
        if (s->done)
            return;
    }
}

/* --signal: warn the job some time before its limit. */
static void sup_on_warn(struct sup *s)
{
    uint64_t ticks;
    if (read(s->wfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks) || s->phase != PH_RUNNING)
        return;
    log_info("job process %ld: %llds before the time limit: sending signal %d", (long)s->job,
             (long long)s->lim->warn_time, s->lim->warn_signal);
    if (s->lim->warn_batch_only)
        (void)kill(s->job, s->lim->warn_signal);
    else
        job_kill(s, s->lim->warn_signal);
}

static int lease_open(struct sup *s, sl_error_t *e)
{
    struct itimerspec its = { .it_interval = { LEASE_CHECK_S, 0 }, .it_value = { 0, 1 } };
    s->lfd = -1;
    if (!s->lim->lease_file)
        return 0;
    s->lfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->lfd < 0)
        return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
    if (timerfd_settime(s->lfd, 0, &its, NULL) < 0)
        log_error("cannot arm the lease timer: %s", strerror(errno));
    return 0;
}

/* The usage sampler: one task, the job's process group leader. */
static int usage_open(struct sup *s, sl_error_t *e)
{
    int period = usage_period(s->lim->usage);
    struct itimerspec its = { .it_interval = { period, 0 }, .it_value = { period, 0 } };
    s->ufd = -1;
    if (period <= 0)
        return 0;
    s->ufd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->ufd < 0)
        return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
    if (timerfd_settime(s->ufd, 0, &its, NULL) < 0)
        log_error("cannot arm the usage timer: %s", strerror(errno));
    return 0;
}

static void sup_on_usage(struct sup *s)
{
    uint64_t ticks;
    if (read(s->ufd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
        usage_sample(s->lim->usage, &s->job);
}

static void sup_on_timer(struct sup *s)
{
    uint64_t ticks;

    if (read(s->tfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
        return;
    if (s->phase == PH_RUNNING) {
        s->res->timed_out = 1;
        sup_terminate(s, "time limit reached");
    } else if (s->phase == PH_TERMINATING) {
        log_info("job process %ld: kill_wait expired, sending SIGKILL", (long)s->job);
        sup_kill_hard(s);
    }
}

/* Kill whatever is left below us and reap until there are no children.
 * We are a subreaper: with no child left, nothing below us lives, and the
 * usual case costs one waitid instead of a scan of /proc. */
static void sup_cleanup(void)
{
    siginfo_t si;

    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
        return;
    for (;;) {
        proctree_signal(SIGKILL);
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            return;
    }
}

static int warn_open(struct sup *s, sl_error_t *e)
{
    const struct supervise_limits *lim = s->lim;
    s->wfd = -1;
    if (!lim->warn_signal || lim->time_limit <= 0)
        return 0;
    int64_t at = lim->time_limit - lim->warn_time;
    s->wfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->wfd < 0)
        return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)(at > 0 ? at : 0),
                                            .tv_nsec = at > 0 ? 0 : 1 } };
    if (timerfd_settime(s->wfd, 0, &its, NULL) < 0)
        log_error("cannot arm the warning timer: %s", strerror(errno));
    return 0;
}

int supervise_run(int sigfd, pid_t job_pid, const struct supervise_limits *lim,
                  struct supervise_result *out, sl_error_t *e)
{
    struct sup s = { .job = job_pid, .kill_wait = lim->kill_wait, .lim = lim, .res = out,
                     .wfd = -1, .lfd = -1, .ufd = -1 };

    memset(out, 0, sizeof(*out));
    s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s.tfd < 0)
        return sl_errprintf(e, "cannot create a timerfd: %s", strerror(errno));
    if (warn_open(&s, e) < 0 || lease_open(&s, e) < 0 || usage_open(&s, e) < 0) {
        close(s.tfd);
        if (s.wfd >= 0)
            close(s.wfd);
        if (s.lfd >= 0)
            close(s.lfd);
        return -1;
    }
    if (lim->time_limit > 0)
        timer_arm(&s, lim->time_limit);
    /* A SIGCHLD may have been queued before we got here. */
    sup_reap(&s);
    while (!s.done) {
        /* poll skips negative descriptors. */
        struct pollfd pfd[5] = { { sigfd, POLLIN, 0 }, { s.tfd, POLLIN, 0 },
                                 { s.wfd, POLLIN, 0 }, { s.lfd, POLLIN, 0 },
                                 { s.ufd, POLLIN, 0 } };
        if (poll(pfd, 5, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents & POLLIN)
            sup_on_signal(&s, sigfd);
        if (!s.done && (pfd[1].revents & POLLIN))
            sup_on_timer(&s);
        if (!s.done && s.wfd >= 0 && (pfd[2].revents & POLLIN))
            sup_on_warn(&s);
        if (!s.done && s.lfd >= 0 && (pfd[3].revents & POLLIN))
            sup_on_lease(&s);
        if (!s.done && s.ufd >= 0 && (pfd[4].revents & POLLIN))
            sup_on_usage(&s);
    }
    close(s.tfd);
    if (s.wfd >= 0)
        close(s.wfd);
    if (s.lfd >= 0)
        close(s.lfd);
    if (s.ufd >= 0)
        close(s.ufd);
    if (!s.done)
        return sl_errprintf(e, "poll failed: %s", strerror(errno));
    sup_cleanup();
    return 0;
}
