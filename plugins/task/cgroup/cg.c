/* cg.c: which hierarchy, and what both have in common (cg.h). */
#include "cg.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG_KILL_GIVE_UP_MS 10000

const char *const cg_ctrl_name[CG_NCTRL] = { "freezer", "memory", "cpuset", "devices" };

static int exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return stat(path, &st) == 0;
}

int cg_setup(struct cg *cg, const char *mount, const char *self_file, const char *node,
             sl_error_t *e)
{
    char probe[PATH_MAX + 32];
    const char *where;

    if (exists(mount, "cgroup.controllers")) {
        if (cg_v2_setup(cg, mount, self_file, node, e) < 0)
            return -1;
        where = cg->root;
    } else if (exists(mount, "freezer/tasks") || exists(mount, "memory/tasks") ||
               exists(mount, "cpuset/tasks")) {
        if (cg_v1_setup(cg, mount, self_file, node, e) < 0)
            return -1;
        where = cg->base[(int)cg->tracker];
    } else {
        return sl_errprintf(e, "no cgroup hierarchy at CgroupMountpoint=%s (neither a v2 "
                               "cgroup.controllers nor v1 freezer, memory or cpuset "
                               "directories)", mount);
    }
    /* Writable by us: a job's cgroup must be creatable, now rather than at
     * the first job. */
    snprintf(probe, sizeof(probe), "%s/probe_%ld", where, (long)getpid());
    if (mkdir(probe, 0755) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create cgroups under %s: %s", where, strerror(errno));
    (void)rmdir(probe);
    return 0;
}

int cg_create(struct cg *cg, const char *rel, const struct cg_limits *lim, json_t *procs,
              sl_error_t *e)
{
    return cg->mode == CG_V2 ? cg_v2_create(cg, rel, lim, procs, e)
                             : cg_v1_create(cg, rel, lim, procs, e);
}

/* The directories holding the job's processes: v1 the tracker's, v2 the one. */
static void cg_dir(const struct cg *cg, const char *rel, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", cg->mode == CG_V2 ? cg->root : cg->base[(int)cg->tracker],
             rel);
}

/* SIGKILL every pid in dir and its subdirectories; how many were there. */
static int kill_tree(const char *dir)
{
    DIR *d;
    struct dirent *de;
    int *pids, n;

    n = (int)cg_procs(dir, &pids);
    for (int i = 0; i < n; i++) {
        (void)kill(pids[i], SIGKILL);
        (void)waitpid(pids[i], NULL, WNOHANG);   /* ours once their stepd is gone */
    }
    free(pids);
    if (!(d = opendir(dir)))
        return n;
    while ((de = readdir(d))) {
        char sub[PATH_MAX];
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        n += kill_tree(sub);
    }
    closedir(d);
    return n;
}

int cg_kill(struct cg *cg, const char *rel)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    char dir[PATH_MAX];
    int first = -1;

    cg_dir(cg, rel, dir, sizeof(dir));
    if (access(dir, F_OK) < 0)
        return 0;
    /* v2 (Linux 5.14): the kernel kills the whole subtree, forks included. */
    if (cg->mode == CG_V2 && exists(dir, "cgroup.kill"))
        (void)cg_write(dir, "cgroup.kill", "1", &(sl_error_t){ "" });
    for (int ms = 0; ms <= CG_KILL_GIVE_UP_MS; ms += 10) {
        int n = kill_tree(dir);
        if (first < 0)
            first = n;
        if (n == 0)
            return first;
        nanosleep(&pause, NULL);
    }
    return -1;
}

int cg_oom(struct cg *cg, const char *rel)
{
    char dir[PATH_MAX];

    if (cg->mode == CG_V2) {
        snprintf(dir, sizeof(dir), "%s/%s", cg->root, rel);
        return cg_keyed(dir, "memory.events", "oom_kill") > 0;
    }
    if (!cg->use[CG_MEMORY])
        return 0;
    snprintf(dir, sizeof(dir), "%s/%s", cg->base[CG_MEMORY], rel);
    return cg_keyed(dir, "memory.oom_control", "oom_kill") > 0;
}

void cg_remove(struct cg *cg, const char *rel)
{
    char dir[PATH_MAX];

    if (cg->mode == CG_V2) {
        snprintf(dir, sizeof(dir), "%s/%s", cg->root, rel);
        cg_rmdir_tree(dir);
        return;
    }
    for (int c = 0; c < CG_NCTRL; c++) {
        if (!cg->use[c])
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", cg->base[c], rel);
        cg_rmdir_tree(dir);
    }
}

size_t cg_list_jobs(struct cg *cg, uint64_t **ids)
{
    const char *dir = cg->mode == CG_V2 ? cg->root : cg->base[(int)cg->tracker];
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = opendir(dir);

    *ids = NULL;
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char *end;
        unsigned long long id;
        if (strncmp(de->d_name, "job_", 4) != 0)
            continue;
        id = strtoull(de->d_name + 4, &end, 10);
        if (*end || id == 0)
            continue;
        if (n == cap) {
            uint64_t *p = realloc(*ids, (cap = cap ? cap * 2 : 16) * sizeof(*p));
            if (!p)
                break;
            *ids = p;
        }
        (*ids)[n++] = id;
    }
    closedir(d);
    return n;
}
