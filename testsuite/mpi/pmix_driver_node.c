/* pmix_driver_node.c: one fake node of the driver, playing the stepd for
 * the mpi/pmix plugin: forks the local ranks, answers fence and abort
 * through the hub, calls the fence completion on its main thread. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mpi_api.h"
#include "plugin.h"
#include "pmix_driver.h"

extern char **environ;

struct node {
    const struct drv_opts *o;
    uint32_t id, nlocal, first_rank;
    int fd;
    pthread_mutex_t send_lock;      /* the plugin's thread sends too */
    pthread_mutex_t fence_lock;
    mpi_fence_done_fn fence_done;
    void *fence_ctx;
    uint32_t fences;
    pid_t *pids;                    /* 0 once reaped */
    uint32_t live;
};

static int node_send(struct node *n, uint32_t type, uint32_t arg, const void *d, size_t len)
{
    pthread_mutex_lock(&n->send_lock);
    int rc = drv_send(n->fd, type, arg, d, len);
    pthread_mutex_unlock(&n->send_lock);
    return rc;
}

static int host_fence(void *arg, const void *data, size_t len, mpi_fence_done_fn done, void *ctx)
{
    struct node *n = arg;
    pthread_mutex_lock(&n->fence_lock);
    if (n->fence_done) {
        pthread_mutex_unlock(&n->fence_lock);
        fprintf(stderr, "driver: node %u: a second fence while one runs\n", n->id);
        return -1;
    }
    n->fence_done = done;
    n->fence_ctx = ctx;
    uint32_t seq = ++n->fences;
    pthread_mutex_unlock(&n->fence_lock);
    if (node_send(n, DRV_FENCE, seq, data, len) == 0)
        return 0;
    pthread_mutex_lock(&n->fence_lock);
    n->fence_done = NULL;
    pthread_mutex_unlock(&n->fence_lock);
    return -1;
}

static void host_abort(void *arg, int status, const char *message)
{
    struct node *n = arg;
    node_send(n, DRV_ABORT, (uint32_t)status, message, strlen(message));
}

static void host_log(void *arg, int level, const char *message)
{
    struct node *n = arg;
    if (level <= n->o->verbose)
        fprintf(stderr, "driver: node %u: %s\n", n->id, message);
}

