/* sluiced: the node daemon.  Registers the node's hardware with the
 * controller, starts one sluicestepd per job and reports how jobs end.
 * With NodesPerDaemon > 1 and MockExecution=yes (testing modes) one sluiced
 * serves several nodes: -N takes a host list. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "auth.h"
#include "conf.h"
#include "ctl.h"
#include "hostlist.h"
#include "hw.h"
#include "jobs.h"
#include "log.h"
#include "mock.h"
#include "server.h"
#include "spool.h"
#include "proto.h"
#include "step_launch.h"
#include "step_usage.h"
#include "file_bcast.h"
#include "task.h"
#include "topo.h"

struct opts {
    const char *conf_path;
    const char *node;
    int foreground;
    int verbose;
};

struct noded;

/* One node served by this process. */
struct nd_node {
    struct noded *d;
    size_t index;
    const struct conf_node *cfg;
    char spool[PATH_MAX];
    jobs_t *jobs;
    task_t *task;            /* TaskPlugin= (NULL in MockExecution) */
    struct hw_info hw;              /* discovered for this node, unless shared: */
    const struct hw_info *hwp;      /* this node's (its own, or an earlier node's with
                                     * the same TopologyFile) */
};

struct noded {
    conf_t *conf;
    const struct conf_node *node;   /* the first node: listening port, log name */
    struct nd_node *nodes;
    size_t nnodes;
    char stepd[PATH_MAX];
    struct event_base *base;
    struct event *sig_term, *sig_int;
    sl_auth_t *auth;
    sl_server_t *srv;
    ctl_t *ctl;
    struct step_server steps;
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: sluiced [-f CONF] -N NODENAME [-D] [-v]\n"
               "  -f, --conf=FILE      configuration file (default %s)\n"
               "  -N, --node=NAME      this node's name in the configuration; a host list\n"
               "                       (n[1-250]) serves several nodes, a testing mode that\n"
               "                       needs NodesPerDaemon and MockExecution=yes\n"
               "  -D, --foreground     do not daemonize\n"
               "  -v, --verbose        log at debug level\n"
               "  -h, --help           show this help\n"
               "  -V, --version        show the version\n", conf_default_path());
}

static void opts_parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        { "conf", required_argument, NULL, 'f' }, { "node", required_argument, NULL, 'N' },
        { "foreground", no_argument, NULL, 'D' }, { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },       { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "f:N:DvhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': o->conf_path = optarg; break;
        case 'N': o->node = optarg; break;
        case 'D': o->foreground = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("sluiced %s\n", PACKAGE_VERSION); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluiced: error: unexpected argument '%s'\n", argv[optind]);
        exit(2);
    }
    if (!o->node) {
        fprintf(stderr, "sluiced: error: the node name is required (-N NODENAME)\n");
        exit(2);
    }
}

/* -N: one node name, or a host list (a testing mode, checked later). */
static void noded_find_nodes(struct noded *d, const char *expr)
{
    sl_error_t e;
    hostlist_t *hl = hostlist_expand(expr, &e);

    if (!hl || hostlist_count(hl) == 0)
        log_fatal("-N %s: %s", expr, hl ? "names no node" : e.text);
    d->nnodes = hostlist_count(hl);
    d->nodes = calloc(d->nnodes, sizeof(*d->nodes));
    if (!d->nodes)
        log_fatal("out of memory");
    for (size_t i = 0; i < d->nnodes; i++) {
        const char *name = hostlist_nth(hl, i);
        struct nd_node *n = &d->nodes[i];
        n->cfg = conf_node_find(d->conf, name);
        if (!n->cfg)
            log_fatal("node %s is not defined in %s", name, d->conf->path);
        n->d = d;
        n->index = i;
    }
    hostlist_destroy(hl);
    d->node = d->nodes[0].cfg;
}

/* Several nodes in one process only as a benchmark mock: real jobs of many
 * nodes would share (and oversubscribe) this one host. */
