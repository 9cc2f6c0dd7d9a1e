/* launch.h: the launch record sluiced writes to JOBDIR/launch.json (see
 * doc/protocol.md, "Launch record").  Strings point into the parsed JSON and
 * live as long as the record. */
#ifndef SL_STEPD_LAUNCH_H
#define SL_STEPD_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"

/* Slurm's value for "no array task" (NO_VAL - 1), shown by %a. */
#define LAUNCH_NO_ARRAY_TASK "4294967294"

struct launch {
    json_t *root;
    uint64_t job_id;
    int64_t attempt;
    const char *name;
    uid_t uid;
    gid_t gid;
    const char *user;
    const char *home;        /* from the node's user database; NULL = unknown */
    const char *shell;
    gid_t *groups;           /* supplementary groups; NULL when not given */
    size_t ngroups;
    const char *script;      /* NULL when alloc_only */
    int alloc_only;          /* salloc/srun's allocation: no script, hold until ended */
    json_t *argv;            /* array of strings, may be empty */
    json_t *env;             /* object of strings, may be empty */
    const char *cwd;
    const char *stdout_pat;  /* NULL = default slurm-%j.out */
    const char *stderr_pat;  /* NULL = same file as stdout */
    const char *stdin_pat;   /* NULL = /dev/null */
    int append;              /* open_mode "append" */
    const char *partition;
    const char *queue;
    const char *account;
    const char *cluster;
    const char *nodes;
    const char *node_name;
    int64_t node_index;
    int64_t num_nodes;
    int64_t ntasks;
    int64_t cpus_per_task;
    int64_t cpus_on_node;
    const char *cpus_per_node;
    int64_t mem_mb;
    int64_t mem_per_cpu_mb;  /* --mem-per-cpu, 0 = not given */
    int64_t ntasks_per_node; /* --ntasks-per-node, 0 = not given */
    const char *qos;         /* "" = none */
    const char *reservation; /* --reservation, "" = none */
    int64_t mem_poll_mb;         /* no task/cgroup: the stepd polls RSS against this */
    int64_t time_limit;      /* seconds, <= 0: none */
    int64_t kill_wait;
    const char *submit_dir;
    const char *submit_host;
    int64_t start_time;
    int64_t array_job_id;    /* 0 = not an array task */
    int64_t array_task_id;   /* -1 = not an array task */
    int64_t array_task_count, array_task_min, array_task_max, array_task_step;
    int64_t warn_signal;     /* --signal: 0 = none */
    int64_t warn_time;       /* seconds before the time limit */
    int64_t warn_batch_only;
    const char *lease_file;  /* the node's lease (lease.h); NULL = none */
    int64_t acct_freq;       /* JobAcctGatherFrequency: seconds between usage samples */
    /* For outpath's %s %J %t: the batch step has step_id -1 ("batch") and
     * task 0; a job step's stepd sets them per task. */
    int64_t step_id;
    int64_t task_id;
};

struct launch *launch_load(const char *path, sl_error_t *e);
void launch_destroy(struct launch *l);   /* accepts NULL */

#endif
