/* mail.c: --mail-type: the controller runs MailProg at a job's events, as
 * Slurm's slurmctld does (agent.c mail_job_info, job_mgr.c), with Slurm's
 * subject lines, which mail filters and users' scripts read:
 *   Slurm Job_id=12 Name=x Began, Queued time 00:00:01
 *   Slurm Job_id=12 Name=x Ended, Run time 00:01:00, COMPLETED, ExitCode 0
 *   Slurm Array Task Job_id=20_3 (23) Name=x Failed, Run time ..., FAILED, ExitCode 1
 *   Slurm Array Summary Job_id=20_* (20) Name=x Ended, COMPLETED, ExitCode [0-0]
 * MailProg runs as "MailProg -s SUBJECT RECIPIENT", stdin /dev/null, in a
 * grandchild: the event loop never waits for it (the child exits at once
 * and is reaped at once; the grandchild belongs to init). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctld.h"
#include "log.h"
#include "mailtype.h"

#define MAIL_PROG_TIMEOUT 60   /* seconds: SIGALRM ends a MailProg that hangs */

/* Slurm's secs2time_str: "HH:MM:SS" or "D-HH:MM:SS". */
static void secs_text(int64_t s, char *buf, size_t len)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(buf, len, "%lld-%02lld:%02lld:%02lld", (long long)(s / 86400),
                 (long long)(s / 3600 % 24), (long long)(s / 60 % 60), (long long)(s % 60));
    else
        snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)(s / 3600),
                 (long long)(s / 60 % 60), (long long)(s % 60));
}

struct mail {
    char subject[1024];
    char *env[24];
    size_t nenv;
};

static void env_add(struct mail *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_add(struct mail *m, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    if (m->nenv + 1 >= sizeof(m->env) / sizeof(m->env[0]))
        return;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) >= 0)
        m->env[m->nenv++] = s;
    va_end(ap);
}

/* ", Queued time ..." or ", Run time ...", as Slurm's _set_job_time. */
static void time_part(const struct job *j, uint32_t type, struct mail *m, char *buf, size_t len)
{
    char t[64];
    buf[0] = '\0';
    if (type == MAIL_BEGIN && j->start_time && j->submit_time) {
        secs_text(j->start_time - j->submit_time, t, sizeof(t));
        snprintf(buf, len, ", Queued time %s", t);
        env_add(m, "SLURM_JOB_QUEUED_TIME=%s", t);
    } else if ((type & (MAIL_END | MAIL_FAIL | MAIL_REQUEUE)) && j->start_time) {
        /* A requeued attempt has no end time of its own: it ends now. */
        secs_text((j->end_time > 0 ? j->end_time : ctld_now()) - j->start_time, t, sizeof(t));
        snprintf(buf, len, ", Run time %s", t);
        env_add(m, "SLURM_JOB_RUN_TIME=%s", t);
    } else if ((type & MAIL_TIME_ANY) && j->start_time) {
        secs_text(ctld_now() - j->start_time, t, sizeof(t));
        snprintf(buf, len, ", Run time %s", t);
        env_add(m, "SLURM_JOB_RUN_TIME=%s", t);
    }
}

/* ", COMPLETED, ExitCode 0", or an array's ", Mixed, ExitCode [0-3]". */
static void term_part(const struct job *j, uint32_t type, int summary, struct mail *m,
                      char *buf, size_t len)
{
    const char *st = job_slurm_state(j);
    buf[0] = '\0';
    if (!(type & (MAIL_END | MAIL_FAIL)))
        return;
    if (summary) {
        int lo = j->array_exit_min, hi = j->array_exit_max;
        snprintf(buf, len, ", %s, ExitCode [%d-%d]", lo == 0 && hi > 0 ? "Mixed" : st, lo, hi);
        env_add(m, "SLURM_JOB_EXIT_CODE_MIN=%d", lo);
        env_add(m, "SLURM_JOB_EXIT_CODE_MAX=%d", hi);
    } else if (j->exit_signal) {
        snprintf(buf, len, ", %s", st);
        env_add(m, "SLURM_JOB_TERM_SIGNAL=%d", j->exit_signal);
    } else {
        snprintf(buf, len, ", %s, ExitCode %d", st, j->exit_code);
        env_add(m, "SLURM_JOB_EXIT_CODE_MAX=%d", j->exit_code);
    }
}

