/* pmix_driver.h: the stand-alone test driver of the mpi/pmix plugin.
 *
 * One hub process forks one "node" process per node of a fake step; each
 * node process loads the plugin and plays the stepd (src/stepd/mpi_api.h):
 * it forks its local ranks with the plugin's task_env and answers the
 * plugin's fence and abort through the hub, which joins every node's fence
 * contribution and sends the whole back (the part srun plays in Sluice). */
#ifndef PMIX_DRIVER_H
#define PMIX_DRIVER_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Messages on the socket pair between the hub and a node: a header of
 * three native uint32 (type, arg, payload length) and the payload. */
enum drv_msg {
    DRV_FENCE = 1,      /* node -> hub: this node's blob (arg: fence number) */
    DRV_FENCE_DONE,     /* hub -> node: every blob (arg: 1 ok, 0 failed) */
    DRV_ABORT,          /* node -> hub: a rank aborted (arg: status; text) */
    DRV_KILL,           /* hub -> node: kill the local ranks (arg: signal) */
    DRV_TASK_EXIT,      /* node -> hub: rank arg ended (payload: int wait status) */
    DRV_NODE_DONE,      /* node -> hub: every local rank has ended */
    DRV_ERROR,          /* node -> hub: text of a failure (step_create...) */
};

enum drv_fault { DRV_FAULT_NONE, DRV_FAULT_FAIL, DRV_FAULT_SHORT };

struct drv_opts {
    const char *plugin;         /* path of mpi_pmix.so */
    uint32_t nodes;
    uint32_t *tasks_per_node;
    char **node_names;
    uint32_t ntasks;
    uint64_t job_id;
    int verbose;                /* plugin log levels shown: 0 errors .. 2 debug */
    uid_t uid;                  /* the ranks run as uid/gid */
    gid_t gid;
    int drop;                   /* the node drops to uid before loading the plugin */
    enum drv_fault fault;       /* -X: what the hub does wrong at the first fence */
    char **argv;                /* the program and its arguments */
};

int drv_send(int fd, uint32_t type, uint32_t arg, const void *data, size_t len);
/* Reads one message; *data is malloc'd (NUL-terminated).  -1 at EOF/error. */
int drv_recv(int fd, uint32_t *type, uint32_t *arg, char **data, size_t *len);
/* The node process: never returns. */
void drv_node_main(const struct drv_opts *o, uint32_t node_id, int fd)
    __attribute__((noreturn));
#endif
