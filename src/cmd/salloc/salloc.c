/* salloc: get an allocation (an alloc_only job), run a command in it
 * (default: the user's shell) with the SLURM_* variables that let srun and
 * mpirun inside use it, and give the allocation back when the command
 * exits, with its exit status.  If the allocation ends first (scancel, the
 * time limit) the command is told with SIGHUP, as Slurm does. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdutil.h"
#include "hetsplit.h"
#include "srun.h"

/* How often the allocation's state is asked while the command runs. */
#define SALLOC_POLL_MS 2000

static void setenv_int(const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    setenv(name, buf, 1);
}

/* SLURM_TASKS_PER_NODE as Slurm writes it: "2(x3),1". */
static void tasks_per_node(int ntasks, int nnodes, int tpn, char *buf, size_t len)
{
    int base, extra;
    if (nnodes <= 0)
        nnodes = 1;
    if (tpn > 0) {
        snprintf(buf, len, nnodes > 1 ? "%d(x%d)" : "%d", tpn, nnodes);
        return;
    }
    if (ntasks <= 0)
        ntasks = nnodes;
    base = ntasks / nnodes;
    extra = ntasks % nnodes;
    if (extra == 0)
        snprintf(buf, len, nnodes > 1 ? "%d(x%d)" : "%d", base, nnodes);
    else if (extra == 1)
        snprintf(buf, len, "%d,", base + 1);
    else
        snprintf(buf, len, "%d(x%d),", base + 1, extra);
    if (extra) {
        size_t n = strlen(buf);
        int rest = nnodes - extra;
        snprintf(buf + n, len - n, rest > 1 ? "%d(x%d)" : "%d", base, rest);
    }
}

static void salloc_env(const jobopt_t *o, const json_t *rep, int64_t id)
{
    const json_t *s = o->spec;
    int nnodes = (int)cmd_int(rep, "num_nodes");
    int ntasks = (int)cmd_int(s, "ntasks"), cpt = (int)cmd_int(s, "cpus_per_task");
    int tpn = (int)cmd_int(s, "ntasks_per_node");
    char tpnbuf[128];
    conf_t *c = cmd_conf_try();

    setenv_int("SLURM_JOB_ID", id);
    setenv_int("SLURM_JOBID", id);
    setenv("SLURM_JOB_NODELIST", cmd_str(rep, "nodes"), 1);
    setenv("SLURM_NODELIST", cmd_str(rep, "nodes"), 1);
    setenv_int("SLURM_JOB_NUM_NODES", nnodes);
    setenv_int("SLURM_NNODES", nnodes);
    setenv("SLURM_JOB_CPUS_PER_NODE", cmd_str(rep, "cpus_per_node"), 1);
    setenv("SLURM_JOB_PARTITION", cmd_str(rep, "partition"), 1);
    setenv("SLURM_CLUSTER_NAME", c && c->cluster_name ? c->cluster_name : "sluice", 1);
    setenv("SLURM_JOB_NAME", cmd_str(s, "name"), 1);
    setenv("SLURM_SUBMIT_DIR", cmd_str(s, "submit_dir"), 1);
    setenv("SLURM_SUBMIT_HOST", cmd_str(s, "submit_host"), 1);
    tasks_per_node(ntasks, nnodes, tpn, tpnbuf, sizeof(tpnbuf));
    setenv("SLURM_TASKS_PER_NODE", tpnbuf, 1);
    if (ntasks > 0 || tpn > 0) {
        setenv_int("SLURM_NTASKS", ntasks > 0 ? ntasks : tpn * nnodes);
        setenv_int("SLURM_NPROCS", ntasks > 0 ? ntasks : tpn * nnodes);
    }
    if (tpn > 0)
        setenv_int("SLURM_NTASKS_PER_NODE", tpn);
    if (cpt > 0)
        setenv_int("SLURM_CPUS_PER_TASK", cpt);
    if (cmd_int(s, "mem_mb") > 0)
        setenv_int("SLURM_MEM_PER_NODE", cmd_int(s, "mem_mb"));
}