static void noded_check_multi(const struct noded *d)
{
    if (d->nnodes <= 1)
        return;
    if (d->nnodes > d->conf->nodes_per_daemon)
        log_fatal("-N names %zu nodes but NodesPerDaemon=%u in %s: one sluiced serves at most "
                  "NodesPerDaemon nodes (a testing mode)", d->nnodes,
                  d->conf->nodes_per_daemon, d->conf->path);
    if (!d->conf->mock_execution)
        log_fatal("-N names %zu nodes: serving several nodes needs MockExecution=yes in %s "
                  "(real jobs of many nodes would overload this host)", d->nnodes,
                  d->conf->path);
}

/* SluicedLogFile with %n replaced.  Everything written to stderr goes
 * there, the stepds' messages included (they inherit it). */
static void noded_log_open(const conf_t *conf, const char *node)
{
    const char *pat = conf->noded_log_file;
    char path[PATH_MAX];
    size_t off = 0;
    int fd;

    if (!pat || !*pat)
        return;
    for (const char *p = pat; *p && off + 1 < sizeof(path); p++) {
        if (p[0] == '%' && p[1] == 'n') {
            off += (size_t)snprintf(path + off, sizeof(path) - off, "%s", node);
            p++;
        } else {
            path[off++] = *p;
        }
        if (off >= sizeof(path))
            off = sizeof(path) - 1;
    }
    path[off] = '\0';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        log_fatal("cannot open log file %s: %s", path, strerror(errno));
    dup2(fd, STDERR_FILENO);
    close(fd);
}

static void noded_setup_paths(struct noded *d)
{
    sl_error_t e;

    for (size_t i = 0; i < d->nnodes; i++) {
        struct nd_node *n = &d->nodes[i];
        if (spool_mkdir_p(n->cfg->spool_dir, 0755, &e) < 0)
            log_fatal("spool directory: %s", e.text);
        if (!realpath(n->cfg->spool_dir, n->spool))
            log_fatal("spool directory %s: %s", n->cfg->spool_dir, strerror(errno));
    }
    if (d->conf->mock_execution)
        return;   /* no stepd is ever started */
    jobs_find_stepd(d->stepd, sizeof(d->stepd));
    if (access(d->stepd, X_OK) < 0)
        log_warn("sluicestepd %s is not executable (%s): jobs will fail to launch",
                 d->stepd, strerror(errno));
}

/* TopologyFile relative to the configuration file's directory. */
static const char *topology_path(struct noded *d, const char *topo, char *path, size_t len)
{
    if (topo && topo[0] != '/' && d->conf->path && strchr(d->conf->path, '/')) {
        int dirlen = (int)(strrchr(d->conf->path, '/') - d->conf->path);
        snprintf(path, len, "%.*s/%s", dirlen, d->conf->path, topo);
        if (access(path, R_OK) == 0)
            return path;
    }
    return topo;
}

