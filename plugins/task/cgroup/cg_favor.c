/* cg_favor.c: cheap cgroup migrations (CgroupFavorDynMods=yes).
 *
 * Each job's first process writes itself into its cgroups.  On this path
 * the kernel takes cgroup_threadgroup_rwsem for writing, and unless the
 * rwsem is already in its slow mode that first waits for an RCU grace
 * period: ~12 ms per job start on cgroup v1 here, which cost workload 1 of
 * contribs/bench 16-18 % of its throughput.  Since Linux 6.0 a hierarchy
 * mounted with the favordynmods option keeps that rwsem in slow mode for
 * good (the kernel's own trade: migrations become cheap, every fork and
 * exit takes a slightly slower read path).  On v1 the controllers'
 * hierarchies cannot be remounted with a new option, but the rwsem is
 * global, so mounting one named hierarchy without controllers
 * (name=sluice) with the option is enough.  On v2 the unified hierarchy
 * carries the option itself; Sluice does not remount a site's unified
 * hierarchy and says what to do instead. */
#include "cg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define CGROUP_SUPER_MAGIC_V1 0x27e0ebL
#define FAVOR_OPTS "none,name=sluice,favordynmods"

/* Does the option list (comma separated) hold opt? */
static int has_option(const char *opts, const char *opt)
{
    size_t n = strlen(opt);

    for (const char *p = opts; p; p = strchr(p, ',')) {
        if (*p == ',')
            p++;
        if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

int cg_favor_active(const char *mounts_file)
{
    FILE *f = fopen(mounts_file, "r");
    char line[4096], type[64], opts[2048];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f))
        if (sscanf(line, "%*s %*s %63s %2047s", type, opts) == 2 &&
            (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2")))
            found = has_option(opts, "favordynmods");
    fclose(f);
    return found;
}

/* Is dir on a real cgroup v1 file system (not a test's directory tree)? */
static int is_cgroupfs_v1(const char *dir)
{
    struct statfs st;

    return statfs(dir, &st) == 0 && (long)st.f_type == CGROUP_SUPER_MAGIC_V1;
}

/* Mount the named hierarchy at dir (made if missing); errno on failure. */
static int mount_named(const char *dir)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    return mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, FAVOR_OPTS);
}

static void favor_v1(struct cg *cg, const char *mount)
{
    char dirs[2][PATH_MAX], ctrl[PATH_MAX];
    int err = 0;

    snprintf(ctrl, sizeof(ctrl), "%s/%s", mount, cg_ctrl_name[(int)cg->tracker]);
    if (!is_cgroupfs_v1(ctrl))
        return;             /* a directory tree shaped like cgroupfs: nothing to tune */
    /* Beside the controllers, else (a read-only tmpfs there) under /run. */
    snprintf(dirs[0], sizeof(dirs[0]), "%s/sluice", mount);
    snprintf(dirs[1], sizeof(dirs[1]), "/run/sluice-cgroup");
    for (int i = 0; i < 2; i++) {
        if (mount_named(dirs[i]) == 0) {
            cg->log(2, "task/cgroup: CgroupFavorDynMods: mounted the named hierarchy %s at "
                       "%s, so that joining a job's cgroups does not wait for an RCU grace "
                       "period", FAVOR_OPTS, dirs[i]);
            return;
        }
        err = err ? err : errno;
        if (cg_favor_active("/proc/mounts"))   /* another sluiced of this host was first */
            return;
    }
    cg->log(1, "task/cgroup: CgroupFavorDynMods: could not mount a cgroup hierarchy with "
               "favordynmods at %s (%s; it needs Linux 6.0 or later): every job start waits "
               "for an RCU grace period when it joins its cgroups", dirs[0], strerror(err));
}

void cg_favor_dynmods(struct cg *cg, const char *mount, const char *mounts_file)
{
    if (cg_favor_active(mounts_file))
        return;
    if (cg->mode == CG_V1) {
        favor_v1(cg, mount);
        return;
    }
    cg->log(2, "task/cgroup: cgroup v2 at %s is not mounted with favordynmods: each job "
               "start waits for an RCU grace period when it joins its cgroup; a site can "
               "remount it with that option (Linux 6.0 or later; Sluice does not remount "
               "the unified hierarchy itself)", mount);
}
