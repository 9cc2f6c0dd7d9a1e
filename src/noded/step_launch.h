/* step_launch.h: srun's step_launch on sluiced's server (doc/protocol.md,
 * "srun <-> sluiced: step_launch"): check the controller's grant and the
 * caller, write the step's launch record, start its stepd. */
#ifndef SL_NODED_STEP_LAUNCH_H
#define SL_NODED_STEP_LAUNCH_H

#include <sys/types.h>
#include <jansson.h>
#include "error.h"
#include "fields.h"

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
};

extern const struct field_spec step_launch_fields[];

/* How long a node waits for each of the subtrees it forwards a launch to
 * (srun waits longer, so that a node deep in the tree that hangs is named). */
#define FANOUT_FORWARD_TIMEOUT_S 30

/* Serve one step_launch from a connection of uid peer (at peer_addr): start
 * this node's stepd, and forward the launch to the nodes of "forward" along
 * the tree (fanout.h), waiting for them.  0 when every node of the subtree
 * started its stepd; else -1 with e and *code (EPERM, EINVAL, ENOENT, EAGAIN;
 * EIO when only forwarded nodes failed) and, when the body forwarded,
 * *failed ([{"node", "error"}] of every failed node, for the error reply). */
int step_launch_serve(const struct step_server *s, uid_t peer, const char *peer_addr,
                      json_t *body, const char **code, sl_error_t *e, json_t **failed);

#endif
