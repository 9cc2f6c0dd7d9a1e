#include "proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procstat.h"

struct proc_ent {
    pid_t pid, ppid;
    int mark;
};

pid_t proctree_ppid(pid_t pid)
{
    struct procstat ps;
    return procstat_read(pid, &ps) < 0 ? -1 : ps.ppid;
}

static size_t proctree_scan(struct proc_ent **out)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    struct proc_ent *v = NULL;
    size_t n = 0, cap = 0;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atol(de->d_name);
        pid_t ppid = proctree_ppid(pid);
        if (ppid < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct proc_ent *nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = (struct proc_ent){ pid, ppid, 0 };
    }
    closedir(d);
    *out = v;
    return n;
}

static int proc_cmp(const void *a, const void *b)
{
    pid_t x = ((const struct proc_ent *)a)->pid, y = ((const struct proc_ent *)b)->pid;
    return (x > y) - (x < y);
}

static int is_marked(const struct proc_ent *v, size_t n, pid_t pid, pid_t self)
{
    struct proc_ent key = { pid, 0, 0 };
    const struct proc_ent *hit;

    if (pid == self)
        return 1;
    hit = n ? bsearch(&key, v, n, sizeof(*v), proc_cmp) : NULL;
    return hit ? hit->mark : 0;
}

int proctree_signal(int sig)
{
    struct proc_ent *v = NULL;
    size_t n = proctree_scan(&v);
    pid_t self = getpid();
    int changed = 1, count = 0;

    if (n)
        qsort(v, n, sizeof(*v), proc_cmp);

    /* Mark descendants level by level; the tree is shallow in practice. */
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (!v[i].mark && is_marked(v, n, v[i].ppid, self)) {
                v[i].mark = 1;
                changed = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].mark && kill(v[i].pid, sig) == 0)
            count++;
    }
    free(v);
    return count;
}
