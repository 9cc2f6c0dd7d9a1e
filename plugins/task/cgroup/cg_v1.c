/* cg_v1.c: cgroup v1, a hierarchy per controller (cg.h).  Each used
 * controller gets MOUNT/CTRL/OWN/sluice/NODE/job_N, where OWN is the
 * daemon's own cgroup in that hierarchy (so a daemon confined by its site
 * keeps its jobs inside that confinement). */
#include "cg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A new v1 cpuset has no CPUs and no memory nodes, and nothing can join
 * it until both are set: copy them down from the parent. */
static int cpuset_inherit(const char *dir, sl_error_t *e)
{
    char parent[PATH_MAX], val[4096];
    const char *files[] = { "cpuset.cpus", "cpuset.mems" };

    snprintf(parent, sizeof(parent), "%s", dir);
    *strrchr(parent, '/') = '\0';
    for (int i = 0; i < 2; i++) {
        if (cg_read(dir, files[i], val, sizeof(val)) == 0 && val[0])
            continue;
        if (cg_read(parent, files[i], val, sizeof(val)) < 0)
            return sl_errprintf(e, "cannot read %s/%s", parent, files[i]);
        if (cg_write(dir, files[i], val, e) < 0)
            return -1;
    }
    return 0;
}

/* mkdir -p from the daemon's own cgroup down, each level a cpuset that
 * can be joined. */
static int v1_mkdirs(struct cg *cg, int c, const char *top, const char *path, sl_error_t *e)
{
    char tmp[PATH_MAX];
    size_t at = strlen(top);

    if (cg_mkdir_p(path, e) < 0)
        return -1;
    if (c != CG_CPUSET)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + at + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char save = *p;
            *p = '\0';
            if (cpuset_inherit(tmp, e) < 0)
                return -1;
            if (!save)
                break;
            *p = save;
        }
    }
    (void)cg;
    return 0;
}

int cg_v1_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
                sl_error_t *e)
{
    int need[CG_NCTRL] = { 0, cg->ram, cg->cores, cg->devices };
    int any_need = cg->ram || cg->cores || cg->devices;
    char own[PATH_MAX], top[PATH_MAX], probe[PATH_MAX];

    cg->mode = CG_V1;
    cg->tracker = -1;
    for (int c = 0; c < CG_NCTRL; c++) {
        snprintf(probe, sizeof(probe), "%s/%s/tasks", mount, cg_ctrl_name[c]);
        int mounted = access(probe, F_OK) == 0;
        if (need[c] && !mounted)
            return sl_errprintf(e, "cgroup v1: the %s controller is not mounted at %s/%s (the "
                                   "Constrain* settings need it)", cg_ctrl_name[c], mount,
                                cg_ctrl_name[c]);
        /* Each hierarchy a job joins costs a mkdir, a cgroup.procs write
         * and an rmdir per job: a needed controller's hierarchy tracks the
         * processes; the freezer (else the first mounted one) only when no
         * controller is needed. */
        if (!mounted || (!need[c] && (any_need || (c != CG_FREEZER && cg->tracker >= 0))))
            continue;
        if (cg_self_path(self_file, cg_ctrl_name[c], own, sizeof(own), e) < 0)
            return -1;
        snprintf(top, sizeof(top), "%s/%s%s", mount, cg_ctrl_name[c], own);
        snprintf(cg->base[c], sizeof(cg->base[c]), "%s/sluice/%s", top, node);
        if (v1_mkdirs(cg, c, top, cg->base[c], e) < 0)
            return -1;
        cg->use[c] = 1;
        if (cg->tracker < 0)
            cg->tracker = (char)c;
    }
    if (cg->tracker < 0)
        return sl_errprintf(e, "cgroup v1: none of freezer, memory, cpuset is mounted under %s",
                            mount);
    return 0;
}

