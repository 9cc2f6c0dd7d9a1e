/* pmix_driver: runs an MPI program over N fake nodes on this host with the
 * mpi/pmix plugin, without any Sluice daemon (testsuite/mpi/README.md).
 *
 *   pmix_driver [-v LEVEL] [-t SECONDS] [-j JOBID] [-u UID:GID [-D]]
 *               [-X fence-fail|fence-short] -N NODES -n TASKS[,TASKS...]
 *               PLUGIN.so PROGRAM [ARGS...]
 *
 * The hub (this process) joins the nodes' fence contributions, kills the
 * step on every node when a rank aborts or is killed by a signal (as
 * srun -K does), and exits like srun: the abort's status, 128+signal, or the
 * highest exit code; 124 on timeout.  Its last line on stderr says why. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pmix_driver.h"

#ifdef __SANITIZE_ADDRESS__
/* libpmix 4.2 keeps about 2 KB of its own allocations past
 * PMIx_server_finalize (every stack is inside libpmix.so); the plugin's own
 * allocations are still checked.  A stepd hosting the plugin needs the same
 * suppression in a sanitizer build. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpmix.so\n";
}

/* Without this the counts of suppressed leaks land in the log directory. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif

int drv_send(int fd, uint32_t type, uint32_t arg, const void *data, size_t len)
{
    uint32_t hdr[3] = {type, arg, (uint32_t)len};
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)data, len}};
    size_t left = sizeof hdr + len;
    int idx = 0;
    while (left) {
        ssize_t w = writev(fd, iov + idx, 2 - idx);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        left -= (size_t)w;
        while (idx < 2 && (size_t)w >= iov[idx].iov_len) {
            w -= (ssize_t)iov[idx].iov_len;
            idx++;
        }
        if (idx < 2) {
            iov[idx].iov_base = (char *)iov[idx].iov_base + w;
            iov[idx].iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

int drv_recv(int fd, uint32_t *type, uint32_t *arg, char **data, size_t *len)
{
    uint32_t hdr[3];
    *data = NULL;
    if (read_full(fd, hdr, sizeof hdr) < 0)
        return -1;
    *type = hdr[0];
    *arg = hdr[1];
    *len = hdr[2];
    *data = malloc(*len + 1);
    if (!*data || read_full(fd, *data, *len) < 0) {
        free(*data);
        *data = NULL;
        return -1;
    }
    (*data)[*len] = '\0';
    return 0;
}

struct hub {
    struct drv_opts *o;
    int *fds;               /* -1 once closed */
    pid_t *pids;
    int *done;              /* NODE_DONE seen */
    char **blobs;           /* this fence's contributions */
    size_t *blob_len;
    uint32_t nblobs;
    uint32_t fences;        /* completed so far */
    int aborted, abort_status, signaled, max_exit, failed, timed_out, killed;
};

static void hub_kill(struct hub *h, int sig)
{
    if (h->killed)
        return;
    h->killed = 1;
    for (uint32_t i = 0; i < h->o->nodes; i++)
        if (h->fds[i] >= 0)
            drv_send(h->fds[i], DRV_KILL, (uint32_t)sig, NULL, 0);
}

static void hub_fence_reset(struct hub *h)
{
    for (uint32_t i = 0; i < h->o->nodes; i++) {
        free(h->blobs[i]);
        h->blobs[i] = NULL;
    }
    h->nblobs = 0;
}

static void hub_fence_fail(struct hub *h)
{
    for (uint32_t i = 0; i < h->o->nodes; i++)
        if (h->fds[i] >= 0 && h->blobs[i])
            drv_send(h->fds[i], DRV_FENCE_DONE, 0, NULL, 0);
    hub_fence_reset(h);
}

