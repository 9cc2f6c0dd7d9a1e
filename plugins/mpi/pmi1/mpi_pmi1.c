/* mpi/pmi1: a "simple PMI" (PMI-1) server in the step's stepd, for MPICH and
 * its kin, which do not speak PMIx.  Each local task reaches it over
 * loopback TCP (PMI_PORT, with PMI_ID = its rank): unlike PMI_FD, a port
 * needs no descriptor inherited across the stepd's fork, so no task holds
 * another task's socket open.  One thread serves every local task; a
 * barrier over the whole step is the host's fence, so the cross-node
 * exchange is the one PMIx uses.  doc/guide-mpi.md tells users about it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "mpi_api.h"
#include "plugin.h"
#include "pmi1_wire.h"

enum fence_state { FENCE_IDLE, FENCE_WAITING, FENCE_DONE, FENCE_FAILED };

struct pmi1_client {
    int fd;
    int rank;                  /* -1 until "cmd=initack pmiid=R" */
    bool in_barrier;
    size_t len;
    char in[PMI1_MAXLINE + 1];
};

struct pmi1 {
    struct mpi_host host;
    uint64_t job_id;
    uint32_t step_id, ntasks, nlocal, first_rank;
    char kvsname[64];
    char *mapping;
    int listen_fd, wake[2];
    uint16_t port;
    pthread_t thread;
    bool thread_started;
    struct pmi1_client *clients;   /* up to 2 * nlocal connections */
    size_t nclients, cap;
    json_t *kvs, *puts;
    pthread_mutex_t mu;            /* guards fence, fence_data, kvs during a fence */
    enum fence_state fence;
    json_t *fence_result;
};

static void pmi1_log(struct pmi1 *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pmi1_log(struct pmi1 *p, int level, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->host.log)
        p->host.log(p->host.arg, level, msg);
}

