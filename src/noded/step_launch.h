/* step_launch.h: srun's step_launch on sluiced's server (doc/protocol.md,
 * "srun <-> sluiced: step_launch"): check the controller's grant and the
 * caller, write the step's launch record, start its stepd. */
#ifndef SL_NODED_STEP_LAUNCH_H
#define SL_NODED_STEP_LAUNCH_H

#include <sys/types.h>
#include <jansson.h>
#include "error.h"
#include "fields.h"
#include "server.h"

struct sl_auth;
typedef struct jobs jobs_t;

struct step_server {
    struct sl_auth *auth;
    uid_t ctld_uid;              /* SluiceUser's: the controller's grants are made by it */
    int mock;                    /* MockExecution: no process ever starts */
    const char *plugin_dir;      /* PluginDir: the stepd loads the MPI plugin from it */
    /* The job table of node name served here, or NULL. */
    jobs_t *(*node_jobs)(void *arg, const char *name);
    void *arg;
    struct event_base *base;     /* where a forwarded launch's answer is awaited */
};

extern const struct field_spec step_launch_fields[];

/* How long a node waits for each of the subtrees it forwards a launch to
 * (srun waits longer, so that a node deep in the tree that hangs is named). */
#define FANOUT_FORWARD_TIMEOUT_S 30

/* Serve one step_launch on conn (request id): start this node's stepd, and
 * forward the launch to the nodes of "forward" along the tree (fanout.h).
 * The answer -- {} when every node of the subtree started its stepd, else an
 * error (EPERM, EINVAL, ENOENT, EAGAIN; EIO when only forwarded nodes failed)
 * whose "failed" names each node that did not start, when the body forwarded
 * -- goes at once, or once the children have answered (their sends run in a
 * thread; the event loop goes on). */
void step_launch_serve(const struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body);

#endif