static void hub_fence(struct hub *h, uint32_t node, char *data, size_t len)
{
    if (h->blobs[node]) {
        fprintf(stderr, "driver: node %u sent two contributions to one fence\n", node);
        free(data);
        return;
    }
    h->blobs[node] = data;
    h->blob_len[node] = len;
    if (++h->nblobs < h->o->nodes)
        return;
    size_t total = 0, pos = 0;
    for (uint32_t i = 0; i < h->o->nodes; i++)
        total += h->blob_len[i];
    char *all = malloc(total ? total : 1);
    /* Nodes in reverse order: the plugin must not rely on the order. */
    for (uint32_t i = h->o->nodes; all && i-- > 0; pos += h->blob_len[i])
        memcpy(all + pos, h->blobs[i], h->blob_len[i]);
    int ok = all != NULL;
    /* Faults, on the first fence only: a failed fence (a node lost), or a
     * result without node 0's contribution (it comes last). */
    if (h->fences++ == 0 && h->o->fault == DRV_FAULT_FAIL)
        ok = 0;
    if (h->fences == 1 && h->o->fault == DRV_FAULT_SHORT)
        total -= h->blob_len[0];
    for (uint32_t i = 0; i < h->o->nodes; i++)
        if (h->fds[i] >= 0)
            drv_send(h->fds[i], DRV_FENCE_DONE, (uint32_t)ok, all, ok ? total : 0);
    free(all);
    hub_fence_reset(h);
}

static void hub_task_exit(struct hub *h, uint32_t rank, const char *data, size_t len)
{
    int st;
    if (len != sizeof st)
        return;
    memcpy(&st, data, sizeof st);
    if (WIFSIGNALED(st)) {
        if (!h->signaled && !h->aborted && !h->killed) {
            h->signaled = WTERMSIG(st);
            fprintf(stderr, "driver: rank %u killed by signal %d\n", rank, WTERMSIG(st));
            hub_kill(h, SIGKILL);
        }
    } else if (WEXITSTATUS(st) > h->max_exit) {
        h->max_exit = WEXITSTATUS(st);
    }
}

static void hub_message(struct hub *h, uint32_t node)
{
    uint32_t type, arg;
    char *data;
    size_t len;
    if (drv_recv(h->fds[node], &type, &arg, &data, &len) < 0) {
        close(h->fds[node]);
        h->fds[node] = -1;
        if (!h->done[node]) {
            fprintf(stderr, "driver: node %u is gone\n", node);
            h->failed = 1;
            hub_fence_fail(h);
            hub_kill(h, SIGKILL);
        }
        return;
    }
    switch (type) {
    case DRV_FENCE:
        hub_fence(h, node, data, len);
        return;     /* data kept */
    case DRV_ABORT:
        if (!h->aborted && !h->signaled) {
            h->aborted = 1;
            h->abort_status = (int)arg;
            fprintf(stderr, "driver: abort from node %u: %s\n", node, data);
            hub_kill(h, SIGKILL);
        }
        break;
    case DRV_TASK_EXIT:
        hub_task_exit(h, arg, data, len);
        break;
    case DRV_ERROR:
        fprintf(stderr, "driver: node %u failed: %s\n", node, data);
        h->failed = 1;
        hub_kill(h, SIGKILL);
        break;
    case DRV_NODE_DONE:
        h->done[node] = 1;
        break;
    }
    free(data);
}

static int hub_run(struct hub *h, int timeout_s)
{
    uint32_t n = h->o->nodes;
    struct pollfd *p = calloc(n, sizeof *p);
    time_t deadline = time(NULL) + timeout_s;
    for (;;) {
        uint32_t open = 0;
        for (uint32_t i = 0; i < n; i++) {
            p[i].fd = h->fds[i];
            p[i].events = POLLIN;
            open += h->fds[i] >= 0;
        }
        if (!open)
            break;
        if (!h->timed_out && time(NULL) >= deadline) {
            h->timed_out = 1;
            fprintf(stderr, "driver: timeout after %d s, killing the step\n", timeout_s);
            hub_kill(h, SIGKILL);
        }
        if (poll(p, n, 500) < 0 && errno != EINTR)
            break;
        for (uint32_t i = 0; i < n; i++)
            if (h->fds[i] >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                hub_message(h, i);
    }
    free(p);
    for (uint32_t i = 0; i < n; i++)
        waitpid(h->pids[i], NULL, 0);
    if (h->timed_out)
        return fprintf(stderr, "driver: step ended: timeout\n"), 124;
    if (h->aborted)
        return fprintf(stderr, "driver: step ended: abort status %d\n", h->abort_status),
               h->abort_status & 0xff;
    if (h->signaled)
        return fprintf(stderr, "driver: step ended: signal %d\n", h->signaled),
               128 + h->signaled;
    if (h->failed)
        return fprintf(stderr, "driver: step ended: failed\n"), 1;
    fprintf(stderr, "driver: step ended: exit %d\n", h->max_exit);
    return h->max_exit;
}

static void usage(void)
{
    fprintf(stderr, "usage: pmix_driver [-v LEVEL] [-t SECONDS] [-j JOBID] [-u UID:GID [-D]] "
                    "[-X fence-fail|fence-short] -N NODES -n TASKS[,TASKS...] PLUGIN.so PROGRAM [ARGS...]\n");
    exit(2);
}

static int parse_tasks(struct drv_opts *o, const char *list)
{
    o->tasks_per_node = calloc(o->nodes, sizeof *o->tasks_per_node);
    o->node_names = calloc(o->nodes, sizeof *o->node_names);
    int one = strchr(list, ',') == NULL;    /* one count for every node */
    const char *p = list;
    for (uint32_t i = 0; i < o->nodes; i++) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 1024 || (*end != ',' && *end != '\0'))
            return -1;
        if (!one && (*end == ',') != (i + 1 < o->nodes))
            return -1;
        o->tasks_per_node[i] = (uint32_t)v;
        o->ntasks += (uint32_t)v;
        if (!one)
            p = end + 1;
        if (asprintf(&o->node_names[i], "n%u", i + 1) < 0)
            return -1;
    }
    return 0;
}

