/* lease.h: the node's lease from the controller, shared by sluiced (which
 * renews it) and sluicestepd (which stops its job when it runs out).  One
 * file per node, SPOOL/lease, holds the time the lease ends on this host's
 * CLOCK_BOOTTIME (monotonic, counts a suspended host's sleep): both
 * programs run on the same host, so the value compares without any
 * cross-host clock.  See doc/design.md, "Leases". */
#ifndef SL_LEASE_H
#define SL_LEASE_H

#include <signal.h>
#include <stdint.h>
#include "error.h"

/* How often a stepd looks at its lease (seconds): the controller allows
 * this much, and more, after KillWait (doc/design.md). */
#define LEASE_CHECK_S 1

/* sluiced tells a stepd with this signal that the lease ran out (it may be
 * renewed before the stepd's next look, but the job must stop). */
#define LEASE_FENCE_SIGNAL (SIGRTMIN + 1)

/* CLOCK_BOOTTIME in ns. */
int64_t lease_now_ns(void);

/* Write the lease's end (ns, CLOCK_BOOTTIME) to path, atomically (not
 * durable: a host that reboots has lost its jobs with it). */
int lease_write(const char *path, int64_t until_ns, sl_error_t *e);

/* The lease's end in path; 0 if there is none. */
int64_t lease_read(const char *path);

/* 1 if the lease in path has run out (or the file is missing or
 * unreadable: no proof of a lease is no lease), 0 if it still holds. */
int lease_expired(const char *path);

#endif
