/* squeue.h: squeue's rows and fields.
 *
 * squeue asks job_list for exactly the record keys its format, folding,
 * sorting and filters read, as a columnar reply (doc/protocol.md), and
 * reads it with jtape: no allocation per job.  A row is the reply's values
 * for one job, reached by key through sq_val and friends. */
#ifndef SL_SQUEUE_H
#define SL_SQUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "cmdsort.h"
#include "jobarray.h"
#include "jobfmt.h"
#include "jtape.h"

/* Every record key squeue can read: X(enum suffix, record key). */
#define SQ_KEYS(X)                                                                        \
    X(JOB_ID, "job_id") X(ARRAY_JOB_ID, "array_job_id") X(ARRAY_TASK_ID, "array_task_id") \
    X(ARRAY_TASKS_PENDING, "array_tasks_pending") X(ARRAY_THROTTLE, "array_throttle")     \
    X(ARRAY_TASKS_CANCELLED, "array_tasks_cancelled") X(SLURM_STATE, "slurm_state")       \
    X(STATE, "state") X(REASON, "reason") X(REASON_DETAIL, "reason_detail")               \
    X(USER, "user") X(UID, "uid") X(GID, "gid") X(NAME, "name") X(ACCOUNT, "account")     \
    X(PARTITION, "partition") X(QUEUE, "queue") X(QOS, "qos") X(SHARE, "share")           \
    X(SCHED_PRIORITY, "sched_priority") X(NICE, "nice") X(NODES, "nodes")                 \
    X(NODES_MIN, "nodes_min") X(NUM_NODES, "num_nodes") X(NUM_CPUS, "num_cpus")           \
    X(NUM_TASKS, "num_tasks") X(CPUS_PER_TASK, "cpus_per_task") X(MEM_MB, "mem_mb")       \
    X(TIME_LIMIT, "time_limit") X(START_TIME, "start_time") X(SUBMIT_TIME, "submit_time") \
    X(END_TIME, "end_time") X(EXPECTED_START, "expected_start") X(EXIT_CODE, "exit_code") \
    X(EXIT_SIGNAL, "exit_signal") X(EXCLUSIVE, "exclusive") X(DEPENDENCY, "dependency")   \
    X(PRIORITY, "priority") X(CWD, "cwd") X(COMMAND, "command") X(COMMENT, "comment")     \
    X(STDOUT, "stdout") X(STDERR, "stderr") X(STDIN, "stdin")                            \
    X(CONSTRAINT, "constraint") X(REQ_NODES, "nodelist") X(EXCLUDE, "exclude")          \
    X(NTASKS_PER_NODE, "ntasks_per_node") X(MEM_PER_CPU, "mem_per_cpu_mb")              \
    X(ELIGIBLE_TIME, "eligible_time") X(RESTART_COUNT, "restart_count")                 \
    X(REQUEUE, "requeue") X(SUBMIT_HOST, "submit_host") X(NODES_MAX, "nodes_max") \
    X(GPUS_PER_NODE, "gpus_per_node") X(GPU_TYPE, "gpu_type")                          \
    X(RESERVATION, "reservation") \
    X(HET_JOB_ID, "het_job_id") X(HET_JOB_OFFSET, "het_job_offset") \
    X(TMP_MB, "tmp_mb") X(LICENSES, "licenses")

#define SQ_ENUM(id, key) K_##id,
enum sq_key { SQ_KEYS(SQ_ENUM) K_COUNT };
#undef SQ_ENUM

/* A set of keys (one bit each: at most 64). */
_Static_assert(K_COUNT <= 64, "squeue's key set is one 64-bit word");
typedef uint64_t sq_keys_t;
#define KB(k) ((sq_keys_t)1 << (k))
/* The keys of the array id: every row reads them to fold and order. */
#define SQ_ARRAY_KEYS (KB(K_JOB_ID) | KB(K_ARRAY_JOB_ID) | KB(K_ARRAY_TASK_ID) | \
                       KB(K_ARRAY_TASKS_PENDING) | KB(K_ARRAY_TASKS_CANCELLED) | \
                       KB(K_ARRAY_THROTTLE) | KB(K_HET_JOB_ID) | KB(K_HET_JOB_OFFSET))

