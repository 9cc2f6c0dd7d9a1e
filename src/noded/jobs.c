#define _GNU_SOURCE
#include "jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "jobs_impl.h"
#include "lease.h"
#include "leftovers.h"
#include "log.h"
#include "mock.h"
#include "spool.h"
#include "steps.h"
#include "task.h"

jobs_t *jobs_create(struct event_base *base, const char *node_name, const char *spool_dir,
                    const char *stepd, const struct jobs_ops *ops, void *arg, sl_error_t *e)
{
    jobs_t *js = calloc(1, sizeof(*js));

    if (!js || !(js->node_name = strdup(node_name)) || !(js->spool = strdup(spool_dir)) ||
        !(js->stepd = strdup(stepd))) {
        jobs_destroy(js);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    snprintf(js->lease_file, sizeof(js->lease_file), "%s/lease", spool_dir);
    js->base = base;
    js->acct_freq = 30;
    js->ops = *ops;
    js->arg = arg;
    return js;
}

void jobs_set_task(jobs_t *js, struct task *t)
{
    js->task = t;
}

void jobs_set_acct_freq(jobs_t *js, int seconds)
{
    js->acct_freq = seconds;
}

void jobs_unwatch(struct job *j)
{
    if (j->ev)
        event_free(j->ev);
    j->ev = NULL;
    if (j->mock_warn)
        event_free(j->mock_warn);
    j->mock_warn = NULL;
    if (j->pidfd >= 0)
        close(j->pidfd);
    j->pidfd = -1;
}

static void job_free(struct job *j)
{
    jobs_unwatch(j);
    json_decref(j->result);
    json_decref(j->next_launch);
    free(j);
}

void jobs_destroy(jobs_t *js)
{
    if (!js)
        return;
    steps_forget(js);
    while (js->head) {
        struct job *j = js->head;
        js->head = j->next;
        job_free(j);
    }
    free(js->node_name);
    free(js->spool);
    free(js->stepd);
    free(js);
}

struct job *jobs_find(const jobs_t *js, uint64_t id)
{
    for (struct job *j = js->head; j; j = j->next) {
        if (j->id == id)
            return j;
    }
    return NULL;
}

struct job *jobs_add(jobs_t *js, uint64_t id)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    j->id = id;
    j->owner = js;
    j->pidfd = -1;
    snprintf(j->dir, sizeof(j->dir), "%s/job.%llu", js->spool, (unsigned long long)id);
    j->next = js->head;
    js->head = j;
    return j;
}

static void jobs_remove(jobs_t *js, struct job *j)
{
    for (struct job **pp = &js->head; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            job_free(j);
            return;
        }
    }
}

json_t *jobs_failure(uint64_t id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    time_t now = time(NULL);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:I, s:i, s:i, s:I, s:I, s:b, s:b, s:s}", "job_id", (json_int_t)id,
                     "exit_code", 1, "exit_signal", 0, "start_time", (json_int_t)now,
                     "end_time", (json_int_t)now, "timed_out", 0, "cancelled", 0, "failure",
                     msg);
}

void jobs_set_result(jobs_t *js, struct job *j, json_t *result, int persist)
{
    sl_error_t e;

    json_decref(j->result);
    j->result = result;
    j->result_seq = ++js->next_seq;
    /* Which attempt ended: the controller ignores an earlier attempt's. */
    json_object_set_new(result, "attempt", json_integer(j->attempt));
    /* Kept on disk so that a restarted sluiced still reports it. */
    if (persist && spool_write_json(j->dir, "status.json", result, 0600, 1, &e) < 0)
        log_warn("job %llu: %s", (unsigned long long)j->id, e.text);
    js->ops.ended(js->arg, j->id, j->result_seq, result);
}

static void wait_describe(int ws, char *buf, size_t len)
{
    if (WIFEXITED(ws))
        snprintf(buf, len, "exit code %d", WEXITSTATUS(ws));
    else if (WIFSIGNALED(ws))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(ws));
    else
        snprintf(buf, len, "wait status 0x%x", ws);
}

