/* usage.c: see usage.h. */
#include "usage.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jobacct.h"
#include "procstat.h"

struct usage {
    size_t ntasks;
    int64_t first_rank;
    char *node;
    int period;
    struct jobacct_task *tasks;
    /* Live figures of the last sample, for sstat: each task's CPU time
     * (user + system of its processes still alive), and the sums. */
    uint64_t *live_cpu_us, live_user_us, live_sys_us;
    int snap_fd;             /* usage.json, rewritten after each sample; -1: none */
    char *cg_dir;            /* task/cgroup: the cgroup with the memory figures, or NULL */
    int cg_version;
};

struct usage *usage_create(size_t ntasks, int64_t first_rank, const char *node, int period_s)
{
    struct usage *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->ntasks = ntasks ? ntasks : 1;
    u->first_rank = first_rank;
    u->period = period_s > 0 ? period_s : 0;
    u->node = strdup(node ? node : "");
    u->snap_fd = -1;
    u->tasks = calloc(u->ntasks, sizeof(*u->tasks));
    u->live_cpu_us = calloc(u->ntasks, sizeof(*u->live_cpu_us));
    if (!u->node || !u->tasks || !u->live_cpu_us) {
        usage_destroy(u);
        return NULL;
    }
    return u;
}

void usage_destroy(struct usage *u)
{
    if (!u)
        return;
    if (u->snap_fd >= 0)
        close(u->snap_fd);
    free(u->node);
    free(u->tasks);
    free(u->live_cpu_us);
    free(u->cg_dir);
    free(u);
}

int usage_period(const struct usage *u)
{
    return u ? u->period : 0;
}

struct proc {
    pid_t pid, ppid;
    uint64_t user_us, sys_us;
};

static uint64_t tv_us(const struct timeval *tv);

static uint64_t ticks_us(unsigned long long t)
{
    static long hz;
    if (!hz)
        hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    return (uint64_t)t * 1000000u / (uint64_t)hz;
}

static int proc_cmp(const void *a, const void *b)
{
    pid_t x = ((const struct proc *)a)->pid, y = ((const struct proc *)b)->pid;
    return (x > y) - (x < y);
}

static size_t procs_scan(struct proc **out)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    struct proc *v = NULL;
    size_t n = 0, cap = 0;
    struct procstat ps;

    *out = NULL;
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atol(de->d_name);
        if (procstat_read(pid, &ps) < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct proc *nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = (struct proc){ pid, ps.ppid, ticks_us(ps.utime), ticks_us(ps.stime) };
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), proc_cmp);
    *out = v;
    return n;
}

/* The child of self that pid descends from, or 0 when it is not below self. */
static pid_t top_below(const struct proc *v, size_t n, pid_t pid, pid_t self)
{
    for (int depth = 0; depth < 256; depth++) {
        struct proc key = { .pid = pid }, *hit = bsearch(&key, v, n, sizeof(*v), proc_cmp);
        if (!hit || hit->ppid <= 0)
            return 0;
        if (hit->ppid == self)
            return pid;
        pid = hit->ppid;
    }
    return 0;
}

/* RSS and VSZ (bytes) from /proc/PID/statm; -1 when it is gone. */
static int statm_read(pid_t pid, uint64_t *rss, uint64_t *vsz)
{
    char path[64], buf[256];
    unsigned long long size, res;
    long page = sysconf(_SC_PAGESIZE);
    ssize_t r;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0)
        return -1;
    buf[r] = '\0';
    if (sscanf(buf, "%llu %llu", &size, &res) != 2)
        return -1;
    *vsz = size * (uint64_t)page;
    *rss = res * (uint64_t)page;
    return 0;
}

static size_t task_of(const struct usage *u, const pid_t *roots, pid_t top)
{
    for (size_t i = 0; i < u->ntasks; i++) {
        if (roots[i] == top)
            return i;
    }
    return 0;
}

void usage_sample(struct usage *u, const pid_t *roots)
{
    struct proc *v;
    size_t n = procs_scan(&v);
    pid_t self = getpid();
    uint64_t *rss = calloc(u->ntasks, sizeof(*rss)), *vsz = calloc(u->ntasks, sizeof(*vsz));

    if (rss && vsz) {
        memset(u->live_cpu_us, 0, u->ntasks * sizeof(*u->live_cpu_us));
        u->live_user_us = u->live_sys_us = 0;
        for (size_t i = 0; i < n; i++) {
            pid_t top = top_below(v, n, v[i].pid, self);
            uint64_t r, z;
            if (!top || statm_read(v[i].pid, &r, &z) < 0)
                continue;
            size_t t = task_of(u, roots, top);
            rss[t] += r;
            vsz[t] += z;
            u->live_cpu_us[t] += v[i].user_us + v[i].sys_us;
            u->live_user_us += v[i].user_us;
            u->live_sys_us += v[i].sys_us;
        }
        /* A task whose processes are all gone is not sampled: its zero
         * would only drag its average down. */
        for (size_t t = 0; t < u->ntasks; t++) {
            if (rss[t] || vsz[t])
                jobacct_task_sample(&u->tasks[t], rss[t], vsz[t]);
        }
    }
    free(rss);
    free(vsz);
    free(v);
    usage_snapshot_write(u);
}

