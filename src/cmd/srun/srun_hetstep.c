/* srun_hetstep.c: one step over several components of a heterogeneous job
 * (srun --het-group=0,1 app; srun -n1 a : -n2 b).  Each component is a job
 * of its own, so the step is a step of each of them: one srun child per
 * component runs its part (its options, its allocation, its I/O), and this
 * parent numbers the ranks across them (component 0's first), starts them
 * together, passes them signals sent to srun, and exits with the highest
 * status.  Outside any allocation, "A : B" first gets a heterogeneous
 * allocation (as sbatch's ":") and ends it with the step. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdutil.h"
#include "hetsplit.h"
#include "srun.h"

struct hetstep {
    struct het_pipes p;             /* p.n: the components */
    unsigned comp[HETSTEP_MAX];     /* the component each child runs */
    int argc[HETSTEP_MAX];
    char **argv[HETSTEP_MAX];       /* each child's command line (malloc'd array) */
    pid_t pid[HETSTEP_MAX];
    uint32_t ntasks[HETSTEP_MAX];
    uint32_t go[HETSTEP_MAX][4];    /* each child's answer: first rank, total, size, step id */
    int waiting;                    /* the children after the first wait for its step id */
    char mpi[80];                   /* "--mpi=TYPE" of the first group, for the others */
    char input[4200];               /* ... and its "--input=WHAT": it is the whole step's */
    const char *mp_path;            /* --multi-prog: the configuration file (global ranks) */
    int fanout;                     /* -i all: stdin goes to every child through tee */
    int infd[HETSTEP_MAX], outfd[HETSTEP_MAX];   /* their stdin pipes (-1: none) */
    pid_t tee;                      /* the process copying srun's stdin to them (0: none) */
};


/* What a group after the first takes from the first, as Slurm propagates
 * the step's I/O options; one a group gives itself stays. */
static const struct {
    const char *key, *word;
} propagated[] = {
    { "label", "--label" },
    { "unbuffered", "--unbuffered" },
    { "quiet", "--quiet" },
    { "kill_on_bad_exit", "--kill-on-bad-exit" },
};

static int has_colon(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], ":"))
            return 1;
    return 0;
}

int hetstep_wanted(const jobopt_t *o, int argc, char **argv)
{
    const char *g = jobopt_str(o, "het_group");
    if (has_colon(argc, argv))
        return 1;
    return g && strspn(g, "0123456789") != strlen(g);
}

/* A child's argv: argv[0], then words (count of them), as one array. */
static char **argv_make(char *argv0, char **pre, size_t npre, char **words, int count)
{
    char **a = calloc(npre + (size_t)count + 2, sizeof(*a));
    if (!a)
        return NULL;
    a[0] = argv0;
    if (npre)
        memcpy(a + 1, pre, npre * sizeof(*a));
    if (count > 0)
        memcpy(a + 1 + npre, words, (size_t)count * sizeof(*a));
    return a;
}

/* Check a group's options; *cmd gets where its command starts (its argc
 * when it has none). */
static int group_check(size_t k, int colon, int argc, char **argv, int *cmd, jobopt_t **out)
{
    sl_error_t e;
    jobopt_t *o = jobopt_create(JOBOPT_SRUN);
    if (!o)
        return srun_refuse(-1, "out of memory");
    if ((*cmd = jobopt_parse_argv(o, argc, argv, &e)) < 0) {
        jobopt_destroy(o);
        return srun_refuse(-1, "heterogeneous step group %zu: %s", k, e.text);
    }
    const char *why = jobopt_flag(o, "pty") ? "--pty" : NULL;
    const char *whole = jobopt_str(o, "input") ? "--input"
                        : jobopt_flag(o, "multi_prog") ? "--multi-prog" : NULL;
    if (!why && k > 0 && whole) {
        jobopt_destroy(o);
        return srun_refuse(-1, "heterogeneous step group %zu: %s applies to the whole step: "
                         "give it in the first group", k, whole);
    }
    if (why) {
        jobopt_destroy(o);
        return srun_refuse(-1, "%s is not supported in a step over several heterogeneous job "
                         "components (see doc/slurm-compat.md)", why);
    }
    if (colon && jobopt_str(o, "het_group")) {
        jobopt_destroy(o);
        return srun_refuse(-1, "--het-group cannot be combined with ':': group k of the options "
                         "runs on component k");
    }
    if (out)
        *out = o;
    else
        jobopt_destroy(o);
    return 0;
}