static int is_live_stepd(pid_t pid, void *arg)
{
    if (steps_is_stepd(arg, pid))
        return 1;
    for (const struct job *j = ((jobs_t *)arg)->head; j; j = j->next) {
        if (j->pid == pid)
            return 1;
    }
    return 0;
}

pid_t jobs_read_pid(const char *dir, const char *name)
{
    char path[PATH_MAX];
    long pid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid > 0 ? (pid_t)pid : 0;
}

/* The stepd died without cleaning up (SIGKILL, crash): its job's
 * processes may still run.  Kill them all before the end is reported, so
 * that the controller never gives their CPUs to another job meanwhile. */
static void job_stepd_died(jobs_t *js, struct job *j, pid_t stepd, const char *how)
{
    pid_t job = jobs_read_pid(j->dir, "job.pid");
    int killed = leftovers_kill(stepd, job, is_live_stepd, js);
    json_t *res;

    /* The job's cgroup, where there is one, holds what left the session. */
    task_end(js->task, j->id, -1, NULL);

    if (killed < 0)
        log_error("job %llu: processes of the job survive SIGKILL: reporting its end anyway",
                  (unsigned long long)j->id);
    log_error("job %llu: sluicestepd %ld died without a result (%s); %d leftover processes "
              "killed", (unsigned long long)j->id, (long)stepd, how, killed < 0 ? 0 : killed);
    res = jobs_failure(j->id, "supervisor died: sluicestepd exited unexpectedly (%s); the "
                            "job's processes were killed", how);
    jobs_set_result(js, j, res, 1);
}

/* A later attempt waited for this one to be gone: its result is the
 * controller's no longer (it has moved on), and the new attempt starts. */
static void job_replace(jobs_t *js, struct job *j)
{
    json_t *rec = j->next_launch;

    j->next_launch = NULL;
    jobs_ack(js, j->id, j->result_seq);
    jobs_launch_now(js, rec);
    json_decref(rec);
}

static void job_stepd_exited(jobs_t *js, struct job *j)
{
    char how[64] = "unknown: not a child of this sluiced";
    pid_t stepd = j->pid;
    sl_error_t e;
    json_t *res;
    int ws;

    if (j->is_child && waitpid(j->pid, &ws, WNOHANG) == j->pid)
        wait_describe(ws, how, sizeof(how));
    jobs_unwatch(j);
    j->pid = 0;
    /* No step outlives its allocation (doc/protocol.md, "Job steps"). */
    steps_terminate(js, j->id, -1);
    res = spool_read_json(j->dir, "status.json", &e);
    if (res) {
        log_info("job %llu: ended", (unsigned long long)j->id);
        task_end(js->task, j->id, -1, res);
        jobs_set_result(js, j, res, 0);
    } else {
        job_stepd_died(js, j, stepd, how);
    }
    if (j->next_launch)
        job_replace(js, j);
}

static void job_pidfd_cb(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    job_stepd_exited(j->owner, j);
}

int jobs_watch(jobs_t *js, struct job *j, sl_error_t *e)
{
    j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
    if (j->pidfd < 0)
        return sl_errprintf(e, "cannot watch sluicestepd pid %ld: pidfd_open: %s",
                            (long)j->pid, strerror(errno));
    j->ev = event_new(js->base, j->pidfd, EV_READ, job_pidfd_cb, j);
    if (!j->ev || event_add(j->ev, NULL) < 0) {
        jobs_unwatch(j);
        return sl_errprintf(e, "cannot watch sluicestepd pid %ld: event_add failed",
                            (long)j->pid);
    }
    return 0;
}

void jobs_signal(jobs_t *js, uint64_t job_id, int sig)
{
    struct job *j = jobs_find(js, job_id);
    union sigval v = { .sival_int = sig };

    if (j && j->mock && !j->result) {
        mock_signal(js, j, sig);
        return;
    }
    if (!j || !j->pid) {
        log_debug("job_signal: job %llu is not running here", (unsigned long long)job_id);
        return;
    }
    if (sig <= 0 || sig >= NSIG) {
        log_warn("job_signal: job %llu: invalid signal %d", (unsigned long long)job_id, sig);
        return;
    }
    /* The stepd forwards SIGRTMIN's value to the job's process group. */
    if (sigqueue(j->pid, SIGRTMIN, v) < 0)
        log_warn("job %llu: cannot signal sluicestepd %ld: %s", (unsigned long long)job_id,
                 (long)j->pid, strerror(errno));
}

