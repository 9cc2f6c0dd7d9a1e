/* jobs_launch.c: job_launch -> job directory, launch.json, sluicestepd. */
#define _GNU_SOURCE
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "jobs_impl.h"
#include "log.h"
#include "spool.h"

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

/* In the child, before exec: a clean slate (signals, descriptors, session)
 * so that the stepd outlives this sluiced and owns nothing of it. */
static void stepd_child_setup(int keep_fd)
{
    sigset_t none;
    int fd = open("/dev/null", O_RDWR);

    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);   /* stderr stays: it is sluiced's log */
        if (fd > 2)
            close(fd);
    }
    for (int i = 3; i < keep_fd; i++)
        close(i);
    syscall(SYS_close_range, (unsigned)keep_fd + 1, ~0u, 0);
    if (chdir("/") < 0)
        _exit(126);
}

/* Fork and exec the stepd; an exec failure comes back through a pipe. */
static pid_t stepd_spawn(const char *stepd, const char *dir, sl_error_t *e)
{
    int p[2], err = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return sl_errprintf(e, "cannot create a pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0) {
        err = errno;
        close(p[0]);
        close(p[1]);
        return sl_errprintf(e, "cannot fork sluicestepd: %s", strerror(err));
    }
    if (pid == 0) {
        char *argv[] = { (char *)"sluicestepd", (char *)dir, NULL };
        close(p[0]);
        stepd_child_setup(p[1]);
        execv(stepd, argv);
        err = errno;
        (void)!write(p[1], &err, sizeof(err));
        _exit(127);
    }
    close(p[1]);
    do {
        n = read(p[0], &err, sizeof(err));
    } while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n == (ssize_t)sizeof(err)) {
        waitpid(pid, NULL, 0);
        return sl_errprintf(e, "cannot execute sluicestepd %s: %s", stepd, strerror(err));
    }
    return pid;
}

static int launch_check_user(const jobs_t *js, json_t *rec, sl_error_t *e)
{
    uid_t me = getuid();
    json_t *uid = json_object_get(rec, "uid");
    const char *user = json_string_value(json_object_get(rec, "user"));

    if (!json_is_integer(uid) || !user)
        return sl_errprintf(e, "launch record without uid or user");
    if (me != 0 && (uid_t)json_integer_value(uid) != me)
        return sl_errprintf(e, "sluiced on %s runs as uid %ld (not root) and cannot run jobs "
                               "of user %s", js->node_name, (long)me, user);
    return 0;
}

/* The directory holds the launch record (root's, private) and the script,
 * which the job's user must reach: traversable, not listable. */
static int launch_prepare(const jobs_t *js, struct job *j, json_t *rec, sl_error_t *e)
{
    if (mkdir(j->dir, getuid() == 0 ? 0711 : 0700) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create job directory %s: %s", j->dir, strerror(errno));
    if (getuid() == 0 && chmod(j->dir, 0711) < 0)
        return sl_errprintf(e, "cannot set mode of %s: %s", j->dir, strerror(errno));
    return spool_write_json(j->dir, "launch.json", rec, 0600, 0, e);
}

static void launch_fail(jobs_t *js, struct job *j, const char *msg)
{
    log_error("job %llu: launch failed: %s", (unsigned long long)j->id, msg);
    jobs_set_result(js, j, jobs_failure(j->id, "%s", msg), 1);
}

void jobs_launch(jobs_t *js, json_t *rec)
{
    json_t *idv = json_object_get(rec, "job_id");
    uint64_t id = json_is_integer(idv) ? (uint64_t)json_integer_value(idv) : 0;
    int64_t attempt = json_integer_value(json_object_get(rec, "attempt"));
    struct job *j;
    sl_error_t e;

    if (id == 0) {
        log_error("job_launch without a valid job_id: ignored");
        return;
    }
    j = jobs_find(js, id);
    if (j && !(j->result && attempt > j->attempt)) {
        log_info("job %llu: already here, launch ignored", (unsigned long long)id);
        return;
    }
    if (j) {
        /* A later attempt: the controller has settled the earlier one. */
        log_info("job %llu: attempt %lld replaces the result of attempt %lld",
                 (unsigned long long)id, (long long)attempt, (long long)j->attempt);
        jobs_ack(js, id, j->result_seq);
    }
    j = jobs_add(js, id);
    if (!j) {
        log_error("job %llu: out of memory", (unsigned long long)id);
        return;
    }
    j->attempt = attempt;
    if (launch_prepare(js, j, rec, &e) < 0 || launch_check_user(js, rec, &e) < 0) {
        launch_fail(js, j, e.text);
        return;
    }
    j->pid = stepd_spawn(js->stepd, j->dir, &e);
    if (j->pid < 0) {
        j->pid = 0;
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
    js->ops.started(js->arg, id, j->pid);
}
