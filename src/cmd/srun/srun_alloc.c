/* srun_alloc.c: getting an allocation (an alloc_only job) for srun outside
 * any allocation and for salloc, waiting for it, and giving it back.
 *
 * job_alloc_wait blocks until the job runs, which may take hours: it is
 * made on a connection of its own by a thread, while the main thread waits
 * on that thread and on the signals, so that Ctrl-C while waiting cancels
 * the job instead of leaving it queued. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobspec.h"
#include "parse.h"
#include "srun.h"

/* Signals the commands handle themselves; SIGPIPE is ignored instead. */
static const int alloc_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                  SIGCHLD };

void alloc_signals_block(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(alloc_sigs) / sizeof(alloc_sigs[0]); i++)
        sigaddset(set, alloc_sigs[i]);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int alloc_signalfd(void)
{
    sigset_t set;
    alloc_signals_block(&set);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int alloc_spec_place(json_t *spec, const char *name, sl_error_t *e)
{
    char cwd[PATH_MAX], host[256];
    if (!getcwd(cwd, sizeof(cwd)))
        return sl_errprintf(e, "cannot get the current directory: %s", strerror(errno));
    if (utf8_check(cwd, "the working directory", e))
        return -1;
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    json_object_set_new(spec, "submit_dir", json_string(cwd));
    if (!utf8_check(host, "the host name", NULL))
        json_object_set_new(spec, "submit_host", json_string(host));
    if (!json_object_get(spec, "cwd"))
        json_object_set_new(spec, "cwd", json_string(cwd));
    if (!json_object_get(spec, "name") && name && !utf8_check(name, "the name", NULL))
        json_object_set_new(spec, "name", json_string(name));
    json_object_set_new(spec, "alloc_only", json_true());
    return 0;
}

struct waiter {
    int64_t job_id;
    int pipe_w;          /* written once the reply (or error) is in */
    json_t *reply;
    sl_error_t err;
};

static void *waiter_run(void *arg)
{
    struct waiter *w = arg;
    sl_client_t *cl = client_open(cmd_conf_load(), &w->err);
    if (cl) {
        w->reply = client_call(cl, "job_alloc_wait",
                               json_pack("{s:I}", "job_id", (json_int_t)w->job_id), &w->err);
        client_close(cl);
    }
    if (write(w->pipe_w, "x", 1) < 0) {
        /* the main thread then sees the pipe's end when it exits */
    }
    return NULL;
}

static void alloc_cancel(int64_t id, const char *prog)
{
    sl_error_t e;
    json_t *r = cmd_try("job_cancel", json_pack("{s:[I]}", "job_ids", (json_int_t)id), &e);
    json_decref(r);
    fprintf(stderr, "%s: Job allocation %lld has been revoked.\n", prog, (long long)id);
}

/* Wait for the waiter or a signal; *queued_said once the job is said to be
 * waiting (after a second without resources, or at once when the reply of
 * job_submit says it is pending). */
static int alloc_wait_loop(struct waiter *w, int pipe_r, int sigfd, const char *prog,
                           int quiet, int queued)
{
    int said = 0;
    for (;;) {
        struct pollfd p[2] = { { pipe_r, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
        int n = poll(p, 2, said || quiet ? -1 : queued ? 0 : 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && !said) {
            fprintf(stderr, "%s: job %lld queued and waiting for resources\n", prog,
                    (long long)w->job_id);
            said = 1;
            continue;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
                si.ssi_signo != SIGCHLD && si.ssi_signo != SIGUSR1 &&
                si.ssi_signo != SIGUSR2) {
                alloc_cancel(w->job_id, prog);
                return -1;
            }
        }
        if (p[0].revents) {
            if (said && w->reply && !quiet)
                fprintf(stderr, "%s: job %lld has been allocated resources\n", prog,
                        (long long)w->job_id);
            return 0;
        }
    }
}

json_t *alloc_get(json_t *spec, const char *prog, int quiet, int64_t *job_id)
{
    sl_error_t e;
    int pfd[2], sigfd, rc;
    pthread_t th;
    struct waiter w = { 0, -1, NULL, { "" } };
    json_t *sub;
    const char *state;

    *job_id = 0;
    if (!(sub = cmd_try("job_submit", spec, &e))) {
        fprintf(stderr, "%s: error: Unable to allocate resources: %s\n", prog, e.text);
        return NULL;
    }
    w.job_id = *job_id = cmd_int(sub, "job_id");
    state = cmd_str(sub, "state");
    int pending = !strcmp(state, "PENDING");
    json_decref(sub);
    if (!strcmp(prog, "salloc") && !quiet)
        fprintf(stderr, "salloc: Pending job allocation %lld\n", (long long)w.job_id);
    if ((sigfd = alloc_signalfd()) < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
        fprintf(stderr, "%s: error: %s\n", prog, strerror(errno));
        alloc_cancel(w.job_id, prog);
        return NULL;
    }
    w.pipe_w = pfd[1];
    if ((rc = pthread_create(&th, NULL, waiter_run, &w)) != 0) {
        fprintf(stderr, "%s: error: cannot start a thread: %s\n", prog, strerror(rc));
        alloc_cancel(w.job_id, prog);
        return NULL;
    }
    if (alloc_wait_loop(&w, pfd[0], sigfd, prog, quiet, pending) < 0) {
        /* The cancel ends the waiter's call (the job ended first); w is on
         * this stack, so the thread must be done before it goes. */
        struct pollfd p = { pfd[0], POLLIN, 0 };
        close(sigfd);
        if (poll(&p, 1, 30000) <= 0) {
            fprintf(stderr, "%s: error: job_alloc_wait did not return\n", prog);
            _exit(1);
        }
        pthread_join(th, NULL);
        json_decref(w.reply);
        close(pfd[0]);
        close(pfd[1]);
        return NULL;
    }
    pthread_join(th, NULL);
    close(pfd[0]);
    close(pfd[1]);
    close(sigfd);
    if (!w.reply)
        fprintf(stderr, "%s: error: Job allocation %lld has been revoked: %s\n", prog,
                (long long)w.job_id, w.err.text);
    return w.reply;
}

/* How long a step's end waits for a controller that is restarting. */
#define ALLOC_REACH_S 60

json_t *alloc_call_fresh(const char *op, json_t *body, char *code, size_t codelen,
                         sl_error_t *e)
{
    /* The command's connection first; an error the controller sent has a
     * code, one of the connection (it restarted) has none. */
    json_t *r = cmd_try(op, json_incref(body), e);
    snprintf(code, codelen, "%s", r ? "" : client_last_code(cmd_client()));
    if (r || *code) {
        json_decref(body);
        return r;
    }
    for (int tries = 0;; tries++) {
        sl_client_t *cl = client_open(cmd_conf_load(), e);
        if (!cl) {
            if (tries >= ALLOC_REACH_S) {
                json_decref(body);
                snprintf(code, codelen, "EIO");
                return NULL;
            }
            sleep(1);
            continue;
        }
        r = client_call(cl, op, body, e);
        snprintf(code, codelen, "%s", r ? "" : client_last_code(cl));
        client_close(cl);
        return r;
    }
}

void alloc_release(int64_t job_id, int exit_code, int sig, const char *prog)
{
    sl_error_t e;
    char code[32];
    json_t *r = alloc_call_fresh("job_complete",
                                 json_pack("{s:I, s:i, s:i}", "job_id", (json_int_t)job_id,
                                           "exit_code", exit_code & 0xff, "signal", sig),
                                 code, sizeof(code), &e);
    if (!r)
        fprintf(stderr, "%s: error: job_complete of job %lld: %s\n", prog,
                (long long)job_id, e.text);
    json_decref(r);
}

void alloc_state(int64_t job_id, char *buf, size_t len)
{
    sl_error_t e;
    /* A connection each time: the allocation may outlive a controller restart. */
    json_t *r = client_call_once(cmd_conf_load(), "job_show",
                                 json_pack("{s:I}", "job_id", (json_int_t)job_id), &e);
    json_t *job = r ? json_object_get(r, "job") : NULL;
    snprintf(buf, len, "%s", job ? cmd_str(job, "slurm_state") : "");
    json_decref(r);
}