void jobs_terminate(jobs_t *js, uint64_t job_id, int64_t attempt)
{
    struct job *j = jobs_find(js, job_id);

    if (j && attempt >= 0 && j->attempt != attempt) {
        log_info("job_terminate: job %llu attempt %lld is not the one here (%lld): ignored",
                 (unsigned long long)job_id, (long long)attempt, (long long)j->attempt);
        return;
    }
    /* The job's steps here end with it, whether or not its batch stepd
     * runs on this node (sluiced ends them itself: doc/protocol.md). */
    steps_terminate(js, job_id, -1);
    if (j && j->mock && !j->result) {
        mock_signal(js, j, 0);
        return;
    }
    if (!j || !j->pid) {
        log_debug("job_terminate: job %llu is not running here", (unsigned long long)job_id);
        return;
    }
    log_info("job %llu: terminating", (unsigned long long)job_id);
    if (kill(j->pid, SIGTERM) < 0)
        log_warn("job %llu: cannot signal sluicestepd %ld: %s", (unsigned long long)job_id,
                 (long)j->pid, strerror(errno));
}

static json_t *jobs_ids(const jobs_t *js, int ended)
{
    json_t *a = json_array();

    for (struct job *j = js->head; j; j = j->next) {
        if ((j->result != NULL) == ended)
            json_array_append_new(a, json_integer((json_int_t)j->id));
    }
    return a;
}

json_t *jobs_running_ids(const jobs_t *js)
{
    return jobs_ids(js, 0);
}

json_t *jobs_running_attempts(const jobs_t *js)
{
    json_t *a = json_array();

    for (struct job *j = js->head; j; j = j->next) {
        if (!j->result)
            json_array_append_new(a, json_integer((json_int_t)j->attempt));
    }
    return a;
}

void jobs_lease_renew(jobs_t *js, int64_t until_ns)
{
    sl_error_t e;

    if (!js->mock && lease_write(js->lease_file, until_ns, &e) < 0)
        log_error("cannot renew the node's lease: %s", e.text);
}

int64_t jobs_lease_read(const jobs_t *js)
{
    return js->mock ? 0 : lease_read(js->lease_file);
}

size_t jobs_fence(jobs_t *js, int64_t late_s)
{
    union sigval v = { .sival_int = late_s > INT_MAX ? INT_MAX : (int)late_s };
    size_t n = 0;

    for (struct job *j = js->head; j; j = j->next) {
        if (!j->pid || j->result)
            continue;
        n++;
        if (sigqueue(j->pid, LEASE_FENCE_SIGNAL, v) < 0)
            log_warn("job %llu: cannot signal sluicestepd %ld: %s", (unsigned long long)j->id,
                     (long)j->pid, strerror(errno));
    }
    return n + steps_fence(js, late_s);
}

void jobs_kill_stepds(jobs_t *js)
{
    for (struct job *j = js->head; j; j = j->next) {
        if (j->pid && !j->result) {
            log_error("job %llu: sluicestepd %ld still runs after the lease ran out: killing "
                      "it and its job", (unsigned long long)j->id, (long)j->pid);
            (void)kill(j->pid, SIGKILL);
        }
    }
    steps_kill_stepds(js);
}

json_t *jobs_ended_ids(const jobs_t *js)
{
    return jobs_ids(js, 1);
}

void jobs_resend(jobs_t *js)
{
    for (struct job *j = js->head; j; j = j->next) {
        if (j->result)
            js->ops.ended(js->arg, j->id, j->result_seq, j->result);
    }
}

void jobs_ack(jobs_t *js, uint64_t job_id, uint64_t seq)
{
    struct job *j = jobs_find(js, job_id);
    sl_error_t e;

    if (!j || !j->result || j->result_seq != seq)
        return;
    if (!j->mock && spool_remove(j->dir, &e) < 0)
        log_warn("job %llu: %s", (unsigned long long)job_id, e.text);
    jobs_remove(js, j);
}
