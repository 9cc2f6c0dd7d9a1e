/* cloud_api.h: what a cloud plugin (plugins/cloud/NAME, CloudType=cloud/NAME)
 * sees of the controller: this header only, and JSON (jansson).
 *
 * The controller calls resume, suspend and describe from one worker thread,
 * in the order it asked for them, never from its event loop: a call may
 * take as long as the provider does.  create and destroy run on the loop.
 * Errors are written into err (a NUL-terminated sentence) with -1 returned.
 *
 * Node descriptions (resume's and suspend's "nodes" array) are objects
 *   {"name", "hostname", "port", "cpus", "memory_mb", "features",
 *    "instance" (suspend: the id resume returned, when known)}
 * and, for a node of an Elastic=YES partition (src/common/conf_elastic.c),
 *   "instance_type": the type chosen for the node when it is resumed, by
 *       the partition's strategy for the job that waits (string; its cpus,
 *       memory_mb, features, "gpus" and "gpu_type" are that type's),
 *   "instance_types": the types the strategy allows for it, in order
 *       (array of strings, instance_type first; BEST_FIT: just that one;
 *       the others add the larger types of the partition, to try when the
 *       first has no capacity: the node then registers with more),
 *   "purchasing": "on-demand" or "spot",
 *   "allocation_strategy": the partition's (BEST_FIT, ..., as written).
 * Requests also carry "all_nodes" (the nodes as a compressed host list);
 * resume's carries "partition" (of the first job that waits, or "" for an
 * admin's power up) and "jobs": [{"job_id", "partition", "features",
 * "nodes_alloc", "nodes_resume"}], the jobs waiting for these nodes;
 * suspend's carries "resume_failed": true when the nodes are let go of
 * because they did not come up (ResumeTimeout, a failed resume). */
#ifndef CTLD_CLOUD_API_H
#define CTLD_CLOUD_API_H

#include <stddef.h>
#include <jansson.h>

#define CLOUD_API_ABI 1
#define CLOUD_ERR_LEN 256

/* What the controller gives a plugin: settings and a way back. */
struct cloud_host {
    /* Every global key of sluice.conf as "Key": "value" strings (as
     * scontrol show config prints them), e.g. "CloudLocalBootDelay". */
    json_t *settings;
    const char *conf_path;       /* the controller's sluice.conf */
    const char *state_dir;       /* StateSaveLocation: the plugin may keep files here */
    const char *ctld_path;       /* the controller's own executable */
    /* An instance that backed a node is gone (spot interruption, terminated
     * outside Sluice, crashed): the node goes DOWN with why, its jobs end
     * NODE_FAIL and are retried as their retry strategy or --requeue says.
     * May be called from any thread, at any time between create and
     * destroy. */
    void (*instance_lost)(struct cloud_host *h, const char *node, const char *why);
    void *ctx;                   /* the controller's, for instance_lost */
};

struct cloud_ops {
    unsigned api;                /* CLOUD_API_ABI */
    /* Returns the plugin's state, or NULL with err set (a bad setting). */
    void *(*create)(struct cloud_host *h, char *err);
    void (*destroy)(void *p);
    /* Start instances for req's "nodes".  *result: {"instances": {node: id},
     * "failed": {node: why}}; every node given is in one of them.  Optional
     * "types": {node: type}, the instance type launched (one of the node's
     * "instance_types"): an elastic node launched as a fallback type takes
     * that type's CPUs, memory, GPUs and features. */
    int (*resume)(void *p, json_t *req, json_t **result, char *err);
    /* Stop the instances of req's "nodes".  *result: {"failed": {node: why}}. */
    int (*suspend)(void *p, json_t *req, json_t **result, char *err);
    /* What exists: *result: {"instances": [{"id", "node", "running": bool}]},
     * or {"complete": false} from a plugin that cannot know. */
    int (*describe)(void *p, json_t **result, char *err);
};

#endif