struct squeue_ctx {
    int64_t now;    /* one clock for every row */
};

/* The values by slot (squeue_rows.c): a columnar row's lie in order on the
 * tape (flat); a record's are gathered into v. */
struct sq_row {
    const struct jt_tok *flat;
    const struct jt_tok *const *v;
    int64_t task;   /* -r: the pending task of the array this row stands for; else -1 */
};

/* The reply's rows.  sq_rows_load reads a job_list reply body: columnar
 * ("columns"/"rows") or records ("jobs"), whichever the controller sent. */
struct sq_rows {
    struct jtape tape;
    const struct jt_tok **cells;
    struct sq_row *row;
    size_t n;
};
const char *sq_key_name(enum sq_key k);
int sq_rows_load(struct sq_rows *rs, size_t body, sq_keys_t keys, sl_error_t *e);
void sq_rows_free(struct sq_rows *rs);

/* A row's value for key k: NULL when absent or null.  Reading a key that
 * was not asked for is a bug, reported and fatal. */
const struct jt_tok *sq_val(const struct sq_row *r, enum sq_key k);
const char *sq_str(const struct sq_row *r, enum sq_key k);      /* "" unless a string */
int64_t sq_int_or(const struct sq_row *r, enum sq_key k, int64_t dflt);
int64_t sq_int(const struct sq_row *r, enum sq_key k);          /* 0 unless an integer */
int sq_true(const struct sq_row *r, enum sq_key k);
/* The value as text, as jobfmt_value writes a record value. */
void sq_text(const struct sq_row *r, enum sq_key k, char *buf, size_t len);
void sq_array(const struct sq_row *r, struct jobarray_rec *a);

/* Rows in array (or job) id order, the array's record folded into one row,
 * or with expand one row per pending task; fn sees each. */
void sq_rows_each(const struct sq_rows *rs, int expand,
                  void (*fn)(const struct sq_row *r, void *arg), void *arg);

/* The field table jobfmt parses formats with, and how to fill a cell. */
extern const struct jobfmt_field squeue_fields[];
void squeue_cell(const struct jobfmt_field *fd, const void *row, const void *ctx, char *buf,
                 size_t len);
/* The keys the format's columns read. */
sq_keys_t squeue_format_keys(const jobfmt_t *f);

/* squeue -s (squeue_steps.c): list (--steps=LIST) may be NULL; req holds
 * -j/-u.  Prints the table and returns 0. */
int squeue_steps(const char *list, json_t *req, int noheader, const char *format);

/* For a format error naming one of Slurm's fields that has no meaning here,
 * the refusal with its reason (in buf); else NULL. */
const char *squeue_refused(const char *err, char *buf, size_t len);

/* squeue_json.c: print the job records as Slurm 22.05's squeue --json. */
void squeue_json(const json_t *jobs, int yaml);

/* squeue's options (squeue.c parses them). */
struct squeue_opts {
    int noheader, longfmt, start, all_states, expand, steps;
    int json;       /* 1 --json, 2 --yaml */
    int iterate;    /* -i: seconds between reports, 0: one report */
    const char *format, *Format, *name, *step_list;
    struct cmd_sort sort;   /* -S (sort.keys NULL: none) */
    json_t *req;    /* the job_list body */
    json_t *parts;  /* -p: partitions or queues, matched here */
    struct hostlist *nodes;  /* -w: jobs on any of these nodes, matched here */
    json_t *accounts;  /* -A: matched here */
    json_t *qos;       /* -q: matched here (a job without --qos: "normal") */
    const char *resv;  /* -R: matched here */
    json_t *licenses;  /* -L: jobs asking for any of these, matched here */
};

/* The filters the controller does not apply (squeue_filter.c): --json's
 * records, kept in a new array; the table's rows, kept in place. */
json_t *squeue_json_select(const struct squeue_opts *o, json_t *jobs);
void squeue_rows_select(const struct squeue_opts *o, struct sq_rows *rs);

#endif
