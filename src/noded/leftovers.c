/* leftovers.c: kill a dead stepd's job (leftovers.h). */
#define _GNU_SOURCE
#include "leftovers.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "procstat.h"

#define LEFTOVERS_GIVE_UP_MS 10000

static int is_leftover(pid_t pid, const struct procstat *ps, pid_t stepd, pid_t job,
                       leftovers_keep_fn keep, void *arg)
{
    if (keep && keep(pid, arg))
        return 0;
    if (job > 0 && (ps->sid == job || ps->pgrp == job))
        return 1;
    if (stepd > 0 && ps->sid == stepd)
        return 1;
    /* Only stepds are sluiced's children; anything else re-parented to it
     * is an orphan of a stepd that died. */
    return ps->ppid == getpid();
}

/* One pass over /proc: SIGKILL the live leftovers, reap our zombies.
 * Returns the number still alive (a zombie is not). */
static int leftovers_pass(pid_t stepd, pid_t job, leftovers_keep_fn keep, void *arg,
                          int *killed)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t self = getpid();
    int alive = 0;

    if (!d)
        return 0;
    while ((de = readdir(d))) {
        struct procstat ps;
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid == self || procstat_read(pid, &ps) < 0 ||
            !is_leftover(pid, &ps, stepd, job, keep, arg))
            continue;
        if (ps.state != 'Z' && ps.state != 'X') {
            if (kill(pid, SIGKILL) == 0)
                (*killed)++;
            alive++;
        }
        if (ps.ppid == self)
            (void)waitpid(pid, NULL, WNOHANG);
    }
    closedir(d);
    return alive;
}

int leftovers_kill(pid_t stepd, pid_t job, leftovers_keep_fn keep, void *arg)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    int killed = 0;

    for (int ms = 0; ms <= LEFTOVERS_GIVE_UP_MS; ms += 10) {
        if (leftovers_pass(stepd, job, keep, arg, &killed) == 0)
            return killed;
        nanosleep(&pause, NULL);
    }
    return -1;
}
