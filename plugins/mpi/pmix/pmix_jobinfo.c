/* pmix_jobinfo.c: what the PMIx server tells its clients about the step:
 * the job, this node, every rank (PMIx_server_register_nspace), and which
 * local clients to expect (PMIx_server_register_client). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmix_int.h"

void pmixp_wait_init(struct pmixp_wait *w)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->done = 0;
    w->status = PMIX_SUCCESS;
}

void pmixp_op_done(pmix_status_t status, void *cbdata)
{
    struct pmixp_wait *w = cbdata;
    pthread_mutex_lock(&w->lock);
    w->status = status;
    w->done = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

pmix_status_t pmixp_wait_for(struct pmixp_wait *w, pmix_status_t rc)
{
    if (rc == PMIX_SUCCESS) {
        pthread_mutex_lock(&w->lock);
        while (!w->done)
            pthread_cond_wait(&w->cond, &w->lock);
        rc = w->status;
        pthread_mutex_unlock(&w->lock);
    } else if (rc == PMIX_OPERATION_SUCCEEDED) {
        rc = PMIX_SUCCESS;
    }
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    return rc;
}

uint32_t pmixp_node_first_rank(const struct pmixp_state *s, uint32_t n)
{
    uint32_t r = 0;
    for (uint32_t i = 0; i < n; i++)
        r += s->tasks_per_node[i];
    return r;
}

/* A growable text buffer for the lists below; NULL after a failed append. */
struct pmixp_text {
    char *buf;
    size_t len, cap;
};

static void pmixp_text_add(struct pmixp_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pmixp_text_add(struct pmixp_text *t, const char *fmt, ...)
{
    char piece[320];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof piece || (t->len && !t->buf))
        goto fail;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap ? t->cap * 2 : 256) + (size_t)n;
        char *b = realloc(t->buf, cap);
        if (!b)
            goto fail;
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, piece, (size_t)n + 1);
    t->len += (size_t)n;
    return;
fail:
    free(t->buf);
    t->buf = NULL;
    t->len = 1;     /* marks the failure for later appends */
}

/* "n1,n2,n3" and "0,1;2,3;4,5": the inputs of PMIx's node and proc maps,
 * and "0,1": this node's ranks (PMIX_LOCAL_PEERS). */
static int pmixp_maps(const struct pmixp_state *s, char **nodes, char **procs, char **peers)
{
    struct pmixp_text tn = {0}, tp = {0}, tl = {0};
    uint32_t rank = 0;
    for (uint32_t n = 0; n < s->num_nodes; n++) {
        pmixp_text_add(&tn, "%s%s", n ? "," : "", s->node_names[n]);
        if (n)
            pmixp_text_add(&tp, ";");
        for (uint32_t i = 0; i < s->tasks_per_node[n]; i++, rank++) {
            pmixp_text_add(&tp, "%s%u", i ? "," : "", rank);
            if (n == s->node_id)
                pmixp_text_add(&tl, "%s%u", i ? "," : "", rank);
        }
        if (!s->tasks_per_node[n])
            pmixp_text_add(&tp, "%s", "");
    }
    if (!s->nlocal)
        pmixp_text_add(&tl, "%s", "");
    *nodes = tn.buf;
    *procs = tp.buf;
    *peers = tl.buf;
    return tn.buf && tp.buf && tl.buf ? 0 : -1;
}

static void pmixp_add_job(const struct pmixp_state *s, void *list, char *nodemap, char *procmap)
{
    char jobid[64];
    uint32_t zero = 0, one = 1, ntasks = s->ntasks, nnodes = s->num_nodes;
    pmix_rank_t first = 0;
    snprintf(jobid, sizeof jobid, "%llu.%u", (unsigned long long)s->job_id, s->step_id);
    PMIx_Info_list_add(list, PMIX_JOBID, jobid, PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_UNIV_SIZE, &ntasks, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_JOB_SIZE, &ntasks, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_MAX_PROCS, &ntasks, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_JOB_NUM_APPS, &one, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_APPNUM, &zero, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_APP_SIZE, &ntasks, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_APPLDR, &first, PMIX_PROC_RANK);
    PMIx_Info_list_add(list, PMIX_NUM_NODES, &nnodes, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_NODE_MAP, nodemap, PMIX_REGEX);
    PMIx_Info_list_add(list, PMIX_PROC_MAP, procmap, PMIX_REGEX);
    PMIx_Info_list_add(list, PMIX_TMPDIR, s->jobdir, PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_NSDIR, s->nsdir, PMIX_STRING);
}

static void pmixp_add_node(const struct pmixp_state *s, void *list, const char *peers)
{
    uint32_t nlocal = s->nlocal, nodeid = s->node_id;
    pmix_rank_t leader = s->first_rank;
    PMIx_Info_list_add(list, PMIX_LOCAL_SIZE, &nlocal, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_NODE_SIZE, &nlocal, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_LOCAL_PEERS, peers, PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_NODEID, &nodeid, PMIX_UINT32);
    if (nlocal)
        PMIx_Info_list_add(list, PMIX_LOCALLDR, &leader, PMIX_PROC_RANK);
}

