/* steps.c: the job steps' stepds on this node (steps.h). */
#define _GNU_SOURCE
#include "steps.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>
#include "jobs_impl.h"
#include "lease.h"
#include "leftovers.h"
#include "log.h"
#include "spool.h"
#include "task.h"

struct step {
    jobs_t *owner;
    uint64_t job_id;
    int64_t step_id;
    char dir[PATH_MAX];
    pid_t pid;
    int pidfd;
    int is_child;            /* we started it (else adopted): we reap it */
    struct event *ev;
    struct step *next;
};

const char *steps_find_stepd(const char *stepd, char *buf, size_t len)
{
    const char *env = getenv("SLUICE_STEPD_STEP");

    if (env && *env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s-step", stepd);
    return buf;
}

static void step_free(struct step *s)
{
    if (s->ev)
        event_free(s->ev);
    if (s->pidfd >= 0)
        close(s->pidfd);
    free(s);
}

static void step_unlink(jobs_t *js, struct step *s)
{
    for (struct step **pp = &js->steps; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            return;
        }
    }
}

void steps_forget(jobs_t *js)
{
    while (js->steps) {
        struct step *s = js->steps;
        js->steps = s->next;
        step_free(s);
    }
}

int steps_is_stepd(const jobs_t *js, pid_t pid)
{
    for (const struct step *s = js->steps; s; s = s->next) {
        if (s->pid == pid)
            return 1;
    }
    return 0;
}

static int keep_stepd(pid_t pid, void *arg)
{
    const jobs_t *js = arg;
    if (steps_is_stepd(js, pid))
        return 1;
    for (const struct job *j = js->head; j; j = j->next) {
        if (j->pid == pid)
            return 1;
    }
    return 0;
}

/* The step's stepd is gone.  It ends its tasks itself; if it died without
 * doing so (SIGKILL, crash), its session holds what is left. */
static void step_gone(jobs_t *js, struct step *s)
{
    int ws = 0, clean = 0;
    sl_error_t e;

    if (s->is_child && waitpid(s->pid, &ws, WNOHANG) == s->pid)
        clean = WIFEXITED(ws);
    if (!s->is_child) {
        /* Adopted after a restart: its exit status is not ours to see, so
         * sweep its session in any case (nothing is there after a clean end). */
        int killed = leftovers_kill(s->pid, 0, keep_stepd, js);
        log_info("step %llu.%lld: ended (adopted sluicestepd-step %ld; %d leftover processes "
                 "killed)", (unsigned long long)s->job_id, (long long)s->step_id, (long)s->pid,
                 killed < 0 ? 0 : killed);
    } else if (!clean) {
        int killed = leftovers_kill(s->pid, 0, keep_stepd, js);
        log_warn("step %llu.%lld: sluicestepd-step %ld ended without cleaning up; %d leftover "
                 "processes killed", (unsigned long long)s->job_id, (long long)s->step_id,
                 (long)s->pid, killed < 0 ? 0 : killed);
    } else {
        log_info("step %llu.%lld: ended (sluicestepd-step exit %d)",
                 (unsigned long long)s->job_id, (long long)s->step_id, WEXITSTATUS(ws));
        /* The controller records the step from srun's step_complete; this
         * node's clean end stands in for it if srun is gone first. */
        if (js->ops.step_ended)
            js->ops.step_ended(js->arg, s->job_id, s->step_id, WEXITSTATUS(ws) == 0);
    }
    /* The step's cgroup (task/cgroup): whatever of it is left, and the
     * cgroup itself. */
    task_end(js->task, s->job_id, s->step_id, NULL);
    if (spool_remove(s->dir, &e) < 0)
        log_warn("step %llu.%lld: %s", (unsigned long long)s->job_id, (long long)s->step_id,
                 e.text);
    step_unlink(js, s);
    step_free(s);
}

static void step_pidfd_cb(evutil_socket_t fd, short what, void *arg)
{
    struct step *s = arg;
    step_gone(s->owner, s);
}

