/* mpi/pmix: a PMIx server for one job step on one node, hosted by the
 * step's stepd (src/stepd/mpi_api.h).  doc/guide-mpi.md describes what the
 * tasks see; ../shared/notes/pmix-hwloc.md the pitfalls this code avoids. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "plugin.h"
#include "pmix_int.h"

struct pmixp_state *pmixp_current;

void pmixp_log(const struct pmixp_state *s, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->host.log)
        s->host.log(s->host.arg, level, msg);
}

/* A directory for the tasks: theirs even when the stepd is still root, or
 * OpenMPI cannot make its session directory in it. */
static char *pmixp_mkdir(const struct pmixp_state *s, const char *parent, const char *name,
                         sl_error_t *e)
{
    char *path;
    if (asprintf(&path, "%s/%s", parent, name) < 0) {
        sl_errprintf(e, "pmix: out of memory");
        return NULL;
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        sl_errprintf(e, "pmix: cannot create %s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    if (geteuid() == 0 && s->uid != 0 && chown(path, s->uid, s->gid) != 0) {
        sl_errprintf(e, "pmix: cannot give %s to uid %u: %s", path, (unsigned)s->uid,
                     strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

static int pmixp_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void pmixp_rmtree(char *path)
{
    if (path)
        nftw(path, pmixp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

static void pmixp_state_free(struct pmixp_state *s)
{
    if (!s)
        return;
    free(s->nsdir);
    pmixp_rmtree(s->jobdir);
    pmixp_rmtree(s->srvdir);
    if (s->node_names)
        for (uint32_t i = 0; i < s->num_nodes; i++)
            free(s->node_names[i]);
    free(s->node_names);
    free(s->tasks_per_node);
    free(s->finalized);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int pmixp_check_step(const struct mpi_step *st, sl_error_t *e)
{
    if (st->num_nodes == 0 || st->node_id >= st->num_nodes || !st->node_names ||
        !st->tasks_per_node || !st->tmpdir)
        return sl_errprintf(e, "pmix: bad step description (node %u of %u)", st->node_id,
                            st->num_nodes);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < st->num_nodes; i++)
        sum += st->tasks_per_node[i];
    if (sum != st->ntasks || st->tasks_per_node[st->node_id] != st->nlocal)
        return sl_errprintf(e, "pmix: bad step description: %u tasks but %llu over the nodes",
                            st->ntasks, (unsigned long long)sum);
    return 0;
}

static struct pmixp_state *pmixp_state_new(const struct mpi_step *st, const struct mpi_host *host,
                                           sl_error_t *e)
{
    struct pmixp_state *s = calloc(1, sizeof *s);
    if (!s) {
        sl_errprintf(e, "pmix: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->job_id = st->job_id;
    s->step_id = st->step_id;
    s->node_id = st->node_id;
    s->num_nodes = st->num_nodes;
    s->ntasks = st->ntasks;
    s->nlocal = st->nlocal;
    s->first_rank = st->first_rank;
    s->uid = st->uid;
    s->gid = st->gid;
    s->host = *host;
    snprintf(s->nspace, sizeof s->nspace, "slurm.pmix.%llu.%u", (unsigned long long)st->job_id,
             st->step_id);
    s->node_names = calloc(st->num_nodes, sizeof *s->node_names);
    s->tasks_per_node = calloc(st->num_nodes, sizeof *s->tasks_per_node);
    s->finalized = calloc(st->nlocal ? st->nlocal : 1, 1);
    if (!s->node_names || !s->tasks_per_node || !s->finalized)
        goto oom;
    for (uint32_t i = 0; i < st->num_nodes; i++) {
        s->tasks_per_node[i] = st->tasks_per_node[i];
        if (!(s->node_names[i] = strdup(st->node_names[i])))
            goto oom;
    }
    char host_name[256] = "";
    gethostname(host_name, sizeof host_name - 1);
    char *dot = strchr(host_name, '.');
    if (dot)
        *dot = '\0';
    s->fake_node = strcmp(host_name, s->node_names[s->node_id]) != 0;
    if (!(s->srvdir = pmixp_mkdir(s, st->tmpdir, "pmix-server", e)) ||
        !(s->jobdir = pmixp_mkdir(s, st->tmpdir, "pmix-job", e)) ||
        !(s->nsdir = pmixp_mkdir(s, s->jobdir, "ns", e))) {
        pmixp_state_free(s);
        return NULL;
    }
    return s;
oom:
    sl_errprintf(e, "pmix: out of memory");
    pmixp_state_free(s);
    return NULL;
}

/* PMIx_server_init loads the node's topology with hwloc, and hwloc then
 * loads every plugin it has: hwloc_opencl brings in the OpenCL ICD loader
 * (which probes vendors' drivers) and hwloc_gl libX11 (which may try a
 * display), both only to name devices the PMIx server does not need (GPUs
 * come from the PCI, CUDA, NVML or RSMI plugins; ours from the grant).
 * They are also the stepd's only libraries with thread-local storage
 * allocated on first use (dynamic TLS): under ASan, LeakSanitizer guesses
 * the size of such a block from the 16 bytes before it, and when the block
 * starts 16 bytes into a page (one allocation in 128 of its size class)
 * it reads ASan's own chunk header as a size and address, and its tracer
 * crashes at the stepd's exit.  An administrator's own list is kept. */
static void pmixp_hwloc_quiet(void)
{
    setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_opencl,hwloc_gl", 0);
}

static int pmixp_server_start(struct pmixp_state *s, sl_error_t *e)
{
    /* The hash store: the shared-memory one logs errors when the tasks are
     * another user's and when two servers share a host (notes). */
    setenv("PMIX_MCA_gds", "hash", 0);
    pmixp_hwloc_quiet();
    void *list = PMIx_Info_list_start();
    pmix_rank_t srank = s->node_id;
    PMIx_Info_list_add(list, PMIX_SERVER_TMPDIR, s->srvdir, PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_SYSTEM_TMPDIR, s->srvdir, PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_SERVER_RANK, &srank, PMIX_PROC_RANK);
    /* Exactly the node map's name, or every peer looks remote (notes). */
    PMIx_Info_list_add(list, PMIX_HOSTNAME, s->node_names[s->node_id], PMIX_STRING);
    if (geteuid() == 0 && s->uid != 0) {
        PMIx_Info_list_add(list, PMIX_USERID, &s->uid, PMIX_UINT32);
        PMIx_Info_list_add(list, PMIX_GRPID, &s->gid, PMIX_UINT32);
    }
    pmix_data_array_t arr;
    PMIx_Info_list_convert(list, &arr);
    PMIx_Info_list_release(list);
    pmixp_current = s;
    /* libpmix's threads, started here, inherit this mask: with every
     * asynchronous signal blocked in them, the stepd's signals (SIGCHLD,
     * SIGTERM...) reach the stepd's own thread, whether it handles them
     * with handlers or a signalfd. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pmix_status_t rc = PMIx_server_init(&pmixp_module, arr.array, arr.size);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    PMIX_DATA_ARRAY_DESTRUCT(&arr);
    if (rc != PMIX_SUCCESS) {
        pmixp_current = NULL;
        return sl_errprintf(e, "pmix: PMIx_server_init failed: %s", PMIx_Error_string(rc));
    }
    s->server_up = 1;
    return 0;
}

static void pmixp_step_destroy(void *state);

static void *pmixp_step_create(const struct mpi_step *st, const struct mpi_host *host,
                               sl_error_t *e)
{
    if (pmixp_current) {
        sl_errprintf(e, "pmix: a PMIx server already runs in this process (one step each)");
        return NULL;
    }
    if (pmixp_check_step(st, e) < 0)
        return NULL;
    struct pmixp_state *s = pmixp_state_new(st, host, e);
    if (!s)
        return NULL;
    if (pmixp_server_start(s, e) < 0 || pmixp_register_job(s, e) < 0) {
        pmixp_step_destroy(s);
        return NULL;
    }
    pmixp_log(s, 2, "pmix: server up for %s, node %u of %u (%s), %u local of %u tasks",
              s->nspace, s->node_id, s->num_nodes, s->node_names[s->node_id], s->nlocal,
              s->ntasks);
    return s;
}

static int pmixp_env_add(char ***env, size_t *n, const char *key, const char *value)
{
    char **grown = realloc(*env, (*n + 2) * sizeof **env);
    if (!grown)
        return -1;
    *env = grown;
    if (asprintf(&grown[*n], "%s=%s", key, value) < 0)
        return -1;
    grown[++*n] = NULL;
    return 0;
}

/* OpenMPI's launcher detection, shared memory and store settings (notes:
 * "OpenMPI details that bite"). */
static int pmixp_env_ompi(const struct pmixp_state *s, char ***env, size_t *n)
{
    if (pmixp_env_add(env, n, "OMPI_MCA_schizo", "^orte") < 0 ||
        pmixp_env_add(env, n, "PMIX_MCA_gds", "hash") < 0)
        return -1;
    /* Nodes sharing a host share its name: their shared-memory segments
     * would collide, so each such node gets its own backing directory. */
    if (s->fake_node &&
        pmixp_env_add(env, n, "OMPI_MCA_btl_vader_backing_directory", s->jobdir) < 0)
        return -1;
    return 0;
}

static void pmixp_env_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

static char **pmixp_task_env(void *state, uint32_t local_id, sl_error_t *e)
{
    struct pmixp_state *s = state;
    if (local_id >= s->nlocal) {
        sl_errprintf(e, "pmix: no local task %u (%u on this node)", local_id, s->nlocal);
        return NULL;
    }
    pmix_proc_t proc;
    PMIX_LOAD_PROCID(&proc, s->nspace, s->first_rank + local_id);
    char **penv = NULL;
    pmix_status_t rc = PMIx_server_setup_fork(&proc, &penv);
    if (rc != PMIX_SUCCESS) {
        pmixp_env_free(penv);
        sl_errprintf(e, "pmix: PMIx_server_setup_fork for rank %u failed: %s",
                     s->first_rank + local_id, PMIx_Error_string(rc));
        return NULL;
    }
    char **env = calloc(1, sizeof *env);
    size_t n = 0;
    int bad = !env;
    for (char **p = penv; !bad && p && *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq)
            continue;
        *eq = '\0';
        bad = pmixp_env_add(&env, &n, *p, eq + 1) < 0;
        *eq = '=';
    }
    pmixp_env_free(penv);
    if (bad || pmixp_env_ompi(s, &env, &n) < 0) {
        pmixp_env_free(env);
        sl_errprintf(e, "pmix: out of memory");
        return NULL;
    }
    return env;
}

static void pmixp_task_exited(void *state, uint32_t local_id, int wait_status)
{
    struct pmixp_state *s = state;
    if (local_id >= s->nlocal)
        return;
    pthread_mutex_lock(&s->lock);
    int finalized = s->finalized[local_id];
    pthread_mutex_unlock(&s->lock);
    uint32_t rank = s->first_rank + local_id;
    /* The step's policy (kill the step, wait) is the stepd's; say what the
     * PMIx server knows about it. */
    if (WIFSIGNALED(wait_status))
        pmixp_log(s, 1, "pmix: rank %u was killed by signal %d%s", rank, WTERMSIG(wait_status),
                  finalized ? "" : " before PMIx_Finalize");
    else if (!finalized)
        pmixp_log(s, 2, "pmix: rank %u exited (status %d) without PMIx_Finalize", rank,
                  WEXITSTATUS(wait_status));
}

static void pmixp_step_destroy(void *state)
{
    struct pmixp_state *s = state;
    if (!s)
        return;
    if (s->nspace_up) {
        struct pmixp_wait w;
        pmixp_wait_init(&w);
        /* Returns nothing: the callback always comes. */
        PMIx_server_deregister_nspace(s->nspace, pmixp_op_done, &w);
        pmix_status_t rc = pmixp_wait_for(&w, PMIX_SUCCESS);
        if (rc != PMIX_SUCCESS)
            pmixp_log(s, 1, "pmix: deregistering %s: %s", s->nspace, PMIx_Error_string(rc));
    }
    if (s->server_up) {
        pmix_status_t rc = PMIx_server_finalize();
        if (rc != PMIX_SUCCESS)
            pmixp_log(s, 1, "pmix: PMIx_server_finalize: %s", PMIx_Error_string(rc));
    }
    pmixp_current = NULL;
    pmixp_state_free(s);
}

static const struct mpi_ops pmixp_ops = {
    .step_create = pmixp_step_create,
    .task_env = pmixp_task_env,
    .task_exited = pmixp_task_exited,
    .step_destroy = pmixp_step_destroy,
};

struct sl_plugin sluice_plugin = {"mpi", "pmix", SL_PLUGIN_ABI, &pmixp_ops};
