/* task_api.h: what a task plugin (plugins/task/NAME, TaskPlugin=) sees.
 *
 * sluiced loads the plugins named in TaskPlugin= (comma-separated, in that
 * order) and calls them around each job and step it starts on this node.
 * The stepd does not load them: the batch stepd is linked statically for
 * its launch cost (doc/design.md).  So a plugin says what the stepd must do
 * by adding fields to the launch record before the stepd starts:
 *
 *   "task_cpus":  ["0-1", "2-3"]  OS CPU list per local task (binding);
 *                                 the stepd clips each to CPUs that exist
 *   "cpu_bind_verbose": true      print Slurm's "cpu-bind=..." line
 *   "cgroup_procs": ["/sys/fs/cgroup/memory/.../cgroup.procs", ...]
 *                                 each job process writes itself to these
 *                                 before it becomes the user
 *   "cgroup_usage": {"dir": ..., "version": 1|2}  the job's memory cgroup,
 *                                 for its usage figures (stepd/usage.h)
 *
 * and the plugin itself acts before (prepare), around (kill) and after
 * (end) the stepd's life.  Everything runs on sluiced's event loop. */
#ifndef SL_NODED_TASK_API_H
#define SL_NODED_TASK_API_H

#include <stdint.h>
#include <jansson.h>
#include "error.h"
#include "topo.h"

enum { TASK_LOG_ERROR, TASK_LOG_WARN, TASK_LOG_INFO, TASK_LOG_DEBUG };

struct task_conf {
    const char *node_name;
    const topo_t *topo;             /* the node (maybe a fixture); NULL if unknown */
    const char *cgroup_mountpoint;  /* CgroupMountpoint= */
    int constrain_cores;            /* ConstrainCores= */
    int constrain_ram;              /* ConstrainRAMSpace= */
    int constrain_swap;             /* ConstrainSwapSpace= */
    uint32_t allowed_swap;          /* AllowedSwapSpace=, percent of the job's memory */
    int constrain_devices;          /* ConstrainDevices= */
    int favor_dynmods;              /* CgroupFavorDynMods= */
    void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

struct task_ops {
    /* At sluiced's start: check the plugin can work on this node; NULL
     * with a message refuses the start (sluiced exits non-zero). */
    void *(*init)(const struct task_conf *c, sl_error_t *e);
    void (*fini)(void *ctx);
    /* Before a job's (rec has no "step_id") or a step's stepd starts: set
     * up, and add to rec what the stepd applies.  -1 fails the launch. */
    int (*prepare)(void *ctx, json_t *rec, sl_error_t *e);
    /* Kill every process of the job (step_id < 0) or step, however it
     * left the session.  Returns how many were alive, or -1 if some
     * survive. */
    int (*kill)(void *ctx, uint64_t job_id, int64_t step_id);
    /* The stepd is gone: add what the plugin saw to the job's result
     * ("oom": true) and clean up (a job's end removes its steps' too).
     * result is NULL for a step. */
    void (*end)(void *ctx, uint64_t job_id, int64_t step_id, json_t *result);
    /* A restarted sluiced: the jobs still running here; anything the
     * plugin left for other jobs is killed and removed. */
    void (*recover)(void *ctx, const uint64_t *job_ids, size_t n);
};

#endif
