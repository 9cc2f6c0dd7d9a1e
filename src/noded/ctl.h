/* ctl.h: sluiced's link to the controller (doc/protocol.md, "The node
 * channel").  It connects and authenticates with client_open(), then runs
 * the socket on the event loop: node_register, heartbeats, job reports,
 * and the controller's pushes.  A lost link is retried with backoff (1 s
 * doubling to 10 s); jobs keep running meanwhile and unacknowledged
 * results are sent again after the next registration. */
#ifndef SL_NODED_CTL_H
#define SL_NODED_CTL_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"

struct event_base;
struct conf;
struct hw_info;
typedef struct jobs jobs_t;
typedef struct ctl ctl_t;

/* One node this sluiced serves.  Usually one; with NodesPerDaemon > 1 (a
 * testing mode) several share the connection, every message names its node
 * and one heartbeat speaks for all. */
struct ctl_node {
    const char *name;            /* borrowed: outlives the link */
    const struct hw_info *hw;
    jobs_t *jobs;
};

ctl_t *ctl_create(struct event_base *base, const struct conf *conf,
                  const struct ctl_node *nodes, size_t nnodes, sl_error_t *e);
void ctl_destroy(ctl_t *c);   /* accepts NULL */

/* First connection attempt (later ones are scheduled by the link itself). */
void ctl_start(ctl_t *c);

/* Reports from the job table; dropped while disconnected (registration
 * and the resend that follows it cover them). */
void ctl_job_started(ctl_t *c, size_t node, uint64_t job_id, int64_t attempt, pid_t pid);
void ctl_job_ended(ctl_t *c, size_t node, uint64_t job_id, uint64_t seq, json_t *result);
/* step_node_ended: the step's stepd here has exited; ok: its tasks all
 * ended by themselves with 0.  Sent once, not kept for a later connection
 * (srun's step_complete is the record; this only decides how a step still
 * running when its job ends is recorded). */
void ctl_step_ended(ctl_t *c, size_t node, uint64_t job_id, int64_t step_id, int ok);

#endif
