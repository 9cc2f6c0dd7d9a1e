/* cg.h: the cgroup file system as task/cgroup uses it, v1 (a hierarchy per
 * controller) and v2 (unified).  Every path starts at a mount point given
 * by the caller, and the daemon's own cgroup is read from a file the caller
 * names (/proc/self/cgroup), so that unit tests run against a directory
 * tree shaped like cgroupfs. */
#ifndef SL_TASK_CG_H
#define SL_TASK_CG_H

#include <limits.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

enum cg_mode { CG_V1 = 1, CG_V2 = 2 };

/* v1 controllers used; v2 uses the same names in cgroup.subtree_control. */
enum cg_ctrl { CG_FREEZER, CG_MEMORY, CG_CPUSET, CG_DEVICES, CG_NCTRL };

struct cg {
    enum cg_mode mode;
    int use[CG_NCTRL];              /* in use for jobs */
    char base[CG_NCTRL][PATH_MAX];  /* v1: MOUNT/CTRL/OWN/sluice/NODE */
    char root[PATH_MAX];            /* v2: MOUNT/OWN/sluice/NODE (all of base[]) */
    char tracker;                   /* v1: the controller whose cgroup.procs is the job's */
    int cores, ram, swap, devices;  /* Constrain* */
    uint32_t allowed_swap;
    void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

struct cg_gpu {
    int minor;
    int amd;         /* else NVIDIA */
};

struct cg_limits {
    const char *cpus;               /* OS list, NULL: the parent's */
    uint64_t mem_mb;                /* 0: none */
    const struct cg_gpu *deny;      /* GPUs of the node the job was not given */
    size_t ndeny;
};

extern const char *const cg_ctrl_name[CG_NCTRL];

/* Find the hierarchy under mount, the daemon's place in it (self_file:
 * /proc/self/cgroup) and make MOUNT/.../sluice/NODE; check it is writable. */
int cg_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
             sl_error_t *e);
/* Make the cgroup rel ("job_5", "job_5/step_0") with limits; append to procs
 * the cgroup.procs files a job process writes itself to. */
int cg_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
              sl_error_t *e);
/* SIGKILL everything in rel (and below) until it is empty: how many were
 * alive, -1 if some survive ~10 s. */
int cg_kill(struct cg *cg, const char *rel);
/* Did the kernel's OOM killer act in rel? */
int cg_oom(struct cg *cg, const char *rel);
/* Remove rel and everything below it. */
void cg_remove(struct cg *cg, const char *rel);
/* The job_N directories under the node's base (recovery); malloc'd ids. */
size_t cg_list_jobs(struct cg *cg, uint64_t **ids);

/* cg_file.c: small helpers. */
int cg_write(const char *dir, const char *file, const char *val, sl_error_t *e);
int cg_read(const char *dir, const char *file, char *buf, size_t len);
int cg_mkdir_p(const char *path, sl_error_t *e);
void cg_rmdir_tree(const char *path);
/* The path of the daemon's cgroup for controller ctrl ("" for v2's "0::")
 * from a /proc/self/cgroup file. */
int cg_self_path(const char *self_file, const char *ctrl, char *out, size_t len,
                 sl_error_t *e);
/* Read the pids in DIR/cgroup.procs; returns the count (malloc'd *pids). */
size_t cg_procs(const char *dir, int **pids);
/* "key N" line of a flat-keyed file (memory.events, memory.oom_control). */
int64_t cg_keyed(const char *dir, const char *file, const char *key);

/* want within have (OS CPU lists): out gets the intersection; 1 if CPUs
 * were dropped, 0 if none, -1 if nothing is left (out = have). */
int cg_cpus_clip(const char *want, const char *have, char *out, size_t len);

/* cg_favor.c: is some cgroup file system in mounts_file (/proc/mounts)
 * mounted with favordynmods?  And make it so (v1: a named hierarchy;
 * v2: only said), logging what was done; never fatal. */
int cg_favor_active(const char *mounts_file);
void cg_favor_dynmods(struct cg *cg, const char *mount, const char *mounts_file);

/* cg_v1.c, cg_v2.c */
int cg_v1_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
                sl_error_t *e);
int cg_v1_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
                 sl_error_t *e);
int cg_v2_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
                sl_error_t *e);
int cg_v2_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
                 sl_error_t *e);

#endif