/* One PMIX_PROC_DATA array per rank of the step, on every node: OpenMPI
 * needs local and node ranks (notes). */
static int pmixp_add_procs(const struct pmixp_state *s, void *list)
{
    pmix_rank_t rank = 0;
    for (uint32_t n = 0; n < s->num_nodes; n++) {
        for (uint32_t i = 0; i < s->tasks_per_node[n]; i++, rank++) {
            void *pl = PMIx_Info_list_start();
            uint16_t lrank = (uint16_t)i;
            uint32_t zero = 0, nodeid = n;
            PMIx_Info_list_add(pl, PMIX_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(pl, PMIX_APPNUM, &zero, PMIX_UINT32);
            PMIx_Info_list_add(pl, PMIX_APP_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(pl, PMIX_GLOBAL_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(pl, PMIX_LOCAL_RANK, &lrank, PMIX_UINT16);
            PMIx_Info_list_add(pl, PMIX_NODE_RANK, &lrank, PMIX_UINT16);
            PMIx_Info_list_add(pl, PMIX_NODEID, &nodeid, PMIX_UINT32);
            PMIx_Info_list_add(pl, PMIX_HOSTNAME, s->node_names[n], PMIX_STRING);
            pmix_data_array_t arr;
            pmix_status_t rc = PMIx_Info_list_convert(pl, &arr);
            PMIx_Info_list_release(pl);
            if (rc != PMIX_SUCCESS)
                return -1;
            rc = PMIx_Info_list_add(list, PMIX_PROC_DATA, &arr, PMIX_DATA_ARRAY);
            PMIX_DATA_ARRAY_DESTRUCT(&arr);
            if (rc != PMIX_SUCCESS)
                return -1;
        }
    }
    return 0;
}

static int pmixp_register_nspace(struct pmixp_state *s, char *nodemap, char *procmap,
                                 const char *peers, sl_error_t *e)
{
    void *list = PMIx_Info_list_start();
    pmixp_add_job(s, list, nodemap, procmap);
    pmixp_add_node(s, list, peers);
    if (pmixp_add_procs(s, list) < 0) {
        PMIx_Info_list_release(list);
        return sl_errprintf(e, "pmix: cannot build the process data of %s", s->nspace);
    }
    pmix_data_array_t arr;
    pmix_status_t rc = PMIx_Info_list_convert(list, &arr);
    PMIx_Info_list_release(list);
    if (rc != PMIX_SUCCESS)
        return sl_errprintf(e, "pmix: cannot build the job data of %s: %s", s->nspace,
                            PMIx_Error_string(rc));
    struct pmixp_wait w;
    pmixp_wait_init(&w);
    rc = pmixp_wait_for(&w, PMIx_server_register_nspace(s->nspace, (int)s->nlocal, arr.array,
                                                        arr.size, pmixp_op_done, &w));
    PMIX_DATA_ARRAY_DESTRUCT(&arr);
    if (rc != PMIX_SUCCESS)
        return sl_errprintf(e, "pmix: PMIx_server_register_nspace(%s) failed: %s", s->nspace,
                            PMIx_Error_string(rc));
    s->nspace_up = 1;
    return 0;
}

static int pmixp_register_clients(struct pmixp_state *s, sl_error_t *e)
{
    for (uint32_t i = 0; i < s->nlocal; i++) {
        pmix_proc_t proc;
        PMIX_LOAD_PROCID(&proc, s->nspace, s->first_rank + i);
        struct pmixp_wait w;
        pmixp_wait_init(&w);
        pmix_status_t rc = pmixp_wait_for(
            &w, PMIx_server_register_client(&proc, s->uid, s->gid, NULL, pmixp_op_done, &w));
        if (rc != PMIX_SUCCESS)
            return sl_errprintf(e, "pmix: PMIx_server_register_client(rank %u) failed: %s",
                                proc.rank, PMIx_Error_string(rc));
    }
    return 0;
}

int pmixp_register_job(struct pmixp_state *s, sl_error_t *e)
{
    char *nodes = NULL, *procs = NULL, *peers = NULL, *nodemap = NULL, *procmap = NULL;
    int rc = -1;
    if (pmixp_maps(s, &nodes, &procs, &peers) < 0) {
        sl_errprintf(e, "pmix: out of memory");
        goto out;
    }
    pmix_status_t prc = PMIx_generate_regex(nodes, &nodemap);
    if (prc == PMIX_SUCCESS)
        prc = PMIx_generate_ppn(procs, &procmap);
    if (prc != PMIX_SUCCESS) {
        sl_errprintf(e, "pmix: cannot make the node and process maps of %s: %s", s->nspace,
                     PMIx_Error_string(prc));
        goto out;
    }
    rc = pmixp_register_nspace(s, nodemap, procmap, peers, e);
    if (rc == 0)
        rc = pmixp_register_clients(s, e);
out:
    free(nodes);
    free(procs);
    free(peers);
    free(nodemap);
    free(procmap);
    return rc;
}
