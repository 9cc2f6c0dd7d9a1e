/* mock.c: MockExecution jobs as timers (mock.h).  No job directory, no
 * process, nothing on disk: a sluiced restart loses them, and the
 * controller settles them as for a lost node (NODE_FAIL, or requeue). */
#include "mock.h"

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <event2/event.h>
#include "jobs_impl.h"
#include "log.h"

void jobs_set_mock(jobs_t *js, int on)
{
    js->mock = on;
}

/* The result the stepd would have written. */
static void mock_end(jobs_t *js, struct job *j, int sig, int timed_out, int cancelled)
{
    json_t *res = json_pack("{s:I, s:i, s:i, s:I, s:I, s:b, s:b, s:b}",
                            "job_id", (json_int_t)j->id, "exit_code", 0, "exit_signal", sig,
                            "start_time", (json_int_t)j->mock_start,
                            "end_time", (json_int_t)time(NULL), "timed_out", timed_out,
                            "cancelled", cancelled, "mock", 1);

    jobs_unwatch(j);
    log_info("job %llu: mock job ended (%s)", (unsigned long long)j->id,
             timed_out ? "time limit" : cancelled ? "cancelled" : sig ? "signalled" : "done");
    jobs_set_result(js, j, res, 0);
}

static void mock_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    mock_end(j->owner, j, j->mock_timeout ? SIGTERM : 0, j->mock_timeout, 0);
}

/* --signal=SIG@T: the stepd would send SIG T seconds before the limit. */
static void mock_warn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    log_info("job %llu: mock job gets its warning signal %d", (unsigned long long)j->id,
             j->mock_warn_sig);
    mock_signal(j->owner, j, j->mock_warn_sig);
}

static void mock_arm_warning(jobs_t *js, struct job *j, json_t *rec, int64_t secs,
                             int64_t limit)
{
    json_t *sig = json_object_get(rec, "warn_signal"), *wt = json_object_get(rec, "warn_time");
    int64_t at = limit - (json_is_integer(wt) ? json_integer_value(wt) : 60);
    struct timeval tv = { (time_t)(at > 0 ? at : 0), 0 };

    if (!json_is_integer(sig) || json_integer_value(sig) <= 0 || limit <= 0 || at >= secs)
        return;
    j->mock_warn_sig = (int)json_integer_value(sig);
    j->mock_warn = evtimer_new(js->base, mock_warn_cb, j);
    if (j->mock_warn)
        evtimer_add(j->mock_warn, &tv);
}

void mock_launch(jobs_t *js, struct job *j, json_t *rec)
{
    const char *script = json_string_value(json_object_get(rec, "script"));
    json_t *tl = json_object_get(rec, "time_limit");
    int64_t secs = mock_script_seconds(script ? script : "");
    int64_t limit = json_is_integer(tl) ? json_integer_value(tl) : -1;
    struct timeval tv = { 0, 0 };

    /* An allocation without a script holds until ended or its limit: a
     * year stands for "no limit". */
    if (json_is_true(json_object_get(rec, "alloc_only")))
        secs = 365LL * 24 * 3600;

    j->mock = 1;
    j->mock_start = time(NULL);
    if (limit > 0 && secs > limit) {
        secs = limit;
        j->mock_timeout = 1;
    }
    tv.tv_sec = (time_t)secs;
    j->ev = evtimer_new(js->base, mock_timer_cb, j);
    if (!j->ev || evtimer_add(j->ev, &tv) < 0) {
        jobs_set_result(js, j, jobs_failure(j->id, "mock execution: cannot set a timer"), 0);
        return;
    }
    mock_arm_warning(js, j, rec, secs, limit);
    log_info("job %llu: mock job started, ends in %lld s%s", (unsigned long long)j->id,
             (long long)secs, j->mock_timeout ? " (its time limit)" : "");
    js->ops.started(js->arg, j->id, j->attempt, 0);
}

/* What a signal would do to `sleep`: these leave it running. */
static int signal_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
           sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void mock_signal(jobs_t *js, struct job *j, int sig)
{
    if (sig == 0) {
        /* job_terminate: the stepd's SIGTERM ends the job cancelled. */
        mock_end(js, j, SIGTERM, 0, 1);
        return;
    }
    if (sig < 0 || sig >= NSIG || signal_ignored(sig)) {
        log_debug("job %llu: mock job ignores signal %d", (unsigned long long)j->id, sig);
        return;
    }
    mock_end(js, j, sig, 0, 0);
}
