/* step_mpi.c: host the step's MPI plugin (mpi_api.h): load it, give it the
 * step, carry its fences over the stream (FENCE up, FENCE_DONE down) and
 * its aborts (ABORT up). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "log.h"
#include "mpi_api.h"
#include "plugin.h"
#include "step_impl.h"
#include "step_rec.h"
#include "stepio.h"

struct step_mpi {
    sl_plugin_handle_t *h;
    const struct mpi_ops *ops;
    void *state;
    struct mpi_step step;
    struct mpi_host host;
    struct stepd *sd;
    pthread_mutex_t lock;    /* the fence's state: plugin threads call fence() */
    uint32_t seq;            /* of the fence in flight, or of the last one */
    int busy;
    mpi_fence_done_fn done;
    void *ctx;
};

static int mpi_none(const char *name)
{
    return !*name || !strcmp(name, "none");
}

static int host_fence(void *arg, const void *data, size_t len, mpi_fence_done_fn done, void *ctx)
{
    struct step_mpi *m = arg;
    unsigned char *buf = malloc(len + 4);
    uint32_t seq;
    int rc;

    if (!buf)
        return -1;
    pthread_mutex_lock(&m->lock);
    if (m->busy) {
        pthread_mutex_unlock(&m->lock);
        free(buf);
        m->host.log(m, 0, "a fence was asked for while another is in flight");
        return -1;
    }
    seq = ++m->seq;
    m->busy = 1;
    m->done = done;
    m->ctx = ctx;
    pthread_mutex_unlock(&m->lock);
    buf[0] = (unsigned char)(seq >> 24);
    buf[1] = (unsigned char)(seq >> 16);
    buf[2] = (unsigned char)(seq >> 8);
    buf[3] = (unsigned char)seq;
    if (len)
        memcpy(buf + 4, data, len);
    rc = step_io_send(m->sd, STEPIO_FENCE, m->step.node_id, buf, len + 4);
    free(buf);
    if (rc < 0) {
        pthread_mutex_lock(&m->lock);
        m->busy = 0;
        pthread_mutex_unlock(&m->lock);
    }
    return rc;
}

static void host_abort(void *arg, int status, const char *message)
{
    struct step_mpi *m = arg;
    json_t *j = json_pack("{s:i, s:s}", "status", status, "message", message ? message : "");
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    log_info("step %llu.%u: MPI abort with status %d: %s", (unsigned long long)m->step.job_id,
             m->step.step_id, status, message ? message : "");
    if (text)
        step_io_send(m->sd, STEPIO_ABORT, STEPIO_ALL_TASKS, text, strlen(text));
    free(text);
    json_decref(j);
}

static void host_log(void *arg, int level, const char *message)
{
    struct step_mpi *m = arg;
    unsigned long long job = (unsigned long long)m->step.job_id;

    if (level <= 0)
        log_error("step %llu.%u: mpi: %s", job, m->step.step_id, message);
    else if (level == 1)
        log_info("step %llu.%u: mpi: %s", job, m->step.step_id, message);
    else
        log_debug("step %llu.%u: mpi: %s", job, m->step.step_id, message);
}

static int name_ok(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return 0;
    }
    return strlen(name) < 64;
}