static pid_t command_start(char **cmd)
{
    sigset_t none;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* An interactive shell keeps the terminal's process group; anything
     * else gets a group of its own, so that a revocation reaches all of it. */
    if (!isatty(STDIN_FILENO))
        setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execvp(cmd[0], cmd);
    fprintf(stderr, "salloc: error: cannot run %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
}

static void command_signal(pid_t pid, int sig)
{
    if (getpgid(pid) == pid)
        kill(-pid, sig);
    else
        kill(pid, sig);
}

/* The allocation is gone when the controller says it is no longer running. */
static int revoked(int64_t id, int quiet)
{
    char st[32];
    alloc_state(id, st, sizeof(st));
    if (!*st || !strcmp(st, "RUNNING") || !strcmp(st, "CONFIGURING"))
        return 0;
    if (!quiet && !strcmp(st, "TIMEOUT"))
        fprintf(stderr, "salloc: Job %lld has exceeded its time limit and its allocation "
                "has been revoked.\n", (long long)id);
    else if (!quiet)
        fprintf(stderr, "salloc: Job allocation %lld has been revoked.\n", (long long)id);
    return 1;
}

/* Wait for the command, forwarding signals (not SIGINT: the terminal gives
 * it to the command) and watching the allocation.  Its wait status. */
static int command_wait(pid_t pid, int64_t id, int quiet, int *gone)
{
    int sigfd = alloc_signalfd(), status = 0;
    *gone = 0;
    for (;;) {
        struct pollfd p = { sigfd, POLLIN, 0 };
        struct signalfd_siginfo si;
        int rc = poll(&p, 1, *gone ? -1 : SALLOC_POLL_MS);
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        if (rc == 0 && !*gone && revoked(id, quiet)) {
            *gone = 1;
            command_signal(pid, SIGHUP);
        }
        while (rc > 0 && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGINT)
                command_signal(pid, (int)si.ssi_signo);
    }
    close(sigfd);
    return status;
}

static int salloc_run(jobopt_t *o, int argc, char **argv, int idx)
{
    int quiet = jobopt_flag(o, "quiet"), gone, status, code, sig;
    const char *shell = getenv("SHELL");
    char *deflt[] = { (char *)(shell && *shell ? shell : "/bin/sh"), NULL };
    char **cmd = idx < argc ? argv + idx : deflt;
    const char *slash = strrchr(cmd[0], '/');
    json_t *spec = json_deep_copy(o->spec), *rep;
    int64_t id;
    sl_error_t e;
    pid_t pid;

    if (alloc_spec_place(spec, slash ? slash + 1 : cmd[0], &e) < 0) {
        json_decref(spec);
        fprintf(stderr, "salloc: error: %s\n", e.text);
        return 1;
    }
    json_object_update_missing(o->spec, spec);
    if (!(rep = alloc_get(spec, "salloc", quiet, &id)))
        return 1;
    if (!quiet)
        fprintf(stderr, "salloc: Granted job allocation %lld\n", (long long)id);
    if (json_integer_value(json_object_get(o->local, "verbose")) > 0 && !quiet)
        fprintf(stderr, "salloc: Nodes %s are ready for job %lld\n", cmd_str(rep, "nodes"),
                (long long)id);
    salloc_env(o, rep, id);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(rep, "het_env"), key, v)   /* salloc A : B */
        setenv(key, json_string_value(v), 1);
    json_decref(rep);
    if ((pid = command_start(cmd)) < 0) {
        fprintf(stderr, "salloc: error: fork: %s\n", strerror(errno));
        alloc_release(id, 1, 0, "salloc");
        return 1;
    }
    status = command_wait(pid, id, quiet, &gone);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (!gone) {
        if (!quiet)
            fprintf(stderr, "salloc: Relinquishing job allocation %lld\n", (long long)id);
        alloc_release(id, code, sig, "salloc");
    }
    return sig ? 128 + sig : code;
}

/* salloc A : B: the components after the first, each from its group of
 * options (resource options only: what salloc itself does is given once). */
static int salloc_het(jobopt_t *lead, int argc, char **argv, const int *starts, size_t n,
                      sl_error_t *e)
{
    json_t *comps = json_array();
    for (size_t k = 1; k < n; k++) {
        jobopt_t *o = jobopt_create(JOBOPT_SALLOC);
        int end = k + 1 < n ? starts[k + 1] : argc;
        int rc = !o ? sl_errprintf(e, "out of memory")
                    : jobopt_parse_argv(o, end - starts[k], argv + starts[k], e) < 0 ? -1 : 0;
        if (rc == 0 && json_object_size(o->local))
            rc = sl_errprintf(e, "%s applies to the whole heterogeneous job: give it in the "
                                 "first component only",
                              json_object_iter_key(json_object_iter(o->local)));
        if (rc == 0)
            json_array_append(comps, o->spec);
        else
            sl_errprefix(e, "heterogeneous job component %zu", k);
        jobopt_destroy(o);
        if (rc < 0) {
            json_decref(comps);
            return -1;
        }
    }
    json_object_set_new(lead->spec, "het_components", comps);
    return 0;
}

int main(int argc, char **argv)
{
    jobopt_t *o = jobopt_create(JOBOPT_SALLOC);
    sl_error_t e;
    int idx, rc = 1;

    cmd_init("salloc");
    if (!o)
        cmd_die("out of memory");
    if ((idx = jobopt_parse_argv(o, argc, argv, &e)) < 0) {
        fprintf(stderr, "salloc: error: %s\n", e.text);
        if (!strncmp(e.text, "option ", 7) || !strncmp(e.text, "unrecognized option", 19) ||
            !strncmp(e.text, "invalid option", 14))
            fputs("Try \"salloc --help\" for more information\n", stderr);
    } else if (jobopt_flag(o, "help") || jobopt_flag(o, "usage") || jobopt_flag(o, "version")) {
        if (jobopt_flag(o, "help"))
            jobopt_help(o, stdout);
        else if (jobopt_flag(o, "usage"))
            jobopt_usage(o, stdout);
        else
            cmd_version();
        rc = 0;
    } else {
        int starts[HETSPLIT_ARGV_MAX];
        size_t n = 1;
        jobopt_destroy(o);   /* again: SALLOC_* first, then the command line */
        o = jobopt_create(JOBOPT_SALLOC);
        if (o && (idx = hetsplit_argv(JOBOPT_SALLOC, argc, argv, starts, HETSPLIT_ARGV_MAX, &n,
                                      &e)) < 0)
            fprintf(stderr, "salloc: error: %s\n", e.text);
        else if (o && jobopt_load(o, n > 1 ? starts[1] : argc, argv, NULL, &e) < 0)
            fprintf(stderr, "salloc: error: %s\n", e.text);
        else if (o && n > 1 && salloc_het(o, argc, argv, starts, n, &e) < 0)
            fprintf(stderr, "salloc: error: %s\n", e.text);
        else if (o) {
            jobopt_warn(o, stderr);
            rc = salloc_run(o, argc, argv, idx);
        }
    }
    jobopt_destroy(o);
    cmd_fini();
    return rc;
}
