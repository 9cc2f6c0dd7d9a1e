/* jobs_launch.c: job_launch -> job directory, launch.json, sluicestepd. */
#define _GNU_SOURCE
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "account.h"
#include "jobs_impl.h"
#include "log.h"
#include "mock.h"
#include "spool.h"
#include "task.h"

static int is_exec(const char *path)
{
    return access(path, X_OK) == 0;
}

const char *jobs_find_stepd(char *buf, size_t len)
{
    const char *env = getenv("SLUICE_STEPD");
    char self[PATH_MAX];
    ssize_t n;

    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return buf;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/sluicestepd", self);
            if (is_exec(buf))
                return buf;
            /* The build tree: build/src/noded/sluiced, build/src/stepd/sluicestepd. */
            snprintf(buf, len, "%s/../stepd/sluicestepd", self);
            if (is_exec(buf))
                return buf;
        }
    }
    snprintf(buf, len, "%s/sluicestepd", SBINDIR);
    return buf;
}

/* posix_spawn, not fork: sluiced's page tables are not copied for a child
 * that only execs, which halves the node's cost of a launch.  The stepd
 * starts from a clean slate (signals, descriptors, session, cwd) so that it
 * outlives this sluiced and owns nothing of it. */
static int stepd_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at)
{
    sigset_t all, none;

    sigfillset(&all);
    sigemptyset(&none);
    if (posix_spawn_file_actions_init(fa) != 0)
        return -1;
    if (posix_spawnattr_init(at) != 0) {
        posix_spawn_file_actions_destroy(fa);
        return -1;
    }
    /* stderr stays: it is sluiced's log. */
    if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_addclosefrom_np(fa, 3) != 0 ||
        posix_spawn_file_actions_addchdir_np(fa, "/") != 0 ||
        posix_spawnattr_setsigdefault(at, &all) != 0 ||
        posix_spawnattr_setsigmask(at, &none) != 0 ||
        posix_spawnattr_setflags(at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
                                         POSIX_SPAWN_SETSIGMASK) != 0) {
        posix_spawn_file_actions_destroy(fa);
        posix_spawnattr_destroy(at);
        return -1;
    }
    return 0;
}

/* Start the stepd; posix_spawn reports a failed exec as its return value. */
pid_t jobs_spawn_stepd(const char *stepd, const char *argv0, const char *dir, sl_error_t *e)
{
    char *argv[] = { (char *)argv0, (char *)dir, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    pid_t pid;
    int rc;

    if (stepd_spawn_setup(&fa, &at) < 0)
        return sl_errprintf(e, "cannot prepare to start %s: out of memory", argv0);
    rc = posix_spawn(&pid, stepd, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0)
        return sl_errprintf(e, "cannot execute %s %s: %s", argv0, stepd, strerror(rc));
    return pid;
}

/* The directory holds the launch record (root's, private) and the script,
 * which the job's user must reach: traversable, not listable. */
static int launch_prepare(const jobs_t *js, struct job *j, json_t *rec, sl_error_t *e)
{
    if (mkdir(j->dir, getuid() == 0 ? 0711 : 0700) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create job directory %s: %s", j->dir, strerror(errno));
    if (getuid() == 0 && chmod(j->dir, 0711) < 0)
        return sl_errprintf(e, "cannot set mode of %s: %s", j->dir, strerror(errno));
    if (account_resolve(rec, js->node_name, e) < 0)
        return -1;
    return spool_write_json(j->dir, "launch.json", rec, 0600, 0, e);
}

static void launch_fail(jobs_t *js, struct job *j, const char *msg)
{
    log_error("job %llu: launch failed: %s", (unsigned long long)j->id, msg);
    jobs_set_result(js, j, jobs_failure(j->id, "%s", msg), 1);
}

/* Another copy of the job still runs here: an earlier attempt the
 * controller has given up on (its lease ran out, or the node came back
 * too late).  Never two copies: stop the old one, start the new one once it
 * is gone (job_stepd_exited). */
static void launch_after(jobs_t *js, struct job *j, json_t *rec, int64_t attempt)
{
    log_warn("job %llu: attempt %lld still runs here: stopping it before attempt %lld starts",
             (unsigned long long)j->id, (long long)j->attempt, (long long)attempt);
    json_decref(j->next_launch);
    j->next_launch = json_incref(rec);
    if (j->mock)
        mock_signal(js, j, 0);
    else if (j->pid && kill(j->pid, SIGTERM) < 0)
        log_warn("job %llu: cannot signal sluicestepd %ld: %s", (unsigned long long)j->id,
                 (long)j->pid, strerror(errno));
}

void jobs_launch(jobs_t *js, json_t *rec)
{
    json_t *idv = json_object_get(rec, "job_id");
    uint64_t id = json_is_integer(idv) ? (uint64_t)json_integer_value(idv) : 0;
    int64_t attempt = json_integer_value(json_object_get(rec, "attempt"));
    struct job *j;

    if (id == 0) {
        log_error("job_launch without a valid job_id: ignored");
        return;
    }
    j = jobs_find(js, id);
    if (j && attempt <= j->attempt) {
        log_info("job %llu: attempt %lld already here, launch ignored", (unsigned long long)id,
                 (long long)attempt);
        return;
    }
    if (j && !j->result) {
        launch_after(js, j, rec, attempt);
        /* A mock job ends at once: its result is there now. */
        if (!j->result)
            return;
        json_decref(j->next_launch);
        j->next_launch = NULL;
    }
    if (j) {
        /* A later attempt: the controller has settled the earlier one. */
        log_info("job %llu: attempt %lld replaces the result of attempt %lld",
                 (unsigned long long)id, (long long)attempt, (long long)j->attempt);
        jobs_ack(js, id, j->result_seq);
    }
    jobs_launch_now(js, rec);
}

void jobs_launch_now(jobs_t *js, json_t *rec)
{
    uint64_t id = (uint64_t)json_integer_value(json_object_get(rec, "job_id"));
    int64_t attempt = json_integer_value(json_object_get(rec, "attempt"));
    struct job *j;
    sl_error_t e;

    j = jobs_add(js, id);
    if (!j) {
        log_error("job %llu: out of memory", (unsigned long long)id);
        return;
    }
    j->attempt = attempt;
    if (js->mock) {
        mock_launch(js, j, rec);
        return;
    }
    /* The stepd stops the job once the node's lease runs out. */
    json_object_set_new(rec, "lease_file", json_string(js->lease_file));
    json_object_set_new(rec, "acct_freq", json_integer(js->acct_freq));
    if (task_prepare(js->task, rec, &e) < 0 || launch_prepare(js, j, rec, &e) < 0) {
        task_end(js->task, j->id, -1, NULL);    /* a cgroup made before the failure */
        launch_fail(js, j, e.text);
        return;
    }
    j->pid = jobs_spawn_stepd(js->stepd, "sluicestepd", j->dir, &e);
    if (j->pid < 0) {
        j->pid = 0;
        task_end(js->task, j->id, -1, NULL);
        launch_fail(js, j, e.text);
        return;
    }
    j->is_child = 1;
    if (jobs_watch(js, j, &e) < 0) {
        /* Without a watch we would never see it end: stop it now. */
        kill(j->pid, SIGKILL);
        waitpid(j->pid, NULL, 0);
        j->pid = 0;
        launch_fail(js, j, e.text);
        return;
    }
    log_info("job %llu: sluicestepd %ld started", (unsigned long long)id, (long)j->pid);
    js->ops.started(js->arg, id, attempt, j->pid);
}