/* srun A : B: group k runs on component k; a group without a command runs
 * the next one's (srun -n1 : -n2 app runs app in both). */
static int groups_from_colon(struct hetstep *hs, int argc, char **argv, jobopt_t **first)
{
    int starts[HETSTEP_MAX], cmd[HETSTEP_MAX], end[HETSTEP_MAX];
    sl_error_t e;
    if (hetsplit_colon(argc, argv, starts, HETSTEP_MAX, &hs->p.n, &e) < 0)
        return srun_refuse(-1, "%s", e.text);
    for (size_t k = 0; k < hs->p.n; k++) {
        end[k] = k + 1 < hs->p.n ? starts[k + 1] : argc;
        hs->comp[k] = (unsigned)k;
        if (group_check(k, 1, end[k] - starts[k], argv + starts[k], &cmd[k],
                        k == 0 ? first : NULL) < 0)
            return -1;
        cmd[k] += starts[k];
    }
    for (size_t k = hs->p.n; k-- > 0;) {
        int from = (int)k;
        while (cmd[from] >= end[from] && (size_t)from + 1 < hs->p.n)
            from++;
        /* --multi-prog: the one file is the whole step's (srun --multi-prog f : -n2) */
        for (int f0 = 0; cmd[from] >= end[from] && jobopt_flag(*first, "multi_prog") &&
                         (size_t)f0 < hs->p.n; f0++)
            from = f0;
        if (cmd[from] >= end[from])
            return srun_refuse(-1, "heterogeneous step group %zu: no command given to execute", k);
        char *pre[7];
        size_t npre = 0;
        for (size_t i = 0; k > 0 && i < sizeof(propagated) / sizeof(propagated[0]); i++)
            if (jobopt_flag(*first, propagated[i].key))
                pre[npre++] = (char *)propagated[i].word;
        /* one PMI over the components: the first group's type for all */
        if (k > 0 && jobopt_str(*first, "mpi")) {
            snprintf(hs->mpi, sizeof(hs->mpi), "--mpi=%s", jobopt_str(*first, "mpi"));
            pre[npre++] = hs->mpi;
        }
        /* the ranks -i names are the step's: each component picks its own */
        if (k > 0 && jobopt_str(*first, "input")) {
            if ((size_t)snprintf(hs->input, sizeof(hs->input), "--input=%s",
                                 jobopt_str(*first, "input")) >= sizeof(hs->input))
                return srun_refuse(-1, "--input=%s: too long", jobopt_str(*first, "input"));
            pre[npre++] = hs->input;
        }
        if (k > 0 && jobopt_flag(*first, "multi_prog"))
            pre[npre++] = "--multi-prog";
        if (k == 0 && jobopt_flag(*first, "multi_prog"))
            hs->mp_path = argv[cmd[from]];
        /* options of group k, then the command (its own or a later group's) */
        char **opts = argv + starts[k] + 1;
        int nopt = cmd[k] < end[k] ? cmd[k] - starts[k] - 1 : end[k] - starts[k] - 1;
        char **a = argv_make(argv[0], pre, npre, opts, nopt);
        char **b = a ? argv_make(NULL, a + 1, npre + (size_t)nopt, argv + cmd[from],
                                 end[from] - cmd[from]) : NULL;
        free(a);
        if (!b)
            return srun_refuse(-1, "out of memory");
        b[0] = argv[0];
        hs->argv[k] = b;
        hs->argc[k] = 1 + (int)npre + nopt + end[from] - cmd[from];
    }
    return 0;
}

/* --het-group=0,1: the same command line on each listed component. */
static int groups_from_list(struct hetstep *hs, const char *expr, int argc, char **argv)
{
    const char *size = getenv("SLURM_HET_SIZE");
    int cmd;
    sl_error_t e;
    if (!size || !*size)
        return srun_refuse(-1, "--het-group=%s: this job is not heterogeneous (SLURM_HET_SIZE is "
                         "unset)", expr);
    if (hetsplit_groups(expr, (size_t)atol(size), hs->comp, HETSTEP_MAX, &hs->p.n, &e) < 0)
        return srun_refuse(-1, "%s", e.text);
    jobopt_t *o = NULL;
    if (group_check(0, 0, argc, argv, &cmd, &o) < 0)
        return -1;
    if (jobopt_flag(o, "multi_prog") && cmd < argc)
        hs->mp_path = argv[cmd];
    jobopt_destroy(o);
    for (size_t k = 0; k < hs->p.n; k++) {
        hs->argv[k] = argv_make(argv[0], NULL, 0, argv + 1, argc - 1);
        hs->argc[k] = argc;
        if (!hs->argv[k])
            return srun_refuse(-1, "out of memory");
    }
    return 0;
}