static void client_send(struct pmi1 *p, struct pmi1_client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void client_send(struct pmi1 *p, struct pmi1_client *c, const char *fmt, ...)
{
    char line[PMI1_MAXLINE + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        n = snprintf(line, sizeof line, "cmd=error rc=-1 msg=reply_too_long\n");
    for (size_t off = 0; off < (size_t)n;) {
        ssize_t w = write(c->fd, line + off, (size_t)n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            pmi1_log(p, 2, "pmi1: rank %d: write failed: %s", c->rank, strerror(errno));
            return;
        }
        off += (size_t)w;
    }
}

/* ---- the commands ---------------------------------------------------- */

typedef void (*cmd_fn)(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd);

static void barrier_maybe_start(struct pmi1 *p);

static void cmd_init(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *v = pmi1_cmd_get(cmd, "pmi_version");
    if (v && strcmp(v, "1") != 0) {
        client_send(p, c, "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=-1\n");
        pmi1_log(p, 0, "pmi1: rank %d asked for PMI version %s; this server speaks PMI-1 "
                 "(use --mpi=pmix for PMIx clients)", c->rank, v);
        return;
    }
    client_send(p, c, "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n");
}

static void cmd_get_maxes(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    client_send(p, c, "cmd=maxes kvsname_max=%d keylen_max=%d vallen_max=%d rc=0\n",
                PMI1_KVSNAME_MAX, PMI1_KEYLEN_MAX, PMI1_VALLEN_MAX);
}

static void cmd_get_appnum(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    client_send(p, c, "cmd=appnum appnum=0 rc=0\n");
}

static void cmd_get_universe(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    client_send(p, c, "cmd=universe_size size=%u rc=0\n", p->ntasks);
}

static void cmd_get_kvsname(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    client_send(p, c, "cmd=my_kvsname kvsname=%s rc=0\n", p->kvsname);
}

static void cmd_put(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *key = pmi1_cmd_get(cmd, "key"), *val = pmi1_cmd_get(cmd, "value");
    if (!key || !*key || !val || strlen(key) >= PMI1_KEYLEN_MAX
        || strlen(val) >= PMI1_VALLEN_MAX) {
        client_send(p, c, "cmd=put_result rc=-1 msg=bad_key_or_value\n");
        return;
    }
    json_object_set_new(p->puts, key, json_string(val));
    json_object_set_new(p->kvs, key, json_string(val));
    client_send(p, c, "cmd=put_result rc=0\n");
}

static void cmd_get(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *key = pmi1_cmd_get(cmd, "key");
    const char *val = NULL;
    if (key && strcmp(key, "PMI_process_mapping") == 0)
        val = p->mapping;
    else if (key)
        val = json_string_value(json_object_get(p->kvs, key));
    if (val)
        client_send(p, c, "cmd=get_result rc=0 value=%s\n", val);
    else
        client_send(p, c, "cmd=get_result rc=-1 msg=key_%.200s_not_found\n", key ? key : "");
}

static void cmd_barrier_in(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    c->in_barrier = true;
    barrier_maybe_start(p);
}

static void cmd_finalize(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    (void)cmd;
    client_send(p, c, "cmd=finalize_ack rc=0\n");
}

static void cmd_abort(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *v = pmi1_cmd_get(cmd, "exitcode");
    int status = v ? atoi(v) : 1;
    char msg[128];
    snprintf(msg, sizeof msg, "rank %d called abort (PMI_Abort) with status %d", c->rank, status);
    p->host.abort(p->host.arg, status, msg);
}

/* Dynamic processes and name publishing need a process manager that can
 * start jobs; refused with the reply each command's caller waits for. */
static void cmd_refuse(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *name = cmd->val[0];
    const char *reply = strcmp(name, "spawn") == 0 ? "spawn_result"
                      : strcmp(name, "publish_name") == 0 ? "publish_result"
                      : strcmp(name, "unpublish_name") == 0 ? "unpublish_result"
                      : "lookup_result";
    pmi1_log(p, 0, "pmi1: rank %d: '%s' is not supported by Sluice's PMI-1 server", c->rank,
             name);
    client_send(p, c, "cmd=%s rc=-1 msg=%s_not_supported\n", reply, name);
}

static const struct {
    const char *name;
    cmd_fn fn;
} pmi1_cmds[] = {
    { "init", cmd_init },
    { "get_maxes", cmd_get_maxes },
    { "get_appnum", cmd_get_appnum },
    { "get_universe_size", cmd_get_universe },
    { "get_my_kvsname", cmd_get_kvsname },
    { "put", cmd_put },
    { "get", cmd_get },
    { "barrier_in", cmd_barrier_in },
    { "finalize", cmd_finalize },
    { "abort", cmd_abort },
    { "spawn", cmd_refuse },
    { "publish_name", cmd_refuse },
    { "unpublish_name", cmd_refuse },
    { "lookup_name", cmd_refuse },
};

/* ---- the barrier: every local task, then every node ------------------- */

static void fence_done(void *ctx, int ok, const void *data, size_t len)
{
    struct pmi1 *p = ctx;
    json_t *result = json_object();
    sl_error_t e = { "" };
    if (ok && pmi1_blob_merge(result, data, len, &e) < 0) {
        pmi1_log(p, 0, "pmi1: %s", e.text);
        ok = 0;
    }
    pthread_mutex_lock(&p->mu);
    json_decref(p->fence_result);
    p->fence_result = ok ? result : NULL;
    if (!ok)
        json_decref(result);
    p->fence = ok ? FENCE_DONE : FENCE_FAILED;
    pthread_mutex_unlock(&p->mu);
    ssize_t w;
    do
        w = write(p->wake[1], "f", 1);
    while (w < 0 && errno == EINTR);
}

static void barrier_finish(struct pmi1 *p, bool ok)
{
    for (size_t i = 0; i < p->nclients; i++) {
        struct pmi1_client *c = &p->clients[i];
        if (!c->in_barrier)
            continue;
        c->in_barrier = false;
        client_send(p, c, ok ? "cmd=barrier_out rc=0\n" : "cmd=barrier_out rc=-1\n");
    }
}

static void barrier_maybe_start(struct pmi1 *p)
{
    uint32_t waiting = 0;
    for (size_t i = 0; i < p->nclients; i++)
        waiting += p->clients[i].rank >= 0 && p->clients[i].in_barrier;
    pthread_mutex_lock(&p->mu);
    bool idle = p->fence == FENCE_IDLE;
    if (idle && waiting == p->nlocal)
        p->fence = FENCE_WAITING;
    pthread_mutex_unlock(&p->mu);
    if (!idle || waiting < p->nlocal)
        return;
    size_t len;
    char *blob = pmi1_blob_pack(p->puts, &len);
    json_object_clear(p->puts);
    int rc = blob ? p->host.fence(p->host.arg, blob, len, fence_done, p) : -1;
    free(blob);
    if (rc < 0) {
        pmi1_log(p, 0, "pmi1: the barrier's exchange could not be sent to the other nodes");
        pthread_mutex_lock(&p->mu);
        p->fence = FENCE_IDLE;
        pthread_mutex_unlock(&p->mu);
        barrier_finish(p, false);
    }
}

/* On the server thread, after fence_done woke it. */
static void barrier_collect(struct pmi1 *p)
{
    pthread_mutex_lock(&p->mu);
    enum fence_state st = p->fence;
    json_t *result = p->fence_result;
    p->fence_result = NULL;
    if (st == FENCE_DONE || st == FENCE_FAILED)
        p->fence = FENCE_IDLE;
    pthread_mutex_unlock(&p->mu);
    if (st == FENCE_DONE) {
        json_object_update(p->kvs, result);
        barrier_finish(p, true);
    } else if (st == FENCE_FAILED) {
        pmi1_log(p, 0, "pmi1: the barrier failed on another node");
        barrier_finish(p, false);
    }
    json_decref(result);
}

/* ---- connections ------------------------------------------------------ */

static void client_initack(struct pmi1 *p, struct pmi1_client *c, const struct pmi1_cmd *cmd)
{
    const char *id = pmi1_cmd_get(cmd, "pmiid");
    char *end = NULL;
    long rank = id ? strtol(id, &end, 10) : -1;
    bool ok = id && *id && !*end && rank >= (long)p->first_rank
              && rank < (long)(p->first_rank + p->nlocal);
    for (size_t i = 0; ok && i < p->nclients; i++)
        ok = p->clients[i].rank != rank;
    if (!ok) {
        pmi1_log(p, 0, "pmi1: a connection claimed rank '%s', not a free local rank",
                 id ? id : "");
        client_send(p, c, "cmd=initack rc=-1\n");
        return;
    }
    c->rank = (int)rank;
    client_send(p, c, "cmd=initack rc=0\ncmd=set size=%u\ncmd=set rank=%d\ncmd=set debug=0\n",
                p->ntasks, c->rank);
}

/* One complete line from c.  Returns -1 to drop the connection. */
static int client_line(struct pmi1 *p, struct pmi1_client *c, const char *line, size_t len)
{
    struct pmi1_cmd cmd;
    sl_error_t e = { "" };
    if (pmi1_cmd_parse(&cmd, line, len, &e) < 0) {
        if (memmem(line, len, "cmd=fullinit", 12))
            snprintf(e.text, sizeof e.text, "the client speaks the PMI-2 wire protocol, which "
                     "Sluice does not serve: use an MPI built for PMI-1 or PMIx (--mpi=pmix)");
        pmi1_log(p, 0, "pmi1: rank %d: %s", c->rank, e.text);
        return -1;
    }
    const char *name = cmd.val[0];
    if (c->rank < 0) {
        if (strcmp(name, "initack") != 0) {
            pmi1_log(p, 0, "pmi1: '%s' before initack", name);
            return -1;
        }
        client_initack(p, c, &cmd);
        return c->rank < 0 ? -1 : 0;
    }
    for (size_t i = 0; i < sizeof pmi1_cmds / sizeof pmi1_cmds[0]; i++)
        if (strcmp(pmi1_cmds[i].name, name) == 0) {
            pmi1_cmds[i].fn(p, c, &cmd);
            return 0;
        }
    pmi1_log(p, 0, "pmi1: rank %d sent the unknown command '%.64s'", c->rank, name);
    client_send(p, c, "cmd=%.64s_result rc=-1 msg=unknown_command\n", name);
    return 0;
}

static void client_drop(struct pmi1 *p, size_t i)
{
    close(p->clients[i].fd);
    p->clients[i] = p->clients[--p->nclients];
}

/* Read what c sent; returns -1 when it closed or misbehaved. */
static int client_read(struct pmi1 *p, struct pmi1_client *c)
{
    ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    char *nl;
    while ((nl = memchr(c->in, '\n', c->len))) {
        size_t linelen = (size_t)(nl - c->in);
        if (client_line(p, c, c->in, linelen) < 0)
            return -1;
        c->len -= linelen + 1;
        memmove(c->in, nl + 1, c->len);
    }
    if (c->len == sizeof c->in - 1) {
        pmi1_log(p, 0, "pmi1: rank %d sent a line over %d bytes", c->rank, PMI1_MAXLINE);
        return -1;
    }
    return 0;
}

static void server_accept(struct pmi1 *p)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (p->nclients == p->cap) {
        pmi1_log(p, 0, "pmi1: more than %zu connections; refusing one", p->cap);
        close(fd);
        return;
    }
    p->clients[p->nclients++] = (struct pmi1_client){ .fd = fd, .rank = -1 };
}

static void *server_run(void *arg)
{
    struct pmi1 *p = arg;
    struct pollfd *fds = calloc(p->cap + 2, sizeof *fds);
    for (bool quit = false; fds && !quit;) {
        fds[0] = (struct pollfd){ .fd = p->wake[0], .events = POLLIN };
        fds[1] = (struct pollfd){ .fd = p->listen_fd, .events = POLLIN };
        size_t n = p->nclients;
        for (size_t i = 0; i < n; i++)
            fds[2 + i] = (struct pollfd){ .fd = p->clients[i].fd, .events = POLLIN };
        if (poll(fds, 2 + n, -1) < 0)
            continue;
        if (fds[0].revents) {
            char b[16];
            ssize_t r = read(p->wake[0], b, sizeof b);
            for (ssize_t i = 0; i < r; i++)
                quit |= b[i] == 'q';
            barrier_collect(p);
        }
        /* From the last, so that client_drop's swap does not skip one. */
        for (size_t i = n; i-- > 0;)
            if (fds[2 + i].revents && client_read(p, &p->clients[i]) < 0)
                client_drop(p, i);
        if (fds[1].revents)
            server_accept(p);
    }
    free(fds);
    return NULL;
}

/* ---- the plugin ------------------------------------------------------- */

static int server_listen(struct pmi1 *p, sl_error_t *e)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) < 0
        || listen(p->listen_fd, (int)p->cap) < 0
        || getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) < 0)
        return sl_errprintf(e, "pmi1: cannot listen on 127.0.0.1: %s", strerror(errno));
    p->port = ntohs(a.sin_port);
    return 0;
}