static void opts_free(struct drv_opts *o)
{
    for (uint32_t i = 0; o->node_names && i < o->nodes; i++)
        free(o->node_names[i]);
    free(o->node_names);
    free(o->tasks_per_node);
}

int main(int argc, char **argv)
{
    struct drv_opts o = {.job_id = (uint64_t)getpid(), .uid = getuid(), .gid = getgid()};
    const char *tasks = NULL;
    int timeout_s = 120, c;
    while ((c = getopt(argc, argv, "+v:t:j:u:DN:n:X:")) != -1) {
        switch (c) {
        case 'v': o.verbose = atoi(optarg); break;
        case 't': timeout_s = atoi(optarg); break;
        case 'j': o.job_id = strtoull(optarg, NULL, 10); break;
        case 'u': {
            unsigned u, g;
            if (sscanf(optarg, "%u:%u", &u, &g) != 2)
                usage();
            o.uid = u;
            o.gid = g;
            break;
        }
        case 'D': o.drop = 1; break;
        case 'X':
            if (strcmp(optarg, "fence-fail") == 0)
                o.fault = DRV_FAULT_FAIL;
            else if (strcmp(optarg, "fence-short") == 0)
                o.fault = DRV_FAULT_SHORT;
            else
                usage();
            break;
        case 'N': o.nodes = (uint32_t)atoi(optarg); break;
        case 'n': tasks = optarg; break;
        default: usage();
        }
    }
    if (o.nodes == 0 || o.nodes > 64 || !tasks || argc - optind < 2 || timeout_s <= 0)
        usage();
    if (parse_tasks(&o, tasks) < 0) {
        fprintf(stderr, "pmix_driver: -n %s: give one count, or one per node\n", tasks);
        opts_free(&o);
        return 2;
    }
    o.plugin = argv[optind];
    o.argv = argv + optind + 1;

    struct hub h = {.o = &o};
    h.fds = calloc(o.nodes, sizeof *h.fds);
    h.pids = calloc(o.nodes, sizeof *h.pids);
    h.done = calloc(o.nodes, sizeof *h.done);
    h.blobs = calloc(o.nodes, sizeof *h.blobs);
    h.blob_len = calloc(o.nodes, sizeof *h.blob_len);
    signal(SIGPIPE, SIG_IGN);
    for (uint32_t i = 0; i < o.nodes; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            perror("pmix_driver: socketpair");
            return 1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            for (uint32_t j = 0; j < i; j++)
                close(h.fds[j]);
            close(sv[0]);
            drv_node_main(&o, i, sv[1]);
        }
        close(sv[1]);
        h.fds[i] = sv[0];
        h.pids[i] = pid;
    }
    int rc = hub_run(&h, timeout_s);
    hub_fence_reset(&h);
    free(h.fds); free(h.pids); free(h.done); free(h.blobs); free(h.blob_len);
    opts_free(&o);
    return rc;
}
