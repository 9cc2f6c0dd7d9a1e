/* bind.h: what sluiced's task plugins asked of a job's (or a task's)
 * processes (src/noded/task_api.h): join the job's cgroups, bind to the
 * task's CPUs, print Slurm's "cpu-bind=" line.  Everything is computed
 * before the fork; the child only makes system calls (it may be vforked). */
#ifndef SL_STEPD_BIND_H
#define SL_STEPD_BIND_H

#include <sched.h>
#include <stdint.h>
#include <jansson.h>

struct bind_prep {
    const char **procs;      /* cgroup.procs files to join (the record's strings) */
    size_t nprocs;
    int have_mask;
    cpu_set_t mask;          /* clipped to CPUs that exist here */
    int verbose;
    char line[512];          /* "cpu-bind=MASK - n1, task  0  0 [" : the pid follows */
    char tail[128];          /* "]: mask 0x3 set\n" */
};

/* From the launch record: task is the node-local index into "task_cpus",
 * rank its global rank (verbose line).  Logs what it clipped.  who names
 * the job or step in messages. */
void bind_prepare(const json_t *rec, uint32_t task, uint32_t rank, const char *node,
                  const char *who, struct bind_prep *b);
void bind_free(struct bind_prep *b);
/* In the child, as root before it becomes the user: join, then bind.
 * -1 with msg filled on failure. */
int bind_child(const struct bind_prep *b, char *msg, size_t len);
/* In the child once its stderr is the job's: the verbose line. */
void bind_child_verbose(const struct bind_prep *b);

#endif