static void pmi1_destroy(void *state)
{
    struct pmi1 *p = state;
    if (!p)
        return;
    if (p->thread_started) {
        ssize_t w;
        do
            w = write(p->wake[1], "q", 1);
        while (w < 0 && errno == EINTR);
        pthread_join(p->thread, NULL);
    }
    for (size_t i = 0; i < p->nclients; i++)
        close(p->clients[i].fd);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    for (int i = 0; i < 2; i++)
        if (p->wake[i] >= 0)
            close(p->wake[i]);
    pthread_mutex_destroy(&p->mu);
    json_decref(p->kvs);
    json_decref(p->puts);
    json_decref(p->fence_result);
    free(p->mapping);
    free(p->clients);
    free(p);
}

static void *pmi1_create(const struct mpi_step *step, const struct mpi_host *host, sl_error_t *e)
{
    struct pmi1 *p = calloc(1, sizeof *p);
    if (!p) {
        sl_errprintf(e, "pmi1: out of memory");
        return NULL;
    }
    p->host = *host;
    p->job_id = step->job_id;
    p->step_id = step->step_id;
    p->ntasks = step->ntasks;
    p->nlocal = step->nlocal;
    p->first_rank = step->first_rank;
    p->listen_fd = p->wake[0] = p->wake[1] = -1;
    pthread_mutex_init(&p->mu, NULL);
    snprintf(p->kvsname, sizeof p->kvsname, "sluice.%llu.%u", (unsigned long long)p->job_id,
             p->step_id);
    p->cap = 2 * (size_t)p->nlocal + 4;
    p->clients = calloc(p->cap, sizeof *p->clients);
    p->mapping = pmi1_process_mapping(step->tasks_per_node, step->num_nodes);
    p->kvs = json_object();
    p->puts = json_object();
    if (!p->clients || !p->mapping || !p->kvs || !p->puts) {
        sl_errprintf(e, "pmi1: out of memory");
        goto fail;
    }
    if (pipe2(p->wake, O_CLOEXEC) < 0) {
        sl_errprintf(e, "pmi1: pipe: %s", strerror(errno));
        goto fail;
    }
    if (server_listen(p, e) < 0)
        goto fail;
    if (pthread_create(&p->thread, NULL, server_run, p) != 0) {
        sl_errprintf(e, "pmi1: cannot start the server thread");
        goto fail;
    }
    p->thread_started = true;
    return p;
fail:
    pmi1_destroy(p);
    return NULL;
}

