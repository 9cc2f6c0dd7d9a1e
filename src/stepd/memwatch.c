/* memwatch.c: RSS of the stepd's descendants (memwatch.h). */
#include "memwatch.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include "proctree.h"

static int below_me(pid_t pid, pid_t me)
{
    /* The stepd is a subreaper: whatever the job left is below it. */
    for (int depth = 0; pid > 1 && depth < 4096; depth++) {
        pid = proctree_ppid(pid);
        if (pid == me)
            return 1;
    }
    return 0;
}

static uint64_t rss_kb(pid_t pid)
{
    char path[64];
    unsigned long long size, res;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
    if (!(f = fopen(path, "re")))
        return 0;
    if (fscanf(f, "%llu %llu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

uint64_t memwatch_rss_kb(void)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t me = getpid();
    uint64_t sum = 0;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atol(de->d_name);
        if (pid != me && below_me(pid, me))
            sum += rss_kb(pid);
    }
    closedir(d);
    return sum;
}