static int same_file(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_layout(const struct conf_node *a, const struct conf_node *b)
{
    return a->sockets == b->sockets && a->cores_per_socket == b->cores_per_socket &&
           a->threads_per_core == b->threads_per_core;
}

/* SLUICE_FAKE_HW that gives no layout (sockets=, cores=, threads=) takes the
 * node line's when it multiplies out to the fake CPU count: a test cluster
 * whose nodes are configured with two sockets gets a two-socket fake node,
 * not one flat socket. */
static int fake_discover(const char *fake, const struct conf_node *cfg, struct hw_info *hw,
                         sl_error_t *e)
{
    if (hw_parse_fake(fake, hw, e) < 0)
        return -1;
    if (strstr(fake, "sockets=") || strstr(fake, "cores=") || strstr(fake, "threads=") ||
        !cfg->sockets || !cfg->cores_per_socket || !cfg->threads_per_core ||
        (uint64_t)cfg->sockets * cfg->cores_per_socket * cfg->threads_per_core != hw->cpus ||
        (hw->sockets == cfg->sockets && hw->cores_per_socket == cfg->cores_per_socket &&
         hw->threads_per_core == cfg->threads_per_core))
        return 0;
    char spec[1024];
    snprintf(spec, sizeof(spec), "%s,sockets=%u,cores=%u,threads=%u", fake, cfg->sockets,
             cfg->cores_per_socket, cfg->threads_per_core);
    hw_info_clear(hw);
    return hw_parse_fake(spec, hw, e);
}

/* Each node its own hardware: several fake nodes on one host may each load
 * another TopologyFile.  Nodes naming the same file (or none) share one
 * discovery, so that a daemon serving many nodes probes the machine once. */
static void noded_discover(struct noded *d)
{
    const char *fake = getenv("SLUICE_FAKE_HW");
    for (size_t i = 0; i < d->nnodes; i++) {
        struct nd_node *n = &d->nodes[i];
        char path[PATH_MAX];
        sl_error_t e;
        for (size_t j = 0; j < i && !n->hwp; j++)
            if (same_file(d->nodes[j].cfg->topology_file, n->cfg->topology_file) &&
                (!fake || !*fake || same_layout(d->nodes[j].cfg, n->cfg)))
                n->hwp = d->nodes[j].hwp;
        if (n->hwp)
            continue;
        const char *topo = topology_path(d, n->cfg->topology_file, path, sizeof(path));
        if ((fake && *fake ? fake_discover(fake, n->cfg, &n->hw, &e)
                           : hw_discover(topo, &n->hw, &e)) < 0)
            log_fatal("node %s: hardware discovery: %s", n->cfg->name, e.text);
        n->hwp = &n->hw;
        log_info("node %s: %u cpus (%u sockets x %u cores x %u threads), %u gpus, %llu MiB%s%s",
                 n->cfg->name, n->hw.cpus, n->hw.sockets, n->hw.cores_per_socket,
                 n->hw.threads_per_core, n->hw.topo->ngpus, (unsigned long long)n->hw.memory_mb,
                 fake && *fake ? " (SLUICE_FAKE_HW)" : topo ? " from " : "",
                 fake && *fake ? "" : topo ? topo : "");
        for (uint32_t g = 0; g < n->hw.topo->ngpus; g++) {
            const struct topo_gpu *gp = &n->hw.topo->gpus[g];
            char *cpus = idset_encode(gp->cpus);
            log_info("node %s: gpu %u: %s %s \"%s\" bus %s minor %d, local cpus %s", n->cfg->name,
                     g, gp->vendor, gp->type, gp->name, gp->bus_id[0] ? gp->bus_id : "-",
                     (int)gp->minor, cpus ? cpus : "?");
            free(cpus);
        }
    }
}

/* TaskPlugin=: loaded before daemonizing, so that a plugin that cannot
 * work here (task/cgroup without a writable hierarchy) stops sluiced with
 * its reason on the terminal and a non-zero exit. */
static void noded_tasks(struct noded *d)
{
    sl_error_t e;

    if (d->conf->mock_execution)
        return;
    for (size_t i = 0; i < d->nnodes; i++) {
        /* The node's topology (hwloc, its TopologyFile, or its counts): a
         * fixture's CPUs are what masks are computed on. */
        d->nodes[i].task = task_create(d->conf, d->nodes[i].cfg->name, d->nodes[i].hwp->topo,
                                       &e);
        if (!d->nodes[i].task)
            log_fatal("%s", e.text);
    }
}

static void noded_daemonize(void)
{
    int fd;

    if (daemon(0, 1) < 0)
        log_fatal("cannot daemonize: %s", strerror(errno));
    fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    /* Without a log file there is nobody to read stderr any more. */
    if (isatty(STDERR_FILENO))
        dup2(fd, STDERR_FILENO);
    if (fd > 2)
        close(fd);
}

static void op_ping(sl_conn_t *conn, uint64_t id, json_t *body, void *arg)
{
    struct noded *d = arg;
    conn_reply(conn, id, json_pack("{s:s, s:I, s:s, s:I}", "node", d->node->name, "time",
                                   (json_int_t)time(NULL), "version", PACKAGE_VERSION,
                                   "nodes", (json_int_t)d->nnodes));
}

static void op_step_launch(sl_conn_t *conn, uint64_t id, json_t *body, void *arg)
{
    struct noded *d = arg;
    step_launch_serve(&d->steps, conn, id, body);
}

static void op_step_usage(sl_conn_t *conn, uint64_t id, json_t *body, void *arg)
{
    struct noded *d = arg;
    step_usage_serve(&d->steps, conn, id, body);
}

static void op_file_bcast(sl_conn_t *conn, uint64_t id, json_t *body, void *arg)
{
    struct noded *d = arg;
    file_bcast_serve(&d->steps, conn, id, body);
}

static jobs_t *node_jobs(void *arg, const char *name)
{
    struct noded *d = arg;
    for (size_t i = 0; name && i < d->nnodes; i++) {
        if (strcmp(d->nodes[i].cfg->name, name) == 0)
            return d->nodes[i].jobs;
    }
    return NULL;
}

/* The controller runs as SluiceUser: its grants are made by that uid. */
static uid_t noded_ctld_uid(const conf_t *conf)
{
    const char *u = conf->sluice_user;
    struct passwd *pw = (u && *u) ? getpwnam(u) : NULL;

    if (!pw && u && *u && strcmp(u, "root") != 0)
        log_warn("SluiceUser %s is not a user on this host: only grants made by root are "
                 "accepted", u);
    return pw ? pw->pw_uid : 0;
}

static const struct field_spec F_none[] = { FIELDS_END };

static const struct op_spec noded_ops[] = {
    { "ping", op_ping, 0, F_none },
    { "step_launch", op_step_launch, 0, step_launch_fields },
    { "step_usage", op_step_usage, 0, step_usage_fields },
    { "file_bcast", op_file_bcast, 0, file_bcast_fields },
    { NULL, NULL, 0, NULL },
};

static void on_started(void *arg, uint64_t job_id, int64_t attempt, pid_t pid)
{
    struct nd_node *n = arg;
    if (n->d->ctl)
        ctl_job_started(n->d->ctl, n->index, job_id, attempt, pid);
}

static void on_ended(void *arg, uint64_t job_id, uint64_t seq, json_t *result)
{
    struct nd_node *n = arg;
    if (n->d->ctl)
        ctl_job_ended(n->d->ctl, n->index, job_id, seq, result);
}

static void on_step_ended(void *arg, uint64_t job_id, int64_t step_id, int ok)
{
    struct nd_node *n = arg;
    if (n->d->ctl && step_id >= 0)
        ctl_step_ended(n->d->ctl, n->index, job_id, step_id, ok);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct noded *d = arg;
    log_info("signal %d: shutting down (jobs keep running)", (int)sig);
    event_base_loopbreak(d->base);
}

static void noded_start(struct noded *d)
{
    static const struct jobs_ops jops = { on_started, on_ended, on_step_ended };
    sl_error_t e;

    d->base = event_base_new();
    if (!d->base)
        log_fatal("cannot create the event loop");
    /* Orphans of a stepd that dies come to us, so that they can be found
     * and killed before the job's end is reported (leftovers.h). */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_fatal("cannot become a child subreaper: %s", strerror(errno));
    d->sig_term = evsignal_new(d->base, SIGTERM, on_stop_signal, d);
    d->sig_int = evsignal_new(d->base, SIGINT, on_stop_signal, d);
    if (!d->sig_term || !d->sig_int || evsignal_add(d->sig_term, NULL) < 0 ||
        evsignal_add(d->sig_int, NULL) < 0)
        log_fatal("cannot watch SIGTERM/SIGINT");
    d->auth = auth_create(d->conf, &e);
    if (!d->auth)
        log_fatal("authentication: %s", e.text);
    d->steps = (struct step_server){ d->auth, noded_ctld_uid(d->conf), d->conf->mock_execution,
                                     d->conf->plugin_dir, node_jobs, d, d->base };
    d->srv = server_create(d->base, d->node->hostname, d->node->port, d->auth, noded_ops, d,
                           &e);
    if (!d->srv)
        log_fatal("cannot listen on %s:%d: %s", d->node->hostname, d->node->port, e.text);
    struct ctl_node *cn = calloc(d->nnodes, sizeof(*cn));
    if (!cn)
        log_fatal("out of memory");
    for (size_t i = 0; i < d->nnodes; i++) {
        struct nd_node *n = &d->nodes[i];
        n->jobs = jobs_create(d->base, n->cfg->name, n->spool, d->stepd, &jops, n, &e);
        if (!n->jobs)
            log_fatal("%s", e.text);
        jobs_set_mock(n->jobs, d->conf->mock_execution);
        jobs_set_task(n->jobs, n->task);
        jobs_set_acct_freq(n->jobs, d->conf->acct_freq);
        if (jobs_recover(n->jobs, &e) < 0)
            log_fatal("%s", e.text);
        cn[i] = (struct ctl_node){ n->cfg->name, n->hwp, n->jobs };
    }
    d->ctl = ctl_create(d->base, d->conf, cn, d->nnodes, &e);
    free(cn);
    if (!d->ctl)
        log_fatal("%s", e.text);
    ctl_start(d->ctl);
}

static void noded_stop(struct noded *d)
{
    ctl_destroy(d->ctl);
    for (size_t i = 0; i < d->nnodes; i++) {
        jobs_destroy(d->nodes[i].jobs);
        task_destroy(d->nodes[i].task);
        hw_info_clear(&d->nodes[i].hw);
    }
    free(d->nodes);
    server_destroy(d->srv);
    auth_destroy(d->auth);
    if (d->sig_term)
        event_free(d->sig_term);
    if (d->sig_int)
        event_free(d->sig_int);
    if (d->base)
        event_base_free(d->base);
    libevent_global_shutdown();
    conf_destroy(d->conf);
}

int main(int argc, char **argv)
{
    struct opts o = { 0 };
    struct noded d = { 0 };
    sl_error_t e;

    opts_parse(argc, argv, &o);
    log_init("sluiced", LOG_LVL_INFO, NULL, 1);
    d.conf = conf_load(o.conf_path ? o.conf_path : conf_default_path(), &e);
    if (!d.conf)
        log_fatal("%s", e.text);
    noded_find_nodes(&d, o.node);
    log_set_level(o.verbose ? LOG_LVL_DEBUG : d.conf->log_level);
    noded_log_open(d.conf, d.node->name);
    if (conf_testing_check(d.conf, &e) < 0)
        log_fatal("%s", e.text);
    conf_testing_warn(d.conf);
    noded_check_multi(&d);
    /* Writes to a controller that went away must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    noded_discover(&d);
    noded_setup_paths(&d);
    noded_tasks(&d);
    if (!o.foreground)
        noded_daemonize();
    noded_start(&d);
    if (d.nnodes > 1)
        log_info("sluiced %s serving %zu nodes (%s): listening on %s:%d", PACKAGE_VERSION,
                 d.nnodes, o.node, d.node->hostname, d.node->port);
    else
        log_info("sluiced %s on node %s: listening on %s:%d, spool %s", PACKAGE_VERSION,
                 d.node->name, d.node->hostname, d.node->port, d.nodes[0].spool);
    event_base_dispatch(d.base);
    noded_stop(&d);
    log_info("stopped");
    log_fini();
    return 0;
}
