/* pmix_callbacks.c: the server module.  libpmix calls these on its own
 * thread; they copy what they need and return quickly.  The fence goes
 * through the stepd (host->fence), whose completion comes on the stepd's
 * main thread. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmix_int.h"

/* Each node's fence blob is framed: "SLPX", node id, fence sequence number
 * and length (32-bit big-endian), then libpmix's opaque data.  The stepd
 * concatenates the frames in any order; the frames let us check that every
 * node contributed exactly once to this very fence. */
#define PMIXP_MAGIC 0x534c5058u
#define PMIXP_HDR 16

static void put32(unsigned char *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, 4);
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

static pmix_status_t pmixp_connected(const pmix_proc_t *proc, void *server_object,
                                     pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    if (cbfunc)
        cbfunc(PMIX_SUCCESS, cbdata);
    return PMIX_SUCCESS;
}

static pmix_status_t pmixp_finalized(const pmix_proc_t *proc, void *server_object,
                                     pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    struct pmixp_state *s = pmixp_current;
    if (s && proc->rank >= s->first_rank && proc->rank - s->first_rank < s->nlocal) {
        pthread_mutex_lock(&s->lock);
        s->finalized[proc->rank - s->first_rank] = 1;
        pthread_mutex_unlock(&s->lock);
    }
    if (cbfunc)
        cbfunc(PMIX_SUCCESS, cbdata);
    return PMIX_SUCCESS;
}

static pmix_status_t pmixp_abort(const pmix_proc_t *proc, void *server_object, int status,
                                 const char msg[], pmix_proc_t procs[], size_t nprocs,
                                 pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    struct pmixp_state *s = pmixp_current;
    if (s) {
        char text[600];
        /* A subset of procs cannot be aborted alone: the step ends, as in Slurm. */
        snprintf(text, sizeof text, "rank %u called abort (status %d)%s%s", proc->rank, status,
                 msg && *msg ? ": " : "", msg ? msg : "");
        pmixp_log(s, 1, "pmix: %s", text);
        s->host.abort(s->host.arg, status, text);
    }
    if (cbfunc)
        cbfunc(PMIX_SUCCESS, cbdata);
    return PMIX_SUCCESS;
}

/* The host fence spans every node of the step, so only fences over the
 * whole namespace can be served. */
static int pmixp_fence_whole(const struct pmixp_state *s, const pmix_proc_t procs[], size_t n)
{
    if (n == 1 && procs[0].rank == PMIX_RANK_WILDCARD)
        return PMIX_CHECK_NSPACE(procs[0].nspace, s->nspace);
    if (n != s->ntasks)
        return 0;
    unsigned char *seen = calloc(s->ntasks ? s->ntasks : 1, 1);
    size_t count = 0;
    for (size_t i = 0; seen && i < n; i++) {
        if (!PMIX_CHECK_NSPACE(procs[i].nspace, s->nspace) || procs[i].rank >= s->ntasks)
            break;
        count += !seen[procs[i].rank];
        seen[procs[i].rank] = 1;
    }
    free(seen);
    return count == s->ntasks;
}

static void pmixp_release(void *cbdata)
{
    free(cbdata);
}

/* Check the frames of a completed fence and hand libpmix the nodes'
 * payloads, concatenated. */
static pmix_status_t pmixp_fence_unpack(const struct pmixp_state *s, uint32_t seq,
                                        const unsigned char *data, size_t len, char **out,
                                        size_t *outlen)
{
    unsigned char *seen = calloc(s->num_nodes, 1);
    char *buf = malloc(len ? len : 1);
    size_t pos = 0, got = 0, nodes = 0;
    pmix_status_t rc = seen && buf ? PMIX_SUCCESS : PMIX_ERR_NOMEM;
    while (rc == PMIX_SUCCESS && pos < len) {
        if (len - pos < PMIXP_HDR || get32(data + pos) != PMIXP_MAGIC) {
            pmixp_log(s, 0, "pmix: fence %u: malformed data at byte %zu of %zu", seq, pos, len);
            rc = PMIX_ERR_UNPACK_FAILURE;
            break;
        }
        uint32_t node = get32(data + pos + 4), fseq = get32(data + pos + 8);
        uint32_t n = get32(data + pos + 12);
        if (node >= s->num_nodes || seen[node] || fseq != seq || n > len - pos - PMIXP_HDR) {
            pmixp_log(s, 0, "pmix: fence %u: bad contribution (node %u, fence %u, %u bytes)",
                      seq, node, fseq, n);
            rc = PMIX_ERR_UNPACK_FAILURE;
            break;
        }
        seen[node] = 1;
        nodes++;
        memcpy(buf + got, data + pos + PMIXP_HDR, n);
        got += n;
        pos += PMIXP_HDR + (size_t)n;
    }
    if (rc == PMIX_SUCCESS && nodes != s->num_nodes) {
        pmixp_log(s, 0, "pmix: fence %u: %zu of %u nodes contributed", seq, nodes, s->num_nodes);
        rc = PMIX_ERR_UNPACK_FAILURE;
    }
    free(seen);
    if (rc != PMIX_SUCCESS) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = got;
    return PMIX_SUCCESS;
}