static void node_fail(struct node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void node_fail(struct node *n, const char *fmt, ...)
{
    char text[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "driver: node %u: %s\n", n->id, text);
    node_send(n, DRV_ERROR, 0, text, strlen(text));
    node_send(n, DRV_NODE_DONE, 0, NULL, 0);
    _exit(1);
}

static void *plugin_handle;

static const struct mpi_ops *node_load(struct node *n)
{
    void *h = plugin_handle = dlopen(n->o->plugin, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        node_fail(n, "cannot load the plugin: %s", dlerror());
    const struct sl_plugin *p = dlsym(h, "sluice_plugin");
    if (!p || strcmp(p->type, "mpi") != 0 || p->abi != SL_PLUGIN_ABI)
        node_fail(n, "%s is not an mpi plugin of this ABI", n->o->plugin);
    return p->ops;
}

/* The task's environment: the plugin's variables, then the driver's own
 * (those the plugin did not set). */
static char **node_task_env(char **plugin_env)
{
    size_t np = 0, ne = 0;
    while (plugin_env[np])
        np++;
    while (environ[ne])
        ne++;
    char **env = calloc(np + ne + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < np; i++)
        env[k++] = plugin_env[i];
    for (size_t i = 0; i < ne; i++) {
        size_t klen = strcspn(environ[i], "=");
        int dup = 0;
        for (size_t j = 0; j < np && !dup; j++)
            dup = strncmp(plugin_env[j], environ[i], klen + 1) == 0;
        if (!dup)
            env[k++] = environ[i];
    }
    return env;
}

static void node_free_env(char **env)
{
    for (char **p = env; p && *p; p++)
        free(*p);
    free(env);
}

static void node_spawn(struct node *n, const struct mpi_ops *ops, void *state)
{
    for (uint32_t i = 0; i < n->nlocal; i++) {
        sl_error_t e = {{0}};
        char **penv = ops->task_env(state, i, &e);
        if (!penv)
            node_fail(n, "task_env: %s", e.text);
        char **env = node_task_env(penv);
        if (!env)
            node_fail(n, "%s", "out of memory");
        pid_t pid = fork();
        if (pid == 0) {
            /* Threads run in the parent: only exec from here (notes). */
            if (getuid() == 0 && n->o->uid != 0 &&
                (setgroups(0, NULL) != 0 || setgid(n->o->gid) != 0 || setuid(n->o->uid) != 0))
                _exit(126);
            execve(n->o->argv[0], n->o->argv, env);
            _exit(127);
        }
        free(env);
        node_free_env(penv);
        if (pid < 0)
            node_fail(n, "fork: %s", strerror(errno));
        n->pids[i] = pid;
        n->live++;
    }
}

static void node_kill(struct node *n, int sig)
{
    for (uint32_t i = 0; i < n->nlocal; i++)
        if (n->pids[i] > 0)
            kill(n->pids[i], sig);
}

static void node_reap(struct node *n, const struct mpi_ops *ops, void *state)
{
    int st;
    pid_t pid;
    while (n->live && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (uint32_t i = 0; i < n->nlocal; i++) {
            if (n->pids[i] != pid)
                continue;
            n->pids[i] = 0;
            n->live--;
            ops->task_exited(state, i, st);
            node_send(n, DRV_TASK_EXIT, n->first_rank + i, &st, sizeof st);
        }
    }
}

/* A message from the hub, on the main thread (where mpi_api.h promises the
 * fence completion comes).  Returns -1 when the hub is gone. */
static int node_from_hub(struct node *n)
{
    uint32_t type, arg;
    char *data;
    size_t len;
    if (drv_recv(n->fd, &type, &arg, &data, &len) < 0)
        return -1;
    if (type == DRV_KILL) {
        node_kill(n, (int)arg);
    } else if (type == DRV_FENCE_DONE) {
        pthread_mutex_lock(&n->fence_lock);
        mpi_fence_done_fn done = n->fence_done;
        void *ctx = n->fence_ctx;
        n->fence_done = NULL;
        pthread_mutex_unlock(&n->fence_lock);
        if (done)
            done(ctx, (int)arg, arg ? data : NULL, arg ? len : 0);
    }
    free(data);
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void node_drop(struct node *n)
{
    if (!n->o->drop || getuid() != 0 || n->o->uid == 0)
        return;
    if (setgroups(0, NULL) != 0 || setgid(n->o->gid) != 0 || setuid(n->o->uid) != 0)
        node_fail(n, "cannot become the user: %s", strerror(errno));
}

void drv_node_main(const struct drv_opts *o, uint32_t node_id, int fd)
{
    static struct node n;
    n.o = o;
    n.id = node_id;
    n.fd = fd;
    n.nlocal = o->tasks_per_node[node_id];
    for (uint32_t i = 0; i < node_id; i++)
        n.first_rank += o->tasks_per_node[i];
    pthread_mutex_init(&n.send_lock, NULL);
    pthread_mutex_init(&n.fence_lock, NULL);
    n.pids = calloc(n.nlocal ? n.nlocal : 1, sizeof *n.pids);
    node_drop(&n);
    const struct mpi_ops *ops = node_load(&n);

    /* The stepd's per-step directory: the user's, 0700. */
    char tmpdir[] = "/tmp/pmix-driver.XXXXXX";
    if (!mkdtemp(tmpdir))
        node_fail(&n, "mkdtemp: %s", strerror(errno));
    if (getuid() == 0 && o->uid != 0 && chown(tmpdir, o->uid, o->gid) != 0)
        node_fail(&n, "chown: %s", strerror(errno));
    struct mpi_step step = {
        .job_id = o->job_id, .step_id = 0, .node_id = node_id, .num_nodes = o->nodes,
        .node_names = (const char *const *)o->node_names, .tasks_per_node = o->tasks_per_node,
        .ntasks = o->ntasks, .nlocal = n.nlocal, .first_rank = n.first_rank,
        .uid = o->uid, .gid = o->gid, .tmpdir = tmpdir,
    };
    struct mpi_host host = {.arg = &n, .fence = host_fence, .abort = host_abort,
                            .log = host_log};
    sl_error_t e = {{0}};
    void *state = ops->step_create(&step, &host, &e);
    if (!state) {
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        node_fail(&n, "step_create: %s", e.text);
    }
    node_spawn(&n, ops, state);
    int hub_gone = 0;
    while (n.live) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (!hub_gone && poll(&p, 1, 20) > 0 && node_from_hub(&n) < 0) {
            hub_gone = 1;
            node_kill(&n, SIGKILL);
        }
        if (hub_gone)
            usleep(20000);
        node_reap(&n, ops, state);
    }
    ops->step_destroy(state);
    dlclose(plugin_handle);     /* as the stepd does (plugin_unload) */
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    node_send(&n, DRV_NODE_DONE, 0, NULL, 0);
    free(n.pids);
    /* exit, not _exit: a sanitizer build checks the plugin for leaks here. */
    exit(0);
}
