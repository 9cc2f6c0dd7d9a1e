/* cg_v2.c: the unified hierarchy (cg.h).  Jobs go to MOUNT/OWN/sluice/NODE/
 * job_N.  v2 lets only leaves hold processes once controllers are enabled
 * below a cgroup, so when the daemon's own cgroup cannot enable them
 * (EBUSY: it holds the daemon) the daemon moves itself to a leaf
 * OWN/sluiced_NODE first.  Devices are not constrained on v2: that needs a
 * BPF program attached to each cgroup, which is not done (doc/design.md). */
#include "cg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "+memory +cpuset" for those constrained, each available in dir. */
static int v2_enable(struct cg *cg, const char *dir, sl_error_t *e)
{
    char avail[1024], want[64] = "";

    if (cg_read(dir, "cgroup.controllers", avail, sizeof(avail)) < 0)
        return sl_errprintf(e, "cannot read %s/cgroup.controllers", dir);
    for (int c = CG_MEMORY; c <= CG_CPUSET; c++) {
        int need = c == CG_MEMORY ? cg->ram : cg->cores;
        if (!need)
            continue;
        if (!strstr(avail, cg_ctrl_name[c])) {
            errno = ENOENT;    /* not EBUSY: moving ourselves would not help */
            return sl_errprintf(e, "cgroup v2: the %s controller is not available in %s "
                                   "(cgroup.controllers: '%s'): delegate it to sluiced's "
                                   "cgroup", cg_ctrl_name[c], dir, avail);
        }
        strcat(want, want[0] ? " +" : "+");
        strcat(want, cg_ctrl_name[c]);
        cg->use[c] = 1;
    }
    return want[0] ? cg_write(dir, "cgroup.subtree_control", want, e) : 0;
}

/* The daemon's own cgroup must hold no process to enable controllers
 * below it: move this daemon to a leaf beside the jobs' tree. */
static int v2_enable_top(struct cg *cg, const char *top, const char *node, sl_error_t *e)
{
    char leaf[PATH_MAX], pid[32];

    if (v2_enable(cg, top, e) == 0)
        return 0;
    if (errno != EBUSY)
        return -1;
    snprintf(leaf, sizeof(leaf), "%s/sluiced_%s", top, node);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if (cg_mkdir_p(leaf, e) < 0 || cg_write(leaf, "cgroup.procs", pid, e) < 0)
        return -1;
    cg->log(2, "task/cgroup: moved sluiced to %s so that %s may enable controllers", leaf,
            top);
    if (v2_enable(cg, top, e) < 0) {
        sl_error_t inner = *e;
        return sl_errprintf(e, "%s (other processes share sluiced's cgroup %s: run sluiced "
                               "in a delegated cgroup of its own)", inner.text, top);
    }
    return 0;
}

int cg_v2_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
                sl_error_t *e)
{
    char own[PATH_MAX], top[PATH_MAX], mid[PATH_MAX];

    cg->mode = CG_V2;
    if (cg_self_path(self_file, "", own, sizeof(own), e) < 0)
        return -1;
    snprintf(top, sizeof(top), "%s%s", mount, own);
    snprintf(mid, sizeof(mid), "%s/sluice", top);
    snprintf(cg->root, sizeof(cg->root), "%s/%s", mid, node);
    if (cg->devices)
        cg->log(1, "task/cgroup: cgroup v2: ConstrainDevices=yes is not enforced (it needs a "
                   "BPF device program, not done): jobs can open every GPU device; "
                   "CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES still name only theirs");
    if (v2_enable_top(cg, top, node, e) < 0 || cg_mkdir_p(mid, e) < 0 ||
        v2_enable(cg, mid, e) < 0 || cg_mkdir_p(cg->root, e) < 0 || v2_enable(cg, cg->root, e) < 0)
        return -1;
    return 0;
}

int cg_v2_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
                 sl_error_t *e)
{
    char dir[PATH_MAX], v[4096], have[4096];

    snprintf(dir, sizeof(dir), "%s/%s", cg->root, rel);
    if (cg_mkdir_p(dir, e) < 0)
        return -1;
    if (cg->use[CG_CPUSET] && lim->cpus && *lim->cpus) {
        if (cg_read(cg->root, "cpuset.cpus.effective", have, sizeof(have)) < 0)
            return sl_errprintf(e, "cannot read %s/cpuset.cpus.effective", cg->root);
        int clip = cg_cpus_clip(lim->cpus, have, v, sizeof(v));
        if (clip != 0)
            cg->log(1, "task/cgroup: %s: cpuset limited to CPUs that exist: wanted %s, %s %s",
                    rel, lim->cpus, clip < 0 ? "none exist, all of" : "got", v);
        if (cg_write(dir, "cpuset.cpus", v, e) < 0)
            return -1;
    }
    if (cg->use[CG_MEMORY] && lim->mem_mb) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->mem_mb << 20);
        if (cg_write(dir, "memory.max", v, e) < 0)
            return -1;
        /* v2 counts swap apart from memory: the allowance alone. */
        snprintf(v, sizeof(v), "%llu",
                 (unsigned long long)((lim->mem_mb << 20) * cg->allowed_swap / 100));
        if (cg->swap && cg_write(dir, "memory.swap.max", v, e) < 0)
            return -1;
    }
    json_array_append_new(procs, json_sprintf("%s/cgroup.procs", dir));
    return 0;
}
