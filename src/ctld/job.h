/* job.h: a job as the controller keeps it in memory.  The submitted script,
 * environment and arguments are not kept here: they live in the database and
 * are read back once, at launch. */
#ifndef CTLD_JOB_H
#define CTLD_JOB_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"
#include "depend.h"
#include "idset.h"

/* Internal (AWS Batch) states. */
enum job_state {
    JOB_SUBMITTED = 0, JOB_PENDING, JOB_RUNNABLE, JOB_STARTING, JOB_RUNNING,
    JOB_SUCCEEDED, JOB_FAILED,
};

/* How a terminal job ended, as the Slurm face reports it. */
enum job_end {
    END_NONE = 0, END_COMPLETED, END_FAILED, END_CANCELLED, END_TIMEOUT, END_NODE_FAIL,
    END_OUT_OF_MEMORY, END_DEADLINE,
};
#define END_LAST END_DEADLINE

struct job {
    uint32_t id;
    enum job_state state;
    enum job_end end;
    char *name, *user, *account, *partition, *comment;
    char *submit_line;      /* the submitting command line (sacct SubmitLine) */
    char *cwd, *submit_dir, *submit_host, *std_out, *std_err, *std_in, *open_mode;
    char *command;                 /* the script's path, or "wrap", for display */
    char *qos;                     /* accepted and shown; not yet enforced */
    char *constraint;              /* --constraint: node features (featexpr.h) */
    char *queue;                   /* what the job was submitted to */
    char *share;                   /* fair-share identifier (--share, account or user) */
    uint32_t sched_priority;       /* --sched-priority: order within one share */
    int32_t nice;
    char *req_nodelist, *exclude;  /* requested / excluded host list expressions */
    char *reason;                  /* pending or failure reason, NULL = None */
    char *nodes;                   /* allocated nodes, compressed; NULL until allocated */
    uint32_t uid, gid;
    uint32_t nodes_min, nodes_max, ntasks, ntasks_per_node, cpus_per_task;
    uint64_t mem_mb, mem_per_cpu_mb;   /* requested */
    uint64_t alloc_mem_mb;             /* per node, once allocated */
    uint32_t num_nodes, num_cpus;      /* allocated totals */
    uint32_t cpus_per_node;            /* allocated CPUs on each node */
    int64_t time_limit;                /* seconds, -1 unlimited */
    int64_t submit_time, eligible_time, start_time, end_time;
    int32_t exit_code, exit_signal;
    int32_t cancelled_by;              /* uid, -1 when not cancelled */
    uint32_t restart_count;
    uint32_t priority;
    int exclusive, requeue, hold, hold_admin, completing;
    int mem_all;                       /* --mem=0: all of each node's memory */
    int priority_set;                  /* --priority by an operator: fixed, not computed */
    int64_t deadline;                  /* --deadline: epoch seconds, 0 = none */
    int64_t time_min;                  /* --time-min: seconds, 0 = none */
    uint64_t tmp_mb;                   /* --tmp: TmpDisk each node must have */
    char *licenses;                    /* -L as normalised: "name:count,..." */
    char *reservation;                 /* --reservation */

    /* GPUs and the CPU layout asked for (doc/design.md, "Allocation"). */
    char *gpu_type;                    /* NULL: any type */
    uint32_t gpus, gpus_per_node, gpus_per_task, cpus_per_gpu;
    uint64_t mem_per_gpu_mb;
    uint32_t threads_per_core;         /* 1: one thread per core (--hint=nomultithread) */
    uint32_t min_cpus;                 /* --mincpus: CPUs held on each node, at least */
    char *cpu_bind;                    /* --cpu-bind as given, for the node */
    uint32_t alloc_gpus;               /* GPUs on each node, once allocated */
    /* Which CPUs and GPUs, per node: [{"node", "cpus", "gpus"}] with logical
     * CPU ids and GPU indexes as idset strings; NULL until allocated. */
    json_t *alloc;