/* host->fence's completion, on the stepd's main thread. */
static void pmixp_fence_done(void *ctx, int ok, const void *data, size_t len)
{
    struct pmixp_state *s = ctx;
    if (!s || s != pmixp_current)
        return;     /* the step is gone */
    pthread_mutex_lock(&s->lock);
    pmix_modex_cbfunc_t cb = s->fence_cb;
    void *cbdata = s->fence_cbdata;
    uint32_t seq = s->fence_seq;
    int pending = s->fence_pending;
    s->fence_pending = 0;
    s->fence_cb = NULL;
    pthread_mutex_unlock(&s->lock);
    if (!pending || !cb)
        return;
    char *buf = NULL;
    size_t n = 0;
    pmix_status_t rc = PMIX_ERROR;
    if (ok)
        rc = pmixp_fence_unpack(s, seq, data, len, &buf, &n);
    else
        pmixp_log(s, 0, "pmix: fence %u failed: a node of the step is gone", seq);
    if (rc == PMIX_SUCCESS) {
        pmixp_log(s, 2, "pmix: fence %u done, %zu bytes from %u nodes", seq, n, s->num_nodes);
        cb(PMIX_SUCCESS, buf, n, cbdata, pmixp_release, buf);
    } else {
        cb(rc, NULL, 0, cbdata, NULL, NULL);
    }
}

static pmix_status_t pmixp_fence_nb(const pmix_proc_t procs[], size_t nprocs,
                                    const pmix_info_t info[], size_t ninfo, char *data,
                                    size_t ndata, pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
    struct pmixp_state *s = pmixp_current;
    if (!s)
        return PMIX_ERR_INIT;
    if (!pmixp_fence_whole(s, procs, nprocs)) {
        pmixp_log(s, 0, "pmix: a fence over %zu processes, not all of %s, is not supported",
                  nprocs, s->nspace);
        return PMIX_ERR_NOT_SUPPORTED;
    }
    if (ndata > UINT32_MAX - PMIXP_HDR)
        return PMIX_ERR_BAD_PARAM;
    unsigned char *frame = malloc(PMIXP_HDR + ndata);
    if (!frame)
        return PMIX_ERR_NOMEM;
    pthread_mutex_lock(&s->lock);
    if (s->fence_pending) {
        pthread_mutex_unlock(&s->lock);
        free(frame);
        pmixp_log(s, 0, "pmix: a second fence while fence %u runs is not supported",
                  s->fence_seq);
        return PMIX_ERR_NOT_SUPPORTED;
    }
    uint32_t seq = ++s->fence_seq;
    s->fence_pending = 1;
    s->fence_cb = cbfunc;
    s->fence_cbdata = cbdata;
    pthread_mutex_unlock(&s->lock);
    put32(frame, PMIXP_MAGIC);
    put32(frame + 4, s->node_id);
    put32(frame + 8, seq);
    put32(frame + 12, (uint32_t)ndata);
    if (ndata)
        memcpy(frame + PMIXP_HDR, data, ndata);
    pmixp_log(s, 2, "pmix: fence %u: contributing %zu bytes", seq, ndata);
    /* done() may run on the main thread before fence() returns: the state
     * above is set first. */
    int rc = s->host.fence(s->host.arg, frame, PMIXP_HDR + ndata, pmixp_fence_done, s);
    free(frame);
    if (rc != 0) {
        pthread_mutex_lock(&s->lock);
        s->fence_pending = 0;
        s->fence_cb = NULL;
        pthread_mutex_unlock(&s->lock);
        pmixp_log(s, 0, "pmix: fence %u: the stepd could not send this node's data", seq);
        return PMIX_ERROR;
    }
    return PMIX_SUCCESS;
}

static pmix_status_t pmixp_direct_modex(const pmix_proc_t *proc, const pmix_info_t info[],
                                        size_t ninfo, pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
    /* Everything is exchanged by the fence (OpenMPI's default path). */
    if (pmixp_current)
        pmixp_log(pmixp_current, 1, "pmix: direct modex for rank %u refused: not supported "
                  "(data is exchanged at the fence)", proc->rank);
    return PMIX_ERR_NOT_SUPPORTED;
}

static pmix_status_t pmixp_spawn(const pmix_proc_t *proc, const pmix_info_t job_info[],
                                 size_t ninfo, const pmix_app_t apps[], size_t napps,
                                 pmix_spawn_cbfunc_t cbfunc, void *cbdata)
{
    if (pmixp_current)
        pmixp_log(pmixp_current, 0, "pmix: rank %u called PMIx_Spawn (MPI_Comm_spawn): "
                  "not supported by Sluice", proc->rank);
    return PMIX_ERR_NOT_SUPPORTED;
}

static pmix_status_t pmixp_connect(const pmix_proc_t procs[], size_t nprocs,
                                   const pmix_info_t info[], size_t ninfo,
                                   pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    if (pmixp_current)
        pmixp_log(pmixp_current, 0, "pmix: PMIx_Connect (MPI_Comm_connect/accept) over %zu "
                  "processes: not supported by Sluice", nprocs);
    return PMIX_ERR_NOT_SUPPORTED;
}

static pmix_status_t pmixp_disconnect(const pmix_proc_t procs[], size_t nprocs,
                                      const pmix_info_t info[], size_t ninfo,
                                      pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    return PMIX_ERR_NOT_SUPPORTED;
}

pmix_server_module_t pmixp_module = {
    .client_connected = pmixp_connected,
    .client_finalized = pmixp_finalized,
    .abort = pmixp_abort,
    .fence_nb = pmixp_fence_nb,
    .direct_modex = pmixp_direct_modex,
    .spawn = pmixp_spawn,
    .connect = pmixp_connect,
    .disconnect = pmixp_disconnect,
};