static void subject_make(const struct job *j, uint32_t type, struct mail *m)
{
    char when[128], term[128];
    const char *what = mailtype_event(type);
    int summary = job_is_array_parent(j);
    time_part(j, type, m, when, sizeof(when));
    term_part(j, type, summary, m, term, sizeof(term));
    if (summary)
        snprintf(m->subject, sizeof(m->subject), "Slurm Array Summary Job_id=%u_* (%u) "
                 "Name=%s %s%s", j->id, j->id, j->name, what, term);
    else if (j->array_job_id && j->array_task_id >= 0)
        snprintf(m->subject, sizeof(m->subject), "Slurm Array Task Job_id=%u_%d (%u) Name=%s "
                 "%s%s%s", j->array_job_id, j->array_task_id, j->id, j->name, what, when, term);
    else
        snprintf(m->subject, sizeof(m->subject), "Slurm Job_id=%u Name=%s %s%s%s", j->id,
                 j->name, what, when, term);
}

/* The job's user at MailDomain unless --mail-user gave an address. */
static char *recipient(struct ctld *c, const struct job *j)
{
    char *to = NULL;
    if (j->mail_user && *j->mail_user)
        return strdup(j->mail_user);
    if (c->conf->mail_domain && *c->conf->mail_domain) {
        if (asprintf(&to, "%s@%s", j->user, c->conf->mail_domain) < 0)
            return NULL;
        return to;
    }
    return strdup(j->user);
}

