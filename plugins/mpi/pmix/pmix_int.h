/* pmix_int.h: the state shared by the parts of the mpi/pmix plugin.
 *
 * libpmix allows one server per process and calls its server module
 * without a context pointer, so the one live step is reachable through
 * pmixp_current (set before PMIx_server_init, cleared after finalize). */
#ifndef SL_PMIX_INT_H
#define SL_PMIX_INT_H
#include <pthread.h>
#include <pmix.h>
#include <pmix_server.h>
#include "mpi_api.h"

struct pmixp_state {
    /* The step, copied: the stepd's struct need not outlive step_create. */
    uint64_t job_id;
    uint32_t step_id, node_id, num_nodes, ntasks, nlocal, first_rank;
    char **node_names;
    uint32_t *tasks_per_node;
    uid_t uid;
    gid_t gid;
    struct mpi_host host;

    char nspace[PMIX_MAX_NSLEN + 1];
    char *srvdir;       /* PMIX_SERVER_TMPDIR, PMIX_SYSTEM_TMPDIR */
    char *jobdir;       /* PMIX_TMPDIR: OpenMPI's session directory goes here */
    char *nsdir;        /* PMIX_NSDIR */
    int server_up;      /* PMIx_server_init succeeded */
    int nspace_up;      /* the namespace is registered */
    int fake_node;      /* the node's name is not this host's name (devcluster) */

    pthread_mutex_t lock;   /* guards what libpmix's thread touches below */
    unsigned char *finalized;       /* nlocal flags: PMIx_Finalize seen */
    uint32_t fence_seq;             /* fences started so far */
    int fence_pending;
    pmix_modex_cbfunc_t fence_cb;
    void *fence_cbdata;
};

extern struct pmixp_state *pmixp_current;

/* Log through the stepd (level: 0 error, 1 info, 2 debug). */
void pmixp_log(const struct pmixp_state *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pmix_callbacks.c: the server module handed to PMIx_server_init. */
extern pmix_server_module_t pmixp_module;

/* Wait for a libpmix operation given op_done/w as its callback.  rc is what
 * the call returned: PMIX_OPERATION_SUCCEEDED means done, no callback. */
struct pmixp_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    pmix_status_t status;
};
void pmixp_wait_init(struct pmixp_wait *w);
void pmixp_op_done(pmix_status_t status, void *cbdata);
pmix_status_t pmixp_wait_for(struct pmixp_wait *w, pmix_status_t rc);

/* pmix_jobinfo.c: register the step's namespace (job, node and proc level
 * information) and the local clients. */
int pmixp_register_job(struct pmixp_state *s, sl_error_t *e);

/* The rank of local task local_id, and the first rank of node n. */
uint32_t pmixp_node_first_rank(const struct pmixp_state *s, uint32_t n);
#endif
