/* usage.c: see usage.h. */
#include "usage.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
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
    u->tasks = calloc(u->ntasks, sizeof(*u->tasks));
    if (!u->node || !u->tasks) {
        usage_destroy(u);
        return NULL;
    }
    return u;
}

void usage_destroy(struct usage *u)
{
    if (!u)
        return;
    free(u->node);
    free(u->tasks);
    free(u);
}

int usage_period(const struct usage *u)
{
    return u ? u->period : 0;
}

struct proc {
    pid_t pid, ppid;
};

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
        v[n++] = (struct proc){ pid, ps.ppid };
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
        struct proc key = { pid, 0 }, *hit = bsearch(&key, v, n, sizeof(*v), proc_cmp);
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
        for (size_t i = 0; i < n; i++) {
            pid_t top = top_below(v, n, v[i].pid, self);
            uint64_t r, z;
            if (!top || statm_read(v[i].pid, &r, &z) < 0)
                continue;
            size_t t = task_of(u, roots, top);
            rss[t] += r;
            vsz[t] += z;
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

int usage_cgroup_read(struct usage *u, uint64_t *peak_bytes, uint64_t *user_us,
                      uint64_t *sys_us)
{
    (void)u;
    (void)peak_bytes;
    (void)user_us;
    (void)sys_us;
    return -1;
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
