/* proctree.h: the processes below this one, found through /proc.  The
 * stepd is a child subreaper, so every process a job leaves behind stays
 * below it, whichever session or process group it moved to. */
#ifndef SL_STEPD_PROCTREE_H
#define SL_STEPD_PROCTREE_H

#include <sys/types.h>

/* Send sig to every descendant of the calling process.  Returns how many
 * were signalled. */
int proctree_signal(int sig);

/* The parent pid of pid from /proc/PID/stat, or -1. */
pid_t proctree_ppid(pid_t pid);

#endif