static char *env_item(const char *key, unsigned long v)
{
    char *s = NULL;
    if (asprintf(&s, "%s=%lu", key, v) < 0)
        return NULL;
    return s;
}

static char **pmi1_task_env(void *state, uint32_t local_id, sl_error_t *e)
{
    struct pmi1 *p = state;
    unsigned long rank = (unsigned long)p->first_rank + local_id;
    char **env = calloc(5, sizeof *env);
    if (!env) {
        sl_errprintf(e, "pmi1: out of memory");
        return NULL;
    }
    if (asprintf(&env[0], "PMI_PORT=127.0.0.1:%u", p->port) < 0)
        env[0] = NULL;
    env[1] = env_item("PMI_ID", rank);
    env[2] = env_item("PMI_RANK", rank);
    env[3] = env_item("PMI_SIZE", p->ntasks);
    for (int i = 0; i < 4; i++)
        if (!env[i]) {
            for (int j = 0; j < 4; j++)
                free(env[j]);
            free(env);
            sl_errprintf(e, "pmi1: out of memory");
            return NULL;
        }
    return env;
}

static void pmi1_task_exited(void *state, uint32_t local_id, int wait_status)
{
    (void)state;
    (void)local_id;
    (void)wait_status;
}

static const struct mpi_ops pmi1_ops = {
    .step_create = pmi1_create,
    .task_env = pmi1_task_env,
    .task_exited = pmi1_task_exited,
    .step_destroy = pmi1_destroy,
};

/* Built twice: as "pmi1", and as "pmi2" for the scripts that name Slurm's
 * plugin for MPICH (--mpi=pmi2); the server is PMI-1 in both. */
#ifndef PMI1_PLUGIN_NAME
#define PMI1_PLUGIN_NAME "pmi1"
#endif
const struct sl_plugin sluice_plugin = { "mpi", PMI1_PLUGIN_NAME, SL_PLUGIN_ABI, &pmi1_ops };
