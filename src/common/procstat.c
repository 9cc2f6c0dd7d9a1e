/* procstat.c: see procstat.h. */
#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int procstat_read(pid_t pid, struct procstat *ps)
{
    char path[64], buf[1024];
    int fd, ppid, pgrp, sid;
    ssize_t n;
    char *p;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields resume after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %c %d %d %d", &ps->state, &ppid, &pgrp, &sid) != 4)
        return -1;
    /* tty_nr tpgid flags minflt cminflt majflt cmajflt, then utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ps->utime,
               &ps->stime) != 2)
        ps->utime = ps->stime = 0;
    ps->ppid = ppid;
    ps->pgrp = pgrp;
    ps->sid = sid;
    return 0;
}