static int step_watch(jobs_t *js, struct step *s, sl_error_t *e)
{
    s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    if (s->pidfd < 0)
        return sl_errprintf(e, "cannot watch sluicestepd-step pid %ld: pidfd_open: %s",
                            (long)s->pid, strerror(errno));
    s->ev = event_new(js->base, s->pidfd, EV_READ, step_pidfd_cb, s);
    if (!s->ev || event_add(s->ev, NULL) < 0)
        return sl_errprintf(e, "cannot watch sluicestepd-step pid %ld: event_add failed",
                            (long)s->pid);
    return 0;
}

static struct step *step_new(jobs_t *js, uint64_t job_id, int64_t step_id)
{
    struct step *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->owner = js;
    s->job_id = job_id;
    s->step_id = step_id;
    s->pidfd = -1;
    snprintf(s->dir, sizeof(s->dir), "%s/job.%llu.step.%lld", js->spool,
             (unsigned long long)job_id, (long long)step_id);
    return s;
}

int steps_running(const jobs_t *js, uint64_t job_id, int64_t step_id)
{
    for (const struct step *s = js->steps; s; s = s->next) {
        if (s->job_id == job_id && (step_id < 0 || s->step_id == step_id))
            return 1;
    }
    return 0;
}

/* The directory is root's and traversable: the stepd, once it is the
 * user, still reaches its tmp/ (the MPI plugin's directory). */
static int step_prepare(jobs_t *js, struct step *s, json_t *rec, sl_error_t *e)
{
    if (mkdir(s->dir, getuid() == 0 ? 0711 : 0700) < 0)
        return sl_errprintf(e, "cannot create step directory %s: %s", s->dir,
                            strerror(errno));
    json_object_set_new(rec, "lease_file", json_string(js->lease_file));
    json_object_set_new(rec, "acct_freq", json_integer(js->acct_freq));
    json_object_set_new(rec, "step_dir", json_string(s->dir));
    if (task_prepare(js->task, rec, e) < 0)
        return -1;
    return spool_write_json(s->dir, "launch.json", rec, 0600, 0, e);
}

int steps_launch(jobs_t *js, json_t *rec, sl_error_t *e)
{
    uint64_t job_id = (uint64_t)json_integer_value(json_object_get(rec, "job_id"));
    int64_t step_id = json_integer_value(json_object_get(rec, "step_id"));
    char prog[PATH_MAX];
    sl_error_t e2;
    struct step *s;

    if (steps_running(js, job_id, step_id))
        return sl_errprintf(e, "step %llu.%lld is already running on node %s",
                            (unsigned long long)job_id, (long long)step_id, js->node_name);
    s = step_new(js, job_id, step_id);
    if (!s)
        return sl_errprintf(e, "out of memory");
    if (step_prepare(js, s, rec, e) < 0) {
        task_end(js->task, job_id, step_id, NULL);   /* a cgroup made before the failure */
        spool_remove(s->dir, &e2);
        step_free(s);
        return -1;
    }
    steps_find_stepd(js->stepd, prog, sizeof(prog));
    s->pid = jobs_spawn_stepd(prog, "sluicestepd-step", s->dir, e);
    if (s->pid < 0) {
        task_end(js->task, job_id, step_id, NULL);
        spool_remove(s->dir, &e2);
        step_free(s);
        return -1;
    }
    s->is_child = 1;
    if (step_watch(js, s, e) < 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        task_end(js->task, job_id, step_id, NULL);
        spool_remove(s->dir, &e2);
        step_free(s);
        return -1;
    }
    s->next = js->steps;
    js->steps = s;
    log_info("step %llu.%lld: sluicestepd-step %ld started", (unsigned long long)job_id,
             (long long)step_id, (long)s->pid);
    return 0;
}

static void step_sig(struct step *s, int sig, union sigval v)
{
    if (sigqueue(s->pid, sig, v) < 0 && errno != ESRCH)
        log_warn("step %llu.%lld: cannot signal sluicestepd-step %ld: %s",
                 (unsigned long long)s->job_id, (long long)s->step_id, (long)s->pid,
                 strerror(errno));
}

