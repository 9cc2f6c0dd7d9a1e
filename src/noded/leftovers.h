/* leftovers.h: kill what a job left when its sluicestepd died (SIGKILL,
 * crash) before it could clean up.  Without cgroups a job's processes are
 * found by what they inherited: the job's session and process group (the
 * job's first process leads both: its pid is in job.pid), the stepd's own
 * session, and orphans re-parented to sluiced (sluiced is the child
 * subreaper of the stepds it starts).  A process that left the job's
 * session (setsid) and whose stepd was adopted from an earlier sluiced
 * (so that it re-parents to init) is out of reach: doc/design.md. */
#ifndef SL_NODED_LEFTOVERS_H
#define SL_NODED_LEFTOVERS_H

#include <sys/types.h>

/* Is pid a stepd sluiced still supervises (never a leftover)? */
typedef int (*leftovers_keep_fn)(pid_t pid, void *arg);

/* SIGKILL every matching process, again until none is left alive (reaping
 * sluiced's own children), or give up after a few seconds.  Returns how
 * many processes were killed, -1 if some survived. */
int leftovers_kill(pid_t stepd, pid_t job, leftovers_keep_fn keep, void *arg);

#endif