static void fanout_close(int *fds)
{
    for (size_t k = 0; k < HETSTEP_MAX; k++) {
        if (fds[k] >= 0)
            close(fds[k]);
        fds[k] = -1;
    }
}

/* -i all: a pipe for each child's stdin, made before the children. */
static int fanout_pipes(struct hetstep *hs)
{
    for (size_t k = 0; k < HETSTEP_MAX; k++)
        hs->infd[k] = hs->outfd[k] = -1;
    for (size_t k = 0; hs->fanout && k < hs->p.n; k++) {
        int fd[2];
        if (pipe(fd) < 0) {
            fanout_close(hs->infd);
            fanout_close(hs->outfd);
            return srun_refuse(-1, "pipe: %s", strerror(errno));
        }
        hs->infd[k] = fd[0];
        hs->outfd[k] = fd[1];
    }
    return 0;
}

/* The tee's loop: srun's stdin to every child still reading, until EOF
 * (then each child's tasks see EOF) or no child is left. */
static void fanout_copy(struct hetstep *hs)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        size_t alive = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (size_t k = 0; k < hs->p.n; k++) {
            for (ssize_t off = 0, w; hs->outfd[k] >= 0 && off < n; off += w) {
                if ((w = write(hs->outfd[k], buf + off, (size_t)(n - off))) < 0 &&
                    errno == EINTR) {
                    w = 0;
                } else if (w < 0) {   /* that child is gone: the others go on */
                    close(hs->outfd[k]);
                    hs->outfd[k] = -1;
                }
            }
            alive += hs->outfd[k] >= 0;
        }
        if (!alive)
            return;
    }
}

/* The children run: one process copies stdin to each (a blocking copy,
 * apart from the parent, whose relay must never wait on a child's input). */
static int fanout_start(struct hetstep *hs, int sigfd)
{
    fanout_close(hs->infd);
    if (!hs->fanout)
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        close(sigfd);
        for (size_t k = 0; k < hs->p.n; k++)   /* the children must see the parent's EOF */
            relay_close(&hs->p, k);
        fanout_copy(hs);
        _exit(0);
    }
    fanout_close(hs->outfd);
    if (pid < 0)
        return srun_refuse(-1, "fork: %s", strerror(errno));
    hs->tee = pid;
    return 0;
}