void steps_signal(jobs_t *js, uint64_t job_id, int64_t step_id, int sig)
{
    union sigval v = { .sival_int = sig };

    if (sig <= 0 || sig >= NSIG) {
        log_warn("step_signal: job %llu: invalid signal %d", (unsigned long long)job_id, sig);
        return;
    }
    for (struct step *s = js->steps; s; s = s->next) {
        /* The stepd forwards SIGRTMIN's value to its tasks. */
        if (s->job_id == job_id && (step_id < 0 || s->step_id == step_id))
            step_sig(s, SIGRTMIN, v);
    }
}

void steps_terminate(jobs_t *js, uint64_t job_id, int64_t step_id)
{
    union sigval v = { .sival_int = 0 };

    for (struct step *s = js->steps; s; s = s->next) {
        if (s->job_id == job_id && (step_id < 0 || s->step_id == step_id)) {
            log_info("step %llu.%lld: terminating", (unsigned long long)job_id,
                     (long long)s->step_id);
            step_sig(s, SIGTERM, v);
        }
    }
}

size_t steps_fence(jobs_t *js, int64_t late_s)
{
    union sigval v = { .sival_int = late_s > INT_MAX ? INT_MAX : (int)late_s };
    size_t n = 0;

    for (struct step *s = js->steps; s; s = s->next, n++)
        step_sig(s, LEASE_FENCE_SIGNAL, v);
    return n;
}

void steps_kill_stepds(jobs_t *js)
{
    for (struct step *s = js->steps; s; s = s->next) {
        log_error("step %llu.%lld: sluicestepd-step %ld still runs after the lease ran out: "
                  "killing it", (unsigned long long)s->job_id, (long long)s->step_id,
                  (long)s->pid);
        (void)kill(s->pid, SIGKILL);
    }
}

/* job.N.step.S -> N, S; 0 if the name is not a step directory's. */
static int step_dir_parse(const char *name, uint64_t *job_id, int64_t *step_id)
{
    unsigned long long j;
    long long st;
    int used = 0;

    if (sscanf(name, "job.%llu.step.%lld%n", &j, &st, &used) != 2 || name[used] || j == 0 ||
        st < 0)
        return 0;
    *job_id = j;
    *step_id = st;
    return 1;
}

/* A pid from a file may have been reused since: check it is a stepd. */
static int is_step_stepd(pid_t pid)
{
    char path[64], comm[32] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (!fgets(comm, sizeof(comm), f))
        comm[0] = '\0';
    fclose(f);
    return strncmp(comm, "sluicestepd-ste", 15) == 0;
}

static void step_adopt(jobs_t *js, uint64_t job_id, int64_t step_id)
{
    struct step *s = step_new(js, job_id, step_id);
    sl_error_t e;

    if (!s)
        return;
    s->pid = jobs_read_pid(s->dir, "stepd.pid");
    if (s->pid > 0 && is_step_stepd(s->pid) && step_watch(js, s, &e) == 0) {
        s->next = js->steps;
        js->steps = s;
        log_info("step %llu.%lld: sluicestepd-step %ld still runs: watching it again",
                 (unsigned long long)job_id, (long long)step_id, (long)s->pid);
        return;
    }
    log_info("step %llu.%lld: its stepd is gone: removing %s", (unsigned long long)job_id,
             (long long)step_id, s->dir);
    if (spool_remove(s->dir, &e) < 0)
        log_warn("%s", e.text);
    step_free(s);
}

void steps_recover(jobs_t *js)
{
    DIR *d = opendir(js->spool);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        uint64_t job_id;
        int64_t step_id;
        if (step_dir_parse(de->d_name, &job_id, &step_id) && !steps_running(js, job_id, step_id))
            step_adopt(js, job_id, step_id);
    }
    closedir(d);
}
