/* usage.h: what a stepd's tasks use (doc/design.md, "Usage accounting"):
 * the summed RSS and VSZ of each task's processes every
 * JobAcctGatherFrequency seconds, each task's CPU time and peak when it is
 * reaped, and the CPU time of everything the stepd reaped at the end.  The
 * result is a jobacct usage object (jobacct.h) for status.json (the batch
 * step) or for srun's NODE_DONE frame (a job step). */
#ifndef SL_STEPD_USAGE_H
#define SL_STEPD_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <jansson.h>

struct usage;

/* ntasks tasks of ranks first_rank... on node; period_s: seconds between
 * samples (0: none, only what wait4 reports). */
struct usage *usage_create(size_t ntasks, int64_t first_rank, const char *node, int period_s);
void usage_destroy(struct usage *u);   /* accepts NULL */
int usage_period(const struct usage *u);

/* Sample every process below this one: each is counted for the task whose
 * first process (roots[i], 0 when not started) it descends from; one that
 * left its task's tree (reparented to us, the subreaper) for task 0. */
void usage_sample(struct usage *u, const pid_t *roots);
/* sstat's live usage: usage_sample rewrites DIR/usage.json with
 * usage_snapshot after each sample once this has opened it (before the
 * stepd becomes the user: the directory is root's).  -1 if it cannot. */
int usage_snapshot_open(struct usage *u, const char *dir);
/* The usage so far: samples, the CPU time of the live processes and of
 * those reaped (caller's reference). */
json_t *usage_snapshot(const struct usage *u);
void usage_snapshot_write(struct usage *u);
/* Task i was reaped with this rusage (wait4). */
void usage_task_reaped(struct usage *u, size_t i, const struct rusage *ru);
/* Every child reaped: the node's usage object (caller's reference). */
json_t *usage_finish(struct usage *u);

/* task/cgroup: the job's (or step's) cgroup directory holding its memory
 * accounting (v1: its memory hierarchy's; v2: the unified one), from the
 * launch record's "cgroup_usage" object ({"dir": ..., "version": 1|2}).
 * With it, usage_finish takes the kernel's exact figures: the peak memory
 * charged to the cgroup (memory.max_usage_in_bytes on v1, memory.peak on
 * v2: what the --mem limit counts, anonymous memory and page cache) and, on
 * v2, the CPU time of everything that ran in it (cpu.stat).  Without it, or
 * where a file is missing, the /proc samples and wait4's rusage stand. */
void usage_set_cgroup(struct usage *u, const json_t *cgroup_usage);
/* The figures above, read now: 0 if at least the peak was read (user/sys
 * are set only where the cgroup has them), -1 if none. */
int usage_cgroup_read(struct usage *u, uint64_t *peak_bytes, uint64_t *user_us,
                      uint64_t *sys_us);

/* The "task=N" or plain "N" of JobAcctGatherFrequency as the launch record
 * carries it (acct_freq, seconds). */
#define USAGE_DEFAULT_PERIOD 30

#endif