/* Component k's child: its srun, told where its ranks start. */
static int hetstep_fork(struct hetstep *hs, size_t k, int sigfd)
{
    int up[2], down[2];
    if (pipe(up) < 0)
        return srun_refuse(-1, "pipe: %s", strerror(errno));
    if (pipe(down) < 0) {
        close(up[0]);
        close(up[1]);
        return srun_refuse(-1, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(up[0]), close(up[1]), close(down[0]), close(down[1]);
        return srun_refuse(-1, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        struct het_link h = { down[0], up[1], 0, 0, 0, 0 };
        close(up[0]);
        close(down[1]);
        close(sigfd);
        cmd_client_drop();   /* one connection each: replies must not cross */
        for (size_t j = 0; j < k; j++)   /* so that each child sees its parent's EOF only */
            relay_close(&hs->p, j);
        if (hs->infd[k] >= 0)   /* -i all: its own copy of srun's stdin */
            dup2(hs->infd[k], STDIN_FILENO);
        fanout_close(hs->infd);
        fanout_close(hs->outfd);
        int rc = srun_het_use(hs->comp[k]) ? 1 : srun_one(hs->argc[k], hs->argv[k], &h);
        cmd_fini();
        exit(rc);
    }
    close(up[1]);
    close(down[0]);
    hs->pid[k] = pid;
    hs->p.rfd[k] = up[0];
    hs->p.wfd[k] = down[1];
    return 0;
}

/* --multi-prog: the file names the step's ranks, of every component (each
 * component's srun checks nothing: it knows its own count only). */
static int hetstep_multiprog(const char *path, uint32_t total)
{
    sl_error_t e;
    char *text = multiprog_read(path, &e);
    int rc = text ? multiprog_check(text, path, (int)total, &e) : -1;
    free(text);
    return rc < 0 ? srun_refuse(-1, "%s", e.text) : 0;
}

/* Every child's task count, then each its first rank; 0, or -1 when one
 * could not make its request (it said why): the others are called off. */
static int hetstep_start(struct hetstep *hs)
{
    uint32_t total = 0;
    int ok = 1;
    for (size_t k = 0; k < hs->p.n; k++) {
        int nt = 0;
        if (read(hs->p.rfd[k], &nt, sizeof(nt)) != (ssize_t)sizeof(nt) || nt < 1)
            ok = 0;
        hs->ntasks[k] = ok ? (uint32_t)nt : 0;
        total += hs->ntasks[k];
    }
    if (ok && hs->mp_path && hetstep_multiprog(hs->mp_path, total) < 0)
        ok = 0;
    for (size_t k = 0, off = 0; ok && k < hs->p.n; off += hs->ntasks[k++]) {
        hs->go[k][0] = (uint32_t)off;
        hs->go[k][1] = total;
        hs->go[k][2] = (uint32_t)hs->p.n;
        hs->go[k][3] = 0;
    }
    /* component 0 first: the others take its step id (as Slurm's J+k.S) */
    if (ok && write(hs->p.wfd[0], hs->go[0], sizeof(hs->go[0])) != (ssize_t)sizeof(hs->go[0]))
        ok = 0;
    hs->waiting = ok && hs->p.n > 1;
    for (size_t k = 0; !ok && k < hs->p.n; k++)
        relay_close(&hs->p, k);   /* unanswered: that child stops before its step */
    return ok ? 0 : -1;
}

/* Component 0's step is made (id step): the others go, asking for it. */
static void hetstep_rest(struct hetstep *hs, uint32_t step)
{
    hs->waiting = 0;
    for (size_t k = 1; k < hs->p.n; k++) {
        hs->go[k][3] = step;
        if (hs->p.wfd[k] < 0 ||
            write(hs->p.wfd[k], hs->go[k], sizeof(hs->go[k])) != (ssize_t)sizeof(hs->go[k]))
            relay_close(&hs->p, k);
    }
}

/* Wait for the children; a signal sent to this srun (not the terminal's,
 * which reached them too) goes on to each.  The highest exit status. */
static int hetstep_wait(struct hetstep *hs, int sigfd)
{
    size_t alive = hs->p.n;
    int rc = 0;
    struct het_relay *rl = relay_create();
    for (size_t k = 0; !rl && k < hs->p.n; k++)
        relay_close(&hs->p, k);   /* out of memory: the children stop before launching */
    while (alive) {
        struct pollfd p[1 + HETSTEP_MAX];
        struct signalfd_siginfo si;
        p[0] = (struct pollfd){ sigfd, POLLIN, 0 };
        for (size_t k = 0; k < hs->p.n; k++)
            p[1 + k] = (struct pollfd){ hs->p.rfd[k], POLLIN, 0 };
        if (poll(p, 1 + hs->p.n, 200) > 0) {
            if (p[0].revents && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
                si.ssi_code != SI_KERNEL)
                for (size_t k = 0; k < hs->p.n; k++)
                    if (hs->pid[k] > 0)
                        kill(hs->pid[k], (int)si.ssi_signo);
            for (size_t k = 0; k < hs->p.n; k++)
                if (p[1 + k].revents && hs->p.rfd[k] >= 0)
                    relay_read(&hs->p, rl, k);
            if (hs->waiting && relay_first_step(rl) >= 0)
                hetstep_rest(hs, (uint32_t)relay_first_step(rl));
        }
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            if (pid == hs->tee)
                hs->tee = 0;   /* stdin ended */
            for (size_t k = 0; k < hs->p.n; k++) {
                if (hs->pid[k] != pid)
                    continue;
                int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                /* a component's srun that died (a crash, SIGKILL) cannot end its
                 * part in order: the others end theirs rather than wait */
                if (WIFSIGNALED(st) && rl)
                    relay_kill(&hs->p, rl, k, 0);
                rc = code > rc ? code : rc;
                hs->pid[k] = 0;
                alive--;
            }
        }
    }
    for (size_t k = 0; k < hs->p.n; k++)
        relay_close(&hs->p, k);
    relay_destroy(rl);
    return rc;
}

/* Outside any allocation: a heterogeneous job of the groups' options, its
 * components' variables set as inside one.  Its id, or 0 after saying why. */
static int64_t hetstep_alloc(struct hetstep *hs, jobopt_t *first)
{
    sl_error_t e = { "" };
    json_t *spec = json_deep_copy(first->spec), *comps = json_array(), *rep;
    const char *prog = hs->argv[0][hs->argc[0] - 1], *key;
    int64_t id = 0;
    int rc = spec && comps ? 0 : sl_errprintf(&e, "out of memory");
    for (size_t k = 1; rc == 0 && k < hs->p.n; k++) {
        jobopt_t *o = jobopt_create(JOBOPT_SRUN);
        rc = !o ? sl_errprintf(&e, "out of memory")
                : jobopt_parse_argv(o, hs->argc[k], hs->argv[k], &e) < 0 ? -1 : 0;
        if (rc == 0)
            json_array_append(comps, o->spec);
        jobopt_destroy(o);
    }
    if (rc == 0) {
        json_object_set_new(spec, "het_components", comps);
        comps = NULL;
        rc = alloc_spec_place(spec, strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog, &e);
    }
    json_decref(comps);
    if (rc < 0) {
        json_decref(spec);
        srun_refuse(-1, "%s", e.text);
        return 0;
    }
    if (!(rep = alloc_get(spec, "srun", jobopt_flag(first, "quiet"), &id)))
        return 0;   /* it said why */
    json_t *v;
    json_object_foreach(json_object_get(rep, "het_env"), key, v)
        setenv(key, json_string_value(v), 1);
    json_decref(rep);
    if (!getenv("SLURM_HET_SIZE")) {
        alloc_release(id, 1, 0, "srun");
        srun_refuse(-1, "job %lld: the controller did not describe its components", (long long)id);
        return 0;
    }
    return id;
}

int hetstep_run(int argc, char **argv, int in_alloc)
{
    struct hetstep hs;
    jobopt_t *first = NULL, *o = jobopt_create(JOBOPT_SRUN);
    sl_error_t e;
    int rc = 1, sigfd = -1;
    int64_t own = 0;
    memset(&hs, 0, sizeof(hs));
    if (!o || jobopt_parse_argv(o, argc, argv, &e) < 0) {
        jobopt_destroy(o);
        return 1;
    }
    const char *list = jobopt_str(o, "het_group");
    if (has_colon(argc, argv) ? groups_from_colon(&hs, argc, argv, &first) < 0
        : !in_alloc ? srun_refuse(-1, "--het-group=%s applies only inside a heterogeneous job "
                                "allocation (an sbatch script or salloc)", list) < 0
                    : groups_from_list(&hs, list, argc, argv) < 0)
        goto out;
    if (in_alloc && has_colon(argc, argv)) {
        const char *size = getenv("SLURM_HET_SIZE");
        if (!size || !*size) {
            srun_refuse(-1, "the step has %zu groups of options (':') but this job is not "
                      "heterogeneous (SLURM_HET_SIZE is unset)", hs.p.n);
            goto out;
        }
        if ((size_t)atol(size) < hs.p.n) {
            srun_refuse(-1, "the step has %zu groups of options (':') but the job has %ld "
                      "heterogeneous components", hs.p.n, atol(size));
            goto out;
        }
    } else if (!in_alloc && !(own = hetstep_alloc(&hs, first))) {
        goto out;
    }
    if ((sigfd = alloc_signalfd()) < 0) {
        srun_refuse(-1, "signalfd: %s", strerror(errno));
        goto out;
    }
    const char *in = jobopt_str(o, "input");
    if (!in)   /* below the command line, as each child reads it too */
        in = getenv("SLURM_STDINMODE");
    hs.fanout = in && !strcasecmp(in, "all");
    if (fanout_pipes(&hs) < 0) {
        close(sigfd);
        goto out;
    }
    size_t started = 0;
    while (started < hs.p.n && hetstep_fork(&hs, started, sigfd) == 0)
        started++;
    int ok = started == hs.p.n && fanout_start(&hs, sigfd) == 0;
    if (ok) {
        ok = hetstep_start(&hs) == 0;
    } else {
        fanout_close(hs.infd);
        fanout_close(hs.outfd);
        for (size_t k = 0; k < started; k++)   /* EOF: they stop before their steps */
            relay_close(&hs.p, k);
        hs.p.n = started;
    }
    rc = hetstep_wait(&hs, sigfd);
    if (hs.tee > 0) {   /* still reading srun's stdin, which no task needs now */
        kill(hs.tee, SIGKILL);
        waitpid(hs.tee, NULL, 0);
    }
    if (!ok && !rc)
        rc = 1;
    close(sigfd);
out:
    if (own)
        alloc_release(own, rc, 0, "srun");
    for (size_t k = 0; k < HETSTEP_MAX; k++)
        free(hs.argv[k]);
    jobopt_destroy(first);
    jobopt_destroy(o);
    return rc;
}