static void mail_env(struct ctld *c, const struct job *j, uint32_t type, struct mail *m)
{
    env_add(m, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    env_add(m, "SLURM_JOB_ID=%u", j->id);
    env_add(m, "SLURM_JOB_NAME=%s", j->name);
    env_add(m, "SLURM_JOB_USER=%s", j->user);
    env_add(m, "SLURM_JOB_UID=%u", j->uid);
    env_add(m, "SLURM_JOB_GID=%u", j->gid);
    env_add(m, "SLURM_JOB_STATE=%s", job_slurm_state(j));
    env_add(m, "SLURM_JOB_MAIL_TYPE=%s", mailtype_event(type));
    env_add(m, "SLURM_JOB_PARTITION=%s", j->partition ? j->partition : "");
    env_add(m, "SLURM_JOB_WORK_DIR=%s", j->cwd ? j->cwd : "");
    env_add(m, "SLURM_CLUSTER_NAME=%s", c->conf->cluster_name);
    if (j->array_job_id) {
        env_add(m, "SLURM_ARRAY_JOB_ID=%u", j->array_job_id);
        if (j->array_task_id >= 0)
            env_add(m, "SLURM_ARRAY_TASK_ID=%d", j->array_task_id);
    }
    m->env[m->nenv] = NULL;
}

/* Run MailProg in a grandchild; only async-signal-safe calls after fork. */
static void mail_spawn(const char *prog, const char *subject, const char *to, char **env)
{
    char *argv[] = { (char *)prog, "-s", (char *)subject, (char *)to, NULL };
    int status;
    pid_t pid = fork();
    if (pid < 0) {
        log_error("mail: fork: %m");
        return;
    }
    if (pid == 0) {
        if (fork() != 0)
            _exit(0);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
        setsid();
        alarm(MAIL_PROG_TIMEOUT);
        execve(prog, argv, env);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

void mail_time_watch(struct ctld *c, struct job *j);

/* Mail one event of j (no check of j's mail_type: the callers decide). */
static void mail_send(struct ctld *c, const struct job *j, uint32_t type)
{
    struct mail m = { .nenv = 0 };
    char *to = recipient(c, j);
    if (!to)
        return;
    mail_env(c, j, type, &m);
    subject_make(j, type, &m);
    log_info("job %u: mail to %s: %s", j->id, to, m.subject);
    if (access(c->conf->mail_prog, X_OK) < 0)
        log_error("job %u: MailProg %s cannot be run: %m", j->id, c->conf->mail_prog);
    else
        mail_spawn(c->conf->mail_prog, m.subject, to, m.env);
    for (size_t i = 0; i < m.nenv; i++)
        free(m.env[i]);
    free(to);
}

/* The array's record, when j is one of its tasks and mails for the whole
 * array (no ARRAY_TASKS). */
static struct job *array_of(struct ctld *c, const struct job *j)
{
    if (!j->array_job_id || j->array_task_id < 0 || (j->mail_type & MAIL_ARRAY_TASKS))
        return NULL;
    return jobtab_find(c->jobs, j->array_job_id);
}

void mail_job_began(struct ctld *c, struct job *j)
{
    struct job *p = array_of(c, j);
    mail_time_watch(c, j);
    if (!(j->mail_type & MAIL_BEGIN))
        return;
    if (j->array_job_id && j->array_task_id >= 0 && !(j->mail_type & MAIL_ARRAY_TASKS)) {
        /* The whole array begins with its first task (Slurm's _first_array_task). */
        if (!p || (p->mail_sent & MAIL_BEGIN))
            return;
        p->mail_sent |= MAIL_BEGIN;
        ctld_job_save(c, p);
        mail_send(c, p, MAIL_BEGIN);   /* "Slurm Array Summary Job_id=A_* (A) ..." */
        return;
    }
    mail_send(c, j, MAIL_BEGIN);
}

void mail_job_requeued(struct ctld *c, struct job *j)
{
    if ((j->mail_type & MAIL_REQUEUE) && !array_of(c, j))
        mail_send(c, j, MAIL_REQUEUE);
    j->mail_sent &= ~MAIL_TIME_ANY;   /* the next attempt's time limit is its own */
}

/* As Slurm's job_completion_logger: FAIL for a job that failed (FAILED,
 * TIMEOUT, NODE_FAIL, OUT_OF_MEMORY), END for one that completed or was
 * cancelled; an array mails once, when its last task ends, FAIL when a
 * task exited non-zero. */
void mail_job_ended(struct ctld *c, struct job *j)
{
    uint32_t want = j->mail_type;
    if (array_of(c, j) || (job_is_array_parent(j) && (want & MAIL_ARRAY_TASKS)))
        return;
    if (job_is_array_parent(j)) {
        if ((want & MAIL_FAIL) && j->array_exit_max != 0)
            mail_send(c, j, MAIL_FAIL);
        else if (want & MAIL_END)
            mail_send(c, j, MAIL_END);
        return;
    }
    if (j->end == END_COMPLETED || j->end == END_CANCELLED) {
        if (want & MAIL_END)
            mail_send(c, j, MAIL_END);
    } else if (want & MAIL_FAIL) {
        mail_send(c, j, MAIL_FAIL);
    }
}

/* Once, when the dependency is found never to be satisfied (Slurm's
 * handle_invalid_dependency). */
void mail_job_invalid_depend(struct ctld *c, struct job *j)
{
    if (!(j->mail_type & MAIL_INVALID_DEPEND) || (j->mail_sent & MAIL_INVALID_DEPEND))
        return;
    j->mail_sent |= MAIL_INVALID_DEPEND;
    ctld_job_save(c, j);
    mail_send(c, j, MAIL_INVALID_DEPEND);
}

/* TIME_LIMIT_50/80/90 and TIME_LIMIT: when the running job has used that
 * share of its limit.  Returns when the next of j's is due (0: none). */
static int64_t time_check(struct ctld *c, struct job *j, int64_t now)
{
    static const struct { uint32_t bit; int pct; } marks[] = {
        { MAIL_TIME50, 50 }, { MAIL_TIME80, 80 }, { MAIL_TIME90, 90 }, { MAIL_TIME100, 100 },
    };
    int64_t next = 0;
    if (!(j->mail_type & MAIL_TIME_ANY) || j->time_limit <= 0 || !j->start_time ||
        (j->state != JOB_RUNNING && j->state != JOB_STARTING))
        return 0;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        int64_t due = j->start_time + j->time_limit * marks[i].pct / 100;
        if (!(j->mail_type & marks[i].bit) || (j->mail_sent & marks[i].bit))
            continue;
        if (due <= now) {
            j->mail_sent |= marks[i].bit;
            ctld_job_save(c, j);
            mail_send(c, j, marks[i].bit);
        } else if (!next || due < next) {
            next = due;
        }
    }
    return next;
}

static void timer_set(struct ctld *c, int64_t at, int64_t now);

/* Due: check every job (only then, not at every start). */
static void time_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    int64_t now = ctld_now(), next = 0;
    c->mail_at = 0;
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        int64_t t = time_check(c, j, now);
        if (t && (!next || t < next))
            next = t;
    }
    timer_set(c, next, now);
}

static void timer_set(struct ctld *c, int64_t at, int64_t now)
{
    if (!at || (c->mail_at && c->mail_at <= at && c->mail_at > now))
        return;
    if (!c->mail_ev)
        c->mail_ev = evtimer_new(c->base, time_cb, c);
    struct timeval tv = { at > now ? at - now : 0, 0 };
    c->mail_at = at;
    evtimer_add(c->mail_ev, &tv);
}

void mail_time_watch(struct ctld *c, struct job *j)
{
    int64_t now = ctld_now();
    timer_set(c, time_check(c, j, now), now);
}
