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

/* The controller's limit on components (src/ctld/hetjob.h). */
#define HETSTEP_MAX 5

struct hetstep {
    size_t n;
    unsigned comp[HETSTEP_MAX];     /* the component each child runs */
    int argc[HETSTEP_MAX];
    char **argv[HETSTEP_MAX];       /* each child's command line (malloc'd array) */
    pid_t pid[HETSTEP_MAX];
    int rfd[HETSTEP_MAX], wfd[HETSTEP_MAX];
    uint32_t ntasks[HETSTEP_MAX];
    char mpi[80];                   /* "--mpi=TYPE" of the first group, for the others */
};

/* What the parent relays once the children run: their layouts, then the
 * fences of a PMI plugin (each child's nodes' blobs, joined). */
struct relay {
    json_t *layout[HETSTEP_MAX];
    size_t nlayout;
    int fence;                      /* a fence is open */
    uint32_t seq;
    unsigned char *buf;
    size_t len;
    int got[HETSTEP_MAX];
    size_t ngot;
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

static int hs_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int hs_refuse(const char *fmt, ...)
{
    va_list ap;
    fputs("srun: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

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
        return hs_refuse("out of memory");
    if ((*cmd = jobopt_parse_argv(o, argc, argv, &e)) < 0) {
        jobopt_destroy(o);
        return hs_refuse("heterogeneous step group %zu: %s", k, e.text);
    }
    const char *why = jobopt_flag(o, "pty") ? "--pty" : jobopt_flag(o, "multi_prog")
                                                           ? "--multi-prog" : NULL;
    if (!why && k > 0 && jobopt_str(o, "input"))
        return jobopt_destroy(o), hs_refuse("heterogeneous step group %zu: --input applies "
                                            "to the whole step: give it in the first group",
                                            k);
    if (why) {
        jobopt_destroy(o);
        return hs_refuse("%s is not supported in a step over several heterogeneous job "
                         "components (see doc/slurm-compat.md)", why);
    }
    if (colon && jobopt_str(o, "het_group")) {
        jobopt_destroy(o);
        return hs_refuse("--het-group cannot be combined with ':': group k of the options "
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
    if (hetsplit_colon(argc, argv, starts, HETSTEP_MAX, &hs->n, &e) < 0)
        return hs_refuse("%s", e.text);
    for (size_t k = 0; k < hs->n; k++) {
        end[k] = k + 1 < hs->n ? starts[k + 1] : argc;
        hs->comp[k] = (unsigned)k;
        if (group_check(k, 1, end[k] - starts[k], argv + starts[k], &cmd[k],
                        k == 0 ? first : NULL) < 0)
            return -1;
        cmd[k] += starts[k];
    }
    for (size_t k = hs->n; k-- > 0;) {
        int from = (int)k;
        while (cmd[from] >= end[from] && (size_t)from + 1 < hs->n)
            from++;
        if (cmd[from] >= end[from])
            return hs_refuse("heterogeneous step group %zu: no command given to execute", k);
        char *pre[5];
        size_t npre = 0;
        for (size_t i = 0; k > 0 && i < sizeof(propagated) / sizeof(propagated[0]); i++)
            if (jobopt_flag(*first, propagated[i].key))
                pre[npre++] = (char *)propagated[i].word;
        /* one PMI over the components: the first group's type for all */
        if (k > 0 && jobopt_str(*first, "mpi")) {
            snprintf(hs->mpi, sizeof(hs->mpi), "--mpi=%s", jobopt_str(*first, "mpi"));
            pre[npre++] = hs->mpi;
        }
        /* options of group k, then the command (its own or a later group's) */
        char **opts = argv + starts[k] + 1;
        int nopt = cmd[k] < end[k] ? cmd[k] - starts[k] - 1 : end[k] - starts[k] - 1;
        char **a = argv_make(argv[0], pre, npre, opts, nopt);
        char **b = a ? argv_make(NULL, a + 1, npre + (size_t)nopt, argv + cmd[from],
                                 end[from] - cmd[from]) : NULL;
        free(a);
        if (!b)
            return hs_refuse("out of memory");
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
        return hs_refuse("--het-group=%s: this job is not heterogeneous (SLURM_HET_SIZE is "
                         "unset)", expr);
    if (hetsplit_groups(expr, (size_t)atol(size), hs->comp, HETSTEP_MAX, &hs->n, &e) < 0)
        return hs_refuse("%s", e.text);
    if (group_check(0, 0, argc, argv, &cmd, NULL) < 0)
        return -1;
    for (size_t k = 0; k < hs->n; k++) {
        hs->argv[k] = argv_make(argv[0], NULL, 0, argv + 1, argc - 1);
        hs->argc[k] = argc;
        if (!hs->argv[k])
            return hs_refuse("out of memory");
    }
    return 0;
}

static int full_io(int fd, void *buf, size_t len, int wr)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int hetmsg_send(int fd, uint32_t type, uint32_t seq, const void *data, uint32_t len)
{
    uint32_t hdr[3] = { type, seq, len };
    if (fd < 0 || full_io(fd, hdr, sizeof(hdr), 1) < 0)
        return -1;
    return len ? full_io(fd, (void *)data, len, 1) : 0;
}

int hetmsg_recv(int fd, uint32_t *type, uint32_t *seq, unsigned char **data, uint32_t *len)
{
    uint32_t hdr[3];
    *data = NULL;
    if (fd < 0 || full_io(fd, hdr, sizeof(hdr), 0) < 0 || hdr[2] > (1u << 30))
        return -1;
    if (!(*data = malloc((size_t)hdr[2] + 1)) || full_io(fd, *data, hdr[2], 0) < 0) {
        free(*data);
        *data = NULL;
        return -1;
    }
    (*data)[hdr[2]] = 0;
    *type = hdr[0];
    *seq = hdr[1];
    *len = hdr[2];
    return 0;
}

static void relay_close(struct hetstep *hs, size_t k)
{
    if (hs->rfd[k] >= 0)
        close(hs->rfd[k]);
    if (hs->wfd[k] >= 0)
        close(hs->wfd[k]);
    hs->rfd[k] = hs->wfd[k] = -1;
}

/* Every child's layout is in: each gets the whole step's, with where its
 * nodes start and the ids the PMI namespace is named after (component 0's). */
static void relay_layouts(struct hetstep *hs, struct relay *rl)
{
    json_t *names = json_array(), *tpn = json_array();
    size_t offsets[HETSTEP_MAX];
    for (size_t k = 0; k < hs->n; k++) {
        offsets[k] = json_array_size(names);
        json_array_extend(names, json_object_get(rl->layout[k], "node_names"));
        json_array_extend(tpn, json_object_get(rl->layout[k], "tasks_per_node"));
    }
    for (size_t k = 0; k < hs->n; k++) {
        json_t *a = json_pack("{s:O, s:O, s:i, s:O, s:O}", "het_nodes", names,
                              "het_tasks_per_node", tpn, "het_node_offset", (int)offsets[k],
                              "het_job_id", json_object_get(rl->layout[0], "job_id"),
                              "het_step_id", json_object_get(rl->layout[0], "step_id"));
        char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
        if (!text || hetmsg_send(hs->wfd[k], HETMSG_LAYOUT, 0, text, (uint32_t)strlen(text)))
            relay_close(hs, k);
        free(text);
        json_decref(a);
    }
    json_decref(names);
    json_decref(tpn);
}

static void relay_fence_end(struct hetstep *hs, struct relay *rl, int ok)
{
    for (size_t k = 0; k < hs->n; k++)
        if (hs->wfd[k] >= 0)
            hetmsg_send(hs->wfd[k], ok ? HETMSG_FENCE_OK : HETMSG_FENCE_FAIL, rl->seq,
                        rl->buf, ok ? (uint32_t)rl->len : 0);
    rl->fence = 0;
    rl->len = rl->ngot = 0;
    memset(rl->got, 0, sizeof(rl->got));
}

static void relay_fence_add(struct hetstep *hs, struct relay *rl, size_t k, uint32_t seq,
                            const unsigned char *d, uint32_t len)
{
    if (rl->fence && (seq != rl->seq || rl->got[k])) {
        relay_fence_end(hs, rl, 0);
        return;
    }
    unsigned char *nb = realloc(rl->buf, rl->len + len + 1);
    if (!nb) {
        relay_fence_end(hs, rl, 0);
        return;
    }
    rl->buf = nb;
    memcpy(rl->buf + rl->len, d, len);
    rl->len += len;
    rl->fence = 1;
    rl->seq = seq;
    rl->got[k] = 1;
    if (++rl->ngot == hs->n)
        relay_fence_end(hs, rl, 1);
}

/* A message from child k (or its end). */
static void relay_read(struct hetstep *hs, struct relay *rl, size_t k)
{
    uint32_t type, seq, len;
    unsigned char *d;
    if (hetmsg_recv(hs->rfd[k], &type, &seq, &d, &len) < 0) {
        relay_close(hs, k);
        if (rl->nlayout < hs->n)   /* it failed before its launch: the others stop too */
            for (size_t j = 0; j < hs->n; j++)
                relay_close(hs, j);
        else if (rl->fence)
            relay_fence_end(hs, rl, 0);
        return;
    }
    if (type == HETMSG_LAYOUT && !rl->layout[k]) {
        rl->layout[k] = json_loadb((const char *)d, len, 0, NULL);
        if (rl->layout[k] && ++rl->nlayout == hs->n)
            relay_layouts(hs, rl);
    } else if (type == HETMSG_FENCE) {
        relay_fence_add(hs, rl, k, seq, d, len);
    }
    free(d);
}

/* Component k's child: its srun, told where its ranks start. */
static int hetstep_fork(struct hetstep *hs, size_t k, int sigfd)
{
    int up[2], down[2];
    if (pipe(up) < 0)
        return hs_refuse("pipe: %s", strerror(errno));
    if (pipe(down) < 0) {
        close(up[0]);
        close(up[1]);
        return hs_refuse("pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(up[0]), close(up[1]), close(down[0]), close(down[1]);
        return hs_refuse("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        struct het_link h = { down[0], up[1], 0, 0, 0 };
        close(up[0]);
        close(down[1]);
        close(sigfd);
        cmd_client_drop();   /* one connection each: replies must not cross */
        for (size_t j = 0; j < k; j++)   /* so that each child sees its parent's EOF only */
            relay_close(hs, j);
        int rc = srun_het_use(hs->comp[k]) ? 1 : srun_one(hs->argc[k], hs->argv[k], &h);
        cmd_fini();
        exit(rc);
    }
    close(up[1]);
    close(down[0]);
    hs->pid[k] = pid;
    hs->rfd[k] = up[0];
    hs->wfd[k] = down[1];
    return 0;
}

/* Every child's task count, then each its first rank; 0, or -1 when one
 * could not make its request (it said why): the others are called off. */
static int hetstep_start(struct hetstep *hs)
{
    uint32_t total = 0;
    int ok = 1;
    for (size_t k = 0; k < hs->n; k++) {
        int nt = 0;
        if (read(hs->rfd[k], &nt, sizeof(nt)) != (ssize_t)sizeof(nt) || nt < 1)
            ok = 0;
        hs->ntasks[k] = ok ? (uint32_t)nt : 0;
        total += hs->ntasks[k];
    }
    for (size_t k = 0, off = 0; ok && k < hs->n; off += hs->ntasks[k++]) {
        uint32_t msg[3] = { (uint32_t)off, total, (uint32_t)hs->n };
        if (write(hs->wfd[k], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
            ok = 0;
    }
    for (size_t k = 0; !ok && k < hs->n; k++)
        relay_close(hs, k);   /* unanswered: that child stops before its step */
    return ok ? 0 : -1;
}

/* Wait for the children; a signal sent to this srun (not the terminal's,
 * which reached them too) goes on to each.  The highest exit status. */
static int hetstep_wait(struct hetstep *hs, int sigfd)
{
    size_t alive = hs->n;
    int rc = 0;
    struct relay rl;
    memset(&rl, 0, sizeof(rl));
    while (alive) {
        struct pollfd p[1 + HETSTEP_MAX];
        struct signalfd_siginfo si;
        p[0] = (struct pollfd){ sigfd, POLLIN, 0 };
        for (size_t k = 0; k < hs->n; k++)
            p[1 + k] = (struct pollfd){ hs->rfd[k], POLLIN, 0 };
        if (poll(p, 1 + hs->n, 200) > 0) {
            if (p[0].revents && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
                si.ssi_code != SI_KERNEL)
                for (size_t k = 0; k < hs->n; k++)
                    if (hs->pid[k] > 0)
                        kill(hs->pid[k], (int)si.ssi_signo);
            for (size_t k = 0; k < hs->n; k++)
                if (p[1 + k].revents && hs->rfd[k] >= 0)
                    relay_read(hs, &rl, k);
        }
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            for (size_t k = 0; k < hs->n; k++) {
                if (hs->pid[k] != pid)
                    continue;
                int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                rc = code > rc ? code : rc;
                hs->pid[k] = 0;
                alive--;
            }
        }
    }
    for (size_t k = 0; k < hs->n; k++) {
        relay_close(hs, k);
        json_decref(rl.layout[k]);
    }
    free(rl.buf);
    return rc;
}

/* Outside any allocation: a heterogeneous job of the groups' options, its
 * components' variables set as inside one.  Its id, or 0 after saying why. */
static int64_t hetstep_alloc(struct hetstep *hs, jobopt_t *first)
{
    sl_error_t e;
    json_t *spec = json_deep_copy(first->spec), *comps = json_array(), *rep;
    int64_t id = 0;
    for (size_t k = 1; k < hs->n; k++) {
        jobopt_t *o = jobopt_create(JOBOPT_SRUN);
        if (!o || jobopt_parse_argv(o, hs->argc[k], hs->argv[k], &e) < 0) {
            jobopt_destroy(o);
            json_decref(spec);
            json_decref(comps);
            return hs_refuse("out of memory"), 0;
        }
        json_array_append(comps, o->spec);
        jobopt_destroy(o);
    }
    json_object_set_new(spec, "het_components", comps);
    const char *prog = hs->argv[0][hs->argc[0] - 1];
    if (alloc_spec_place(spec, strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog, &e) < 0) {
        json_decref(spec);
        return hs_refuse("%s", e.text), 0;
    }
    if (!(rep = alloc_get(spec, "srun", jobopt_flag(first, "quiet"), &id)))
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(rep, "het_env"), key, v)
        setenv(key, json_string_value(v), 1);
    if (!getenv("SLURM_HET_SIZE")) {
        json_decref(rep);
        alloc_release(id, 1, 0, "srun");
        return hs_refuse("job %lld: the controller did not describe its components",
                         (long long)id), 0;
    }
    json_decref(rep);
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
        : !in_alloc ? hs_refuse("--het-group=%s applies only inside a heterogeneous job "
                                "allocation (an sbatch script or salloc)", list) < 0
                    : groups_from_list(&hs, list, argc, argv) < 0)
        goto out;
    if (in_alloc && has_colon(argc, argv)) {
        const char *size = getenv("SLURM_HET_SIZE");
        if (!size || (size_t)atol(size) < hs.n) {
            hs_refuse("the step has %zu groups of options (':') but the job %s %ld "
                      "heterogeneous component%s", hs.n, size ? "has" : "is not a",
                      size ? atol(size) : 1, size && atol(size) == 1 ? "" : "s");
            goto out;
        }
    } else if (!in_alloc && !(own = hetstep_alloc(&hs, first))) {
        goto out;
    }
    if ((sigfd = alloc_signalfd()) < 0) {
        hs_refuse("signalfd: %s", strerror(errno));
        goto out;
    }
    size_t started = 0;
    while (started < hs.n && hetstep_fork(&hs, started, sigfd) == 0)
        started++;
    int ok = started == hs.n;
    if (ok) {
        ok = hetstep_start(&hs) == 0;
    } else {
        for (size_t k = 0; k < started; k++)   /* EOF: they stop before their steps */
            relay_close(&hs, k);
        hs.n = started;
    }
    rc = hetstep_wait(&hs, sigfd);
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