int usage_snapshot_open(struct usage *u, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/usage.json", dir);
    u->snap_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (u->snap_fd < 0)
        return -1;
    usage_snapshot_write(u);   /* before the first sample sstat shows zeros, not an error */
    return 0;
}

json_t *usage_snapshot(const struct usage *u)
{
    struct rusage ru = { 0 };
    struct jobacct a;
    struct jobacct_task *t = malloc(u->ntasks * sizeof(*t));
    if (!t)
        return NULL;
    /* A task not reaped yet counts the CPU time of its live processes. */
    for (size_t i = 0; i < u->ntasks; i++) {
        t[i] = u->tasks[i];
        if (!t[i].cpu_known) {
            t[i].cpu_us = u->live_cpu_us[i];
            t[i].cpu_known = 1;
        }
    }
    getrusage(RUSAGE_CHILDREN, &ru);
    jobacct_from_tasks(&a, t, u->ntasks, u->first_rank,
                       tv_us(&ru.ru_utime) + u->live_user_us,
                       tv_us(&ru.ru_stime) + u->live_sys_us, u->node);
    free(t);
    return jobacct_to_json(&a);
}

/* Rewritten in place under an exclusive lock (the reader takes a shared
 * one): the stepd may no longer create files in its directory once it runs
 * as the user, so the file opened before stays the one. */
void usage_snapshot_write(struct usage *u)
{
    json_t *j;
    char *text;
    if (!u || u->snap_fd < 0 || !(j = usage_snapshot(u)))
        return;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text && flock(u->snap_fd, LOCK_EX) == 0) {
        size_t len = strlen(text);
        /* On a failure sstat finds no usage: nothing else depends on it. */
        if (ftruncate(u->snap_fd, 0) == 0 && pwrite(u->snap_fd, text, len, 0) != (ssize_t)len) {
        }
        flock(u->snap_fd, LOCK_UN);
    }
    free(text);
}

static uint64_t tv_us(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

void usage_task_reaped(struct usage *u, size_t i, const struct rusage *ru)
{
    if (i >= u->ntasks)
        return;
    u->tasks[i].cpu_us = tv_us(&ru->ru_utime) + tv_us(&ru->ru_stime);
    u->tasks[i].cpu_known = 1;
    jobacct_task_peak(&u->tasks[i], (uint64_t)ru->ru_maxrss * 1024);
}

void usage_set_cgroup(struct usage *u, const json_t *cgroup_usage)
{
    const char *dir = json_string_value(json_object_get(cgroup_usage, "dir"));

    if (!u || !dir)
        return;
    free(u->cg_dir);
    u->cg_dir = strdup(dir);
    u->cg_version = (int)json_integer_value(json_object_get(cgroup_usage, "version"));
}

/* The first number in DIR/FILE, or after "key " in it when key is given. */
static int cg_number(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char path[PATH_MAX], line[256];
    size_t klen = key ? strlen(key) : 0;
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (!(f = fopen(path, "r")))
        return -1;
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        const char *v = line;
        if (key && (strncmp(line, key, klen) != 0 || line[klen] != ' '))
            continue;
        v += klen;
        if (isdigit((unsigned char)*(v += strspn(v, " "))))
            rc = sscanf(v, "%" SCNu64, out) == 1 ? 0 : -1;
    }
    fclose(f);
    return rc;
}

int usage_cgroup_read(struct usage *u, uint64_t *peak_bytes, uint64_t *user_us,
                      uint64_t *sys_us)
{
    if (!u || !u->cg_dir)
        return -1;
    if (cg_number(u->cg_dir, u->cg_version == 2 ? "memory.peak" : "memory.max_usage_in_bytes",
                  NULL, peak_bytes) < 0)
        return -1;
    /* v1 keeps CPU time in the cpuacct hierarchy, which jobs are not put
     * in: wait4's rusage (everything the stepd reaped) stands there. */
    if (u->cg_version == 2) {
        uint64_t user, sys;
        if (cg_number(u->cg_dir, "cpu.stat", "user_usec", &user) == 0 &&
            cg_number(u->cg_dir, "cpu.stat", "system_usec", &sys) == 0) {
            *user_us = user;
            *sys_us = sys;
        }
    }
    return 0;
}

json_t *usage_finish(struct usage *u)
{
    struct rusage ru;
    struct jobacct a;
    uint64_t user = 0, sys = 0, peak = 0;

    if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
        user = tv_us(&ru.ru_utime);
        sys = tv_us(&ru.ru_stime);
        /* With one task, the largest process the node reaped was its. */
        if (u->ntasks == 1)
            jobacct_task_peak(&u->tasks[0], (uint64_t)ru.ru_maxrss * 1024);
    }
    if (usage_cgroup_read(u, &peak, &user, &sys) == 0 && u->ntasks == 1)
        jobacct_task_peak(&u->tasks[0], peak);
    jobacct_from_tasks(&a, u->tasks, u->ntasks, u->first_rank, user, sys, u->node);
    return jobacct_to_json(&a);
}