    /* Arrays.  The array's own record holds the tasks not yet started in
     * array_pending; a task that starts becomes a job of its own. */
    uint32_t array_job_id;             /* 0 when not part of an array */
    int32_t array_task_id;             /* -1 for a plain job or the array's record */
    char *array_spec;                  /* --array as given (for env and display) */
    idset_t *array_pending;            /* on the array's record only */
    idset_t *array_cancelled;          /* never-started tasks that were cancelled */
    uint32_t array_throttle, array_size, array_running;
    uint32_t array_limit;              /* largest index + 1: the sets' size */
    uint32_t array_min, array_max;     /* of the whole index set, for the tasks' env */
    idset_t *array_all;                /* whole set, decoded once when needed (memory only) */
    uint32_t array_ended[END_LAST + 1];           /* ended tasks, by enum job_end */

    /* Dependencies. */
    char *dependency;                  /* the expression as given */
    struct deplist deps;
    int kill_on_invalid_dep;
    int dep_dirty;                     /* re-evaluate at the next pass */
    int dep_state;                     /* DEP_* of the last evaluation */

    /* Retries, begin time, warning signal, job definition. */
    uint32_t attempts;                 /* maximum, 1..10 */
    json_t *retry_rules;               /* array of strings as given */
    int64_t begin_time;
    int32_t warn_signal, warn_time, warn_batch_only;
    char *job_definition;              /* name:revision */
    int requeue_on_end;                /* scontrol requeue of a running job */

    /* Mail (mail.c): --mail-type bits (mailtype.h), --mail-user, the
     * events already mailed (TIME_LIMIT_* once each; an array's BEGIN once),
     * and, on an array's record, its tasks' least and greatest exit codes. */
    uint32_t mail_type, mail_sent;
    char *mail_user;
    int32_t array_exit_min, array_exit_max;

    /* Allocations and steps (doc/protocol.md, "Job steps"). */
    int alloc_only;                    /* salloc/srun's allocation: no script */
    int32_t alloc_end;                 /* enum job_end asked by job_complete, 0 = none */
    uint32_t next_step_id;             /* the id step_create gives next */
    json_t *steps;                     /* running step records (memory; steps table) */

    /* Heterogeneous jobs (hetjob.c): component het_job_offset of the het
     * job whose leader (component 0) has id het_job_id; components have
     * consecutive ids (het_job_size of them: scontrol's HetJobIdSet).
     * 0/0/0 for any other job. */
    uint32_t het_job_id, het_job_offset, het_job_size;

    /* Set by each scheduling pass; not persisted. */
    char *reason_detail;               /* a sentence a user can act on */
    int64_t expected_start;            /* backfill's reservation, 0 = unknown */

    /* Controller bookkeeping, not persisted. */
    int fencing;                       /* its node went silent: waiting until its copy
                                        * there has surely stopped (doc/design.md) */
    struct job *prev, *next;           /* the active list, in id order */
    struct job *hnext;                 /* hash chain */
    struct job *tnext;                 /* array task hash chain */
};

enum { DEP_NONE = 0, DEP_WAIT, DEP_OK, DEP_NEVER };

const char *job_state_name(enum job_state s);
int job_is_array_parent(const struct job *j);
/* The id whose stored spec (script, env) this job runs. */
uint32_t job_spec_id(const struct job *j);
int job_state_parse(const char *s, enum job_state *out);
const char *job_end_name(enum job_end e);
/* The Slurm state: PENDING, CONFIGURING, RUNNING, COMPLETING, or the end. */
const char *job_slurm_state(const struct job *j);
int job_is_terminal(const struct job *j);
int job_is_pending(const struct job *j);

struct job *job_create(void);
void job_destroy(struct job *j);   /* accepts NULL */
void job_set_reason(struct job *j, const char *reason);
void job_set_str(char **field, const char *value);

/* The record the protocol and the database share (doc/protocol.md). */
json_t *job_to_json(const struct job *j);
json_t *job_array_summary(const struct job *j);
json_t *job_to_json_fields(const struct job *j, json_t *keys);
/* The stored fields one at a time, as JSON text (job_list's rows): the
 * field table's index of key (-1 if it has none), and its value for j
 * (null for an unset string, as job_to_json leaves it out). */
struct jsonw;
int job_field_find(const char *key);
void job_field_write(const struct job *j, int idx, struct jsonw *w);
/* Rebuild a job from a stored record. */
struct job *job_from_json(json_t *rec, sl_error_t *e);

#endif
