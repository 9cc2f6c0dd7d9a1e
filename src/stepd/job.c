#define _GNU_SOURCE
#include "job.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bind.h"
#include "jobenv.h"
#include "launch.h"
#include "log.h"
#include "outpath.h"
#include "spawn.h"
#include "status.h"
#include "supervise.h"
#include "usage.h"

/* Everything the job needs, built before the fork. */
struct job_prep {
    char script[PATH_MAX];
    char *out, *err, *in;
    char **argv;
    char **envp;
    struct rlimits rlimits;   /* taken out of envp */
};

static void prep_free(struct job_prep *p)
{
    free(p->out);
    free(p->err);
    free(p->in);
    free(p->argv);   /* its strings belong to the launch record */
    jobenv_free(p->envp);
}

/* sluiced has checked the user against the node's user database and
 * resolved the groups (src/noded/account.c); the stepd uses no name service. */
static int job_check_identity(const struct launch *l, sl_error_t *e)
{
    uid_t me = getuid();

    if (me != 0 && l->uid != me)
        return sl_errprintf(e, "sluicestepd runs as uid %ld (not root) and cannot run jobs of user %s",
                            (long)me, l->user);
    if (me == 0 && !l->groups)
        return sl_errprintf(e, "launch record for user %s has no group list", l->user);
    return 0;
}

static int job_write_script(const struct launch *l, const char *jobdir, struct job_prep *p,
                            sl_error_t *e)
{
    snprintf(p->script, sizeof(p->script), "%s/script", jobdir);
    if (status_write_file(jobdir, "script", l->script, strlen(l->script), 0700, 0, e) < 0)
        return -1;
    if (getuid() == 0 && chown(p->script, l->uid, l->gid) < 0)
        return sl_errprintf(e, "cannot give %s to uid %ld: %s", p->script, (long)l->uid,
                            strerror(errno));
    return 0;
}

static void job_prepare_files(const struct launch *l, struct job_prep *p)
{
    const char *dflt = l->array_task_id >= 0 ? "slurm-%A_%a.out" : "slurm-%j.out";

    p->out = outpath_expand(l, l->stdout_pat ? l->stdout_pat : dflt);
    p->err = l->stderr_pat ? outpath_expand(l, l->stderr_pat) : strdup(p->out);
    p->in = l->stdin_pat ? outpath_expand(l, l->stdin_pat) : strdup("/dev/null");
    if (!p->err || !p->in)
        abort();
}

static void job_prepare_argv(const struct launch *l, struct job_prep *p)
{
    size_t n = json_array_size(l->argv);

    p->argv = calloc(n + 2, sizeof(char *));
    if (!p->argv)
        abort();
    p->argv[0] = p->script;
    for (size_t i = 0; i < n; i++)
        p->argv[i + 1] = (char *)json_string_value(json_array_get(l->argv, i));
}

static void job_fill_exit(struct job_status *st, int ws)
{
    if (WIFEXITED(ws)) {
        st->exit_code = WEXITSTATUS(ws);
    } else if (WIFSIGNALED(ws)) {
        st->exit_signal = WTERMSIG(ws);
    }
}

static int job_start(const struct launch *l, const char *jobdir, const struct job_prep *p,
                     int sigfd,
                     struct job_status *st)
{
    struct spawn_req r = {
        .user = l->user, .uid = l->uid, .gid = l->gid, .change_user = getuid() == 0,
        .groups = l->groups, .ngroups = l->ngroups,
        .cwd = l->cwd, .script = p->script, .argv = p->argv, .envp = p->envp,
        .stdin_path = p->in, .stdout_path = p->out, .stderr_path = p->err,
        .append = l->append, .rlimits = &p->rlimits,
    };
    struct supervise_result res;
    struct bind_prep bind;
    sl_error_t e;
    int report;
    pid_t pid;
    char who[64];

    snprintf(who, sizeof(who), "job %llu", (unsigned long long)l->job_id);
    bind_prepare(l->root, 0, 0, l->node_name, who, &bind);
    r.bind = &bind;
    st->start_time = (int64_t)time(NULL);
    pid = l->alloc_only ? spawn_holder(&r, &report, &e) : spawn_job(&r, &report, &e);
    bind_free(&bind);
    if (pid < 0) {
        snprintf(st->failure, sizeof(st->failure), "%s", e.text);
        st->end_time = st->start_time;
        return 0;
    }
    log_info("job %llu: started %s %ld as user %s", (unsigned long long)l->job_id,
             l->alloc_only ? "the allocation's holder" : "process", (long)pid, l->user);
    /* For sluiced, should this stepd die: the job's group and session to
     * kill before the job's end is reported (doc/design.md). */
    if (status_write_pid_file(jobdir, "job.pid", pid, &e) < 0)
        log_warn("job %llu: %s", (unsigned long long)l->job_id, e.text);
    struct supervise_limits lim = { l->time_limit, l->kill_wait, (int)l->warn_signal,
                                    l->warn_time, (int)l->warn_batch_only, l->lease_file,
                                    l->mem_poll_mb,
                                    usage_create(1, 0, l->node_name, (int)l->acct_freq) };
    usage_set_cgroup(lim.usage, json_object_get(l->root, "cgroup_usage"));
    if (lim.usage && usage_snapshot_open(lim.usage, jobdir) < 0)
        log_warn("job %llu: no usage.json for sstat: %s", (unsigned long long)l->job_id,
                 strerror(errno));
    if (supervise_run(sigfd, pid, &lim, &res, &e) < 0) {
        log_error("job %llu: %s", (unsigned long long)l->job_id, e.text);
        usage_destroy(lim.usage);
        close(report);
        return -1;
    }
    st->end_time = (int64_t)time(NULL);
    if (lim.usage)
        st->usage = usage_finish(lim.usage);   /* every child is reaped by now */
    usage_destroy(lim.usage);
    job_fill_exit(st, res.wait_status);
    st->timed_out = res.timed_out;
    st->cancelled = res.cancelled;
    st->fenced = res.fenced;
    st->oom = res.oom;
    if (res.fenced)
        snprintf(st->failure, sizeof(st->failure), "stopped by node %s: no word from the "
                 "controller for the lease time (NodeTimeout)", l->node_name);
    spawn_read_report(report, st->failure, sizeof(st->failure));
    return 0;
}

int job_run(const struct launch *l, const char *jobdir, int sigfd, struct job_status *st)
{
    struct job_prep p = { 0 };
    sl_error_t e;
    int rc = 0;

    st->job_id = l->job_id;
    if (job_check_identity(l, &e) < 0 ||
        (!l->alloc_only && job_write_script(l, jobdir, &p, &e) < 0)) {
        snprintf(st->failure, sizeof(st->failure), "%s", e.text);
        st->exit_code = 1;
        st->start_time = st->end_time = (int64_t)time(NULL);
        return 0;
    }
    if (!l->alloc_only) {
        job_prepare_files(l, &p);
        job_prepare_argv(l, &p);
        p.envp = jobenv_build(l);
        rlimits_take(p.envp, &p.rlimits);
    }
    rc = job_start(l, jobdir, &p, sigfd, st);
    if (st->failure[0]) {
        log_error("job %llu: %s", (unsigned long long)l->job_id, st->failure);
        if (!st->exit_code && !st->exit_signal)
            st->exit_code = 1;
    }
    prep_free(&p);
    return rc;
}
