/* mpi_api.h: what an MPI plugin (plugins/mpi/NAME, loaded by the stepd of a
 * job step) sees, and all it sees.  One plugin instance serves one step on
 * one node: it is created before the local tasks are forked, gives each
 * task its environment, and is destroyed after they have all exited.
 *
 * The plugin may run threads of its own (libpmix does).  The host's
 * functions may be called from any thread; the completion a plugin passes
 * to fence() is called later from the stepd's main thread. */
#ifndef SL_MPI_API_H
#define SL_MPI_API_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

#define MPI_API_ABI 1

/* The step as this node sees it.  Ranks are numbered block-wise in node
 * order: node 0 holds ranks 0..tasks_per_node[0]-1, and so on. */
struct mpi_step {
    uint64_t job_id;
    uint32_t step_id;
    uint32_t node_id;              /* this node's index in node_names */
    uint32_t num_nodes;
    const char *const *node_names; /* num_nodes names, the step's node order */
    const uint32_t *tasks_per_node;/* num_nodes counts */
    uint32_t ntasks;               /* in the whole step */
    uint32_t nlocal;               /* tasks_per_node[node_id] */
    uint32_t first_rank;           /* the global rank of local task 0 */
    uid_t uid;                     /* the tasks run as uid/gid */
    gid_t gid;
    const char *tmpdir;            /* a directory for this step on this node, owned
                                      by uid, 0700, removed by the stepd at the end */
};

typedef void (*mpi_fence_done_fn)(void *ctx, int ok, const void *data, size_t len);

/* What the stepd offers the plugin. */
struct mpi_host {
    void *arg;
    /* Contribute this node's blob to a fence over every node of the step.
     * done(ctx, 1, all, len) follows with every node's blobs concatenated
     * (in some order), or done(ctx, 0, NULL, 0) when the fence failed (a
     * node died, the step ends).  One fence at a time.  Returns 0, or -1
     * when the blob could not be sent (done is then not called). */
    int (*fence)(void *arg, const void *data, size_t len, mpi_fence_done_fn done, void *ctx);
    /* A task asked for the whole step to end (MPI_Abort): every task on
     * every node is killed and the step ends with status. */
    void (*abort)(void *arg, int status, const char *message);
    /* Log through the stepd's log (level: 0 error, 1 info, 2 debug). */
    void (*log)(void *arg, int level, const char *message);
};

struct mpi_ops {
    /* Set up for the step (a PMIx server, say).  Returns the plugin's state
     * or NULL with e set (the step then fails on this node). */
    void *(*step_create)(const struct mpi_step *step, const struct mpi_host *host,
                         sl_error_t *e);
    /* Variables for local task local_id (0..nlocal-1), in the parent before
     * the fork: returns a malloc'd NULL-terminated "KEY=VALUE" array (each
     * string malloc'd; the stepd frees them), or NULL with e set. */
    char **(*task_env)(void *state, uint32_t local_id, sl_error_t *e);
    /* Local task local_id has exited (wait status). */
    void (*task_exited)(void *state, uint32_t local_id, int wait_status);
    /* After every local task has exited. */
    void (*step_destroy)(void *state);
};
#endif