static int v1_cpuset(struct cg *cg, const char *dir, const char *rel, const char *cpus,
                     sl_error_t *e)
{
    char have[4096], got[4096];
    int clip;

    if (cpuset_inherit(dir, e) < 0)
        return -1;
    if (!cpus || !*cpus)
        return 0;
    if (cg_read(cg->base[CG_CPUSET], "cpuset.effective_cpus", have, sizeof(have)) < 0 &&
        cg_read(cg->base[CG_CPUSET], "cpuset.cpus", have, sizeof(have)) < 0)
        return sl_errprintf(e, "cannot read the CPUs of %s", cg->base[CG_CPUSET]);
    clip = cg_cpus_clip(cpus, have, got, sizeof(got));
    if (clip != 0)
        cg->log(1, "task/cgroup: %s: cpuset limited to CPUs that exist: wanted %s, %s %s", rel,
                cpus, clip < 0 ? "none exist, all of" : "got", got);
    return cg_write(dir, "cpuset.cpus", got, e);
}

static int v1_memory(struct cg *cg, const char *dir, uint64_t mem_mb, sl_error_t *e)
{
    char v[32];

    if (!mem_mb)
        return 0;
    snprintf(v, sizeof(v), "%llu", (unsigned long long)mem_mb << 20);
    if (cg_write(dir, "memory.limit_in_bytes", v, e) < 0)
        return -1;
    if (!cg->swap)
        return 0;
    if (access(dir, F_OK) == 0) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", dir);
        if (access(path, F_OK) < 0) {
            cg->log(1, "task/cgroup: ConstrainSwapSpace: no memory.memsw.limit_in_bytes "
                       "(swap accounting is off in the kernel): swap is not limited");
            return 0;
        }
    }
    snprintf(v, sizeof(v), "%llu",
             (unsigned long long)((mem_mb << 20) * (100 + cg->allowed_swap) / 100));
    return cg_write(dir, "memory.memsw.limit_in_bytes", v, e);
}

/* The device numbers of a GPU: its device file's, else the usual ones
 * (NVIDIA 195:N, AMD render nodes 226:128+N). */
static void gpu_dev(const struct cg_gpu *g, unsigned *maj, unsigned *min)
{
    char path[64];
    struct stat st;

    if (g->amd)
        snprintf(path, sizeof(path), "/dev/dri/renderD%d", 128 + g->minor);
    else
        snprintf(path, sizeof(path), "/dev/nvidia%d", g->minor);
    if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
        *maj = major(st.st_rdev);
        *min = minor(st.st_rdev);
        return;
    }
    *maj = g->amd ? 226 : 195;
    *min = (unsigned)(g->amd ? 128 + g->minor : g->minor);
}

static int v1_devices(const char *dir, const struct cg_limits *lim, sl_error_t *e)
{
    for (size_t i = 0; i < lim->ndeny; i++) {
        unsigned maj, min;
        char rule[64];
        gpu_dev(&lim->deny[i], &maj, &min);
        snprintf(rule, sizeof(rule), "c %u:%u rwm", maj, min);
        if (cg_write(dir, "devices.deny", rule, e) < 0)
            return -1;
    }
    return 0;
}

int cg_v1_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
                 sl_error_t *e)
{
    char dir[PATH_MAX];

    for (int c = 0; c < CG_NCTRL; c++) {
        if (!cg->use[c])
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", cg->base[c], rel);
        if (v1_mkdirs(cg, c, cg->base[c], dir, e) < 0)
            return -1;
        if ((c == CG_CPUSET && v1_cpuset(cg, dir, rel, lim->cpus, e) < 0) ||
            (c == CG_MEMORY && cg->ram && v1_memory(cg, dir, lim->mem_mb, e) < 0) ||
            (c == CG_DEVICES && v1_devices(dir, lim, e) < 0))
            return -1;
        json_array_append_new(procs, json_sprintf("%s/cgroup.procs", dir));
    }
    return 0;
}
