/* procstat.h: the fields of /proc/PID/stat that supervision needs (the
 * stepd's process tree, sluiced's sweep after a dead stepd). */
#ifndef SL_PROCSTAT_H
#define SL_PROCSTAT_H

#include <sys/types.h>

struct procstat {
    char state;
    pid_t ppid, pgrp, sid;
    unsigned long long utime, stime;   /* clock ticks (sstat's live CPU time) */
};

/* 0 and *ps filled, or -1 if the process is gone or unreadable. */
int procstat_read(pid_t pid, struct procstat *ps);

#endif