int step_mpi_create(struct stepd *sd, sl_error_t *e)
{
    const struct step_rec *r = sd->r;
    struct step_mpi *m;
    char spec[80];
    sl_error_t pe;

    if (mpi_none(r->mpi))
        return 0;
    if (!name_ok(r->mpi))
        return sl_errprintf(e, "invalid MPI type '%s'", r->mpi);
    m = calloc(1, sizeof(*m));
    if (!m)
        return sl_errprintf(e, "out of memory");
    pthread_mutex_init(&m->lock, NULL);
    m->sd = sd;
    snprintf(spec, sizeof(spec), "mpi/%s", r->mpi);
    m->h = plugin_load(r->plugin_dir, spec, "mpi", &pe);
    if (!m->h) {
        free(m);
        return sl_errprintf(e, "MPI type '%s' is not available on node %s: %s", r->mpi,
                            r->node_name, pe.text);
    }
    m->ops = plugin_ops(m->h);
    m->step = (struct mpi_step){
        .job_id = r->job_id, .step_id = r->step_id, .node_id = r->node_id,
        .num_nodes = r->num_nodes, .node_names = r->node_names,
        .tasks_per_node = r->tasks_per_node, .ntasks = r->ntasks, .nlocal = r->nlocal,
        .first_rank = r->first_rank, .uid = r->uid, .gid = r->gid, .tmpdir = sd->tmpdir,
    };
    if (r->het_num_nodes) {
        /* a heterogeneous step: one namespace over every component (srun
         * relays the fences between them) */
        m->step.job_id = r->het_job_id;
        m->step.step_id = r->het_step_id;
        m->step.node_id = r->het_node_offset + r->node_id;
        m->step.num_nodes = r->het_num_nodes;
        m->step.node_names = r->het_node_names;
        m->step.tasks_per_node = r->het_tasks_per_node;
        m->step.ntasks = r->het_ntasks;
        m->step.first_rank = r->het_offset + r->first_rank;
    }
    m->host = (struct mpi_host){ m, host_fence, host_abort, host_log };
    sd->mpi = m;
    m->state = m->ops->step_create(&m->step, &m->host, &pe);
    if (!m->state) {
        sd->mpi = NULL;
        plugin_unload(m->h);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return sl_errprintf(e, "MPI plugin %s: %s", r->mpi, pe.text);
    }
    log_info("step %llu.%u: MPI plugin %s ready", (unsigned long long)r->job_id, r->step_id,
             r->mpi);
    return 0;
}

char **step_mpi_task_env(struct stepd *sd, uint32_t local, sl_error_t *e)
{
    struct step_mpi *m = sd->mpi;

    if (!m) {
        char **none = calloc(1, sizeof(char *));
        if (!none)
            abort();
        return none;
    }
    return m->ops->task_env(m->state, local, e);
}

void step_mpi_task_exited(struct stepd *sd, uint32_t local, int wait_status)
{
    if (sd->mpi && sd->mpi->ops->task_exited)
        sd->mpi->ops->task_exited(sd->mpi->state, local, wait_status);
}

static void fence_finish(struct step_mpi *m, int match_seq, uint32_t seq, int ok,
                         const void *data, size_t len)
{
    mpi_fence_done_fn done = NULL;
    void *ctx = NULL;

    pthread_mutex_lock(&m->lock);
    if (m->busy && (!match_seq || m->seq == seq)) {
        done = m->done;
        ctx = m->ctx;
        m->busy = 0;
    }
    pthread_mutex_unlock(&m->lock);
    if (done)
        done(ctx, ok, data, len);
    else if (match_seq)
        log_warn("step %llu.%u: FENCE_DONE %u from srun matches no fence in flight",
                 (unsigned long long)m->step.job_id, m->step.step_id, seq);
}

void step_mpi_fence_done(struct stepd *sd, uint32_t seq, int ok, const void *data, size_t len)
{
    if (sd->mpi)
        fence_finish(sd->mpi, 1, seq, ok, ok ? data : NULL, ok ? len : 0);
}

void step_mpi_fence_fail(struct stepd *sd)
{
    if (sd->mpi)
        fence_finish(sd->mpi, 0, 0, 0, NULL, 0);
}

void step_mpi_destroy(struct stepd *sd)
{
    struct step_mpi *m = sd->mpi;

    if (!m)
        return;
    step_mpi_fence_fail(sd);
    m->ops->step_destroy(m->state);
    plugin_unload(m->h);
    pthread_mutex_destroy(&m->lock);
    free(m);
    sd->mpi = NULL;
}
