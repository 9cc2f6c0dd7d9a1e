/* op_fields.c: what each controller operation's body may hold, and of which
 * type.  The server checks a body against its table before the handler runs
 * (fields.h): a field of the wrong type or, for the commands' operations, a
 * field the table does not name is EINVAL, so a malformed or misspelt
 * selection ("job_ids": "1,2", or "job_id" for "job_ids") can never widen
 * into "every job".  Integer ranges are those the handlers rely on. */
#include <stdint.h>
#include "op_fields.h"

#define JOBID_MAX ((json_int_t)UINT32_MAX)
#define I32_MAX ((json_int_t)INT32_MAX)
#define I32_MIN ((json_int_t)INT32_MIN)
#define TIME_MAX ((json_int_t)1 << 40)     /* epoch seconds, far beyond any date */

const struct field_spec F_none[] = { FIELDS_END };

/* The job spec's own fields are checked by submit.c (and the job model);
 * these are the ones it reads without a type check.  null means unset. */
const struct field_spec F_job_submit[] = {
    FIELD("script", FT_STR, .flags = F_NULL),
    FIELD("argv", FT_STRS, .flags = F_NULL),
    FIELD("env", FT_STRMAP, .flags = F_NULL),
    FIELD("env_overrides", FT_STRMAP, .flags = F_NULL),
    FIELD("parameters", FT_STRMAP, .flags = F_NULL),
    FIELD("command_override", FT_STRS, .flags = F_NULL),
    FIELD("retry_rules", FT_STRS, .flags = F_NULL),
    FIELD("hold", FT_BOOL, .flags = F_NULL),
    FIELD("requeue", FT_BOOL, .flags = F_NULL),
    FIELD("test_only", FT_BOOL, .flags = F_NULL),
    FIELD("time_limit", FT_INT, .flags = F_NULL),
    FIELD("begin_time", FT_INT, .flags = F_NULL, .min = 0, .max = TIME_MAX),
    FIELD("alloc_only", FT_BOOL, .flags = F_NULL),
    FIELD("tmp_mb", FT_INT, .flags = F_NULL, .min = 0, .max = (json_int_t)1 << 50),
    FIELD("deadline", FT_INT, .flags = F_NULL, .min = 0, .max = TIME_MAX),
    FIELD("time_min", FT_INT, .flags = F_NULL, .min = 1, .max = I32_MAX),
    FIELD("priority", FT_INT, .flags = F_NULL, .min = 0, .max = (json_int_t)UINT32_MAX - 2),
    FIELD("licenses", FT_STR, .flags = F_NULL),
    FIELD("reservation", FT_STR, .flags = F_NULL),
    FIELDS_END,
};

const struct field_spec F_job_list[] = {
    FIELD("job_ids", FT_JOBIDS, .min = 1, .max = JOBID_MAX),
    FIELD("users", FT_STRS),
    FIELD("states", FT_STRS),
    FIELD("partitions", FT_STRS),
    FIELD("queues", FT_STRS),
    FIELD("name", FT_STR),
    FIELD("fields", FT_STRS),
    FIELD("columns", FT_STRS),
    FIELDS_END,
};

const struct field_spec F_job_show[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELDS_END,
};

/* job_hold, job_release: the ids, then the filters that narrow them (or, with
 * no ids, select among the caller's jobs). */
#define JOB_SELECTION_FIELDS                                  \
    FIELD("job_ids", FT_JOBIDS, .min = 1, .max = JOBID_MAX), \
    FIELD("user", FT_STR),                                   \
    FIELD("users", FT_STRS),                                 \
    FIELD("name", FT_STR),                                   \
    FIELD("states", FT_STRS),                                \
    FIELD("partition", FT_STR),                              \
    FIELD("partitions", FT_STRS),                            \
    FIELD("queues", FT_STRS)

const struct field_spec F_job_select[] = {
    JOB_SELECTION_FIELDS,
    FIELDS_END,
};

/* job_cancel: a selection as for job_hold, and how to end the jobs. */
const struct field_spec F_job_cancel[] = {
    JOB_SELECTION_FIELDS,
    FIELD("signal", FT_INT, .min = 0, .max = 64),
    FIELD("mode", FT_STR),
    FIELD("step_id", FT_INT, .min = 0, .max = I32_MAX),
    FIELDS_END,
};

const struct field_spec F_job_update[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("time_limit", FT_INT, .min = -1, .max = I32_MAX),
    FIELD("name", FT_STR),
    FIELD("partition", FT_STR),
    FIELD("dependency", FT_STR),
    FIELD("array_throttle", FT_INT, .min = 0, .max = JOBID_MAX),
    FIELD("begin_time", FT_INT, .min = 0, .max = TIME_MAX),
    FIELD("nodes_min", FT_INT, .min = 1, .max = 100000),
    FIELD("nodes_max", FT_INT, .min = 1, .max = 100000),
    FIELD("ntasks", FT_INT, .min = 1, .max = 10000000),
    FIELD("cpus_per_task", FT_INT, .min = 1, .max = 100000),
    FIELD("mem_mb", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("mem_per_cpu_mb", FT_INT, .min = 1, .max = I32_MAX),
    FIELD("constraint", FT_STR),
    FIELD("comment", FT_STR),
    FIELD("submit_line", FT_STR),
    FIELD("nice", FT_INT, .min = -10000, .max = 10000),
    FIELD("nodelist", FT_STR),
    FIELD("exclude", FT_STR),
    FIELD("exclusive", FT_BOOL),
    FIELD("requeue", FT_BOOL),
    FIELD("mail_type", FT_STR),
    FIELD("mail_user", FT_STR),
    FIELD("account", FT_STR),
    FIELDS_END,
};

const struct field_spec F_job_requeue[] = {
    FIELD("job_ids", FT_JOBIDS, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELDS_END,
};

const struct field_spec F_jobdef_register[] = {
    FIELD("definition", FT_OBJ, .flags = F_REQUIRED),
    FIELDS_END,
};

const struct field_spec F_jobdef_list[] = {
    FIELD("name", FT_STR),
    FIELD("revision", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("all", FT_BOOL),
    FIELDS_END,
};

const struct field_spec F_jobdef_deregister[] = {
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("revision", FT_INT, .min = 0, .max = I32_MAX),
    FIELDS_END,
};

/* queue_list, policy_list */
const struct field_spec F_by_name[] = {
    FIELD("name", FT_STR),
    FIELDS_END,
};

const struct field_spec F_resv_create[] = {
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("start_time", FT_INT, .flags = F_REQUIRED, .min = 0, .max = TIME_MAX),
    FIELD("end_time", FT_INT, .flags = F_REQUIRED, .min = 0, .max = TIME_MAX),
    FIELD("nodes", FT_STR, .flags = F_REQUIRED),
    FIELD("users", FT_STR, .flags = F_REQUIRED),
    FIELD("flag_words", FT_STR),
    FIELDS_END,
};

/* scontrol update ReservationName= */
const struct field_spec F_resv_update[] = {
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("start_time", FT_INT, .min = 0, .max = TIME_MAX),
    FIELD("end_time", FT_INT, .min = 0, .max = TIME_MAX),
    FIELD("duration", FT_INT, .min = 1, .max = TIME_MAX),
    FIELD("nodes", FT_STR),
    FIELD("users", FT_STR),
    FIELD("flags_add", FT_STR),
    FIELD("flags_remove", FT_STR),
    FIELDS_END,
};

/* queue_change, policy_change */
const struct field_spec F_change[] = {
    FIELD("action", FT_STR, .flags = F_REQUIRED),
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("keys", FT_STRMAP),
    FIELDS_END,
};

const struct field_spec F_acct_query[] = {
    FIELD("job_ids", FT_JOBIDS, .min = 1, .max = JOBID_MAX),
    FIELD("users", FT_STRS),
    FIELD("states", FT_STRS),
    FIELD("start", FT_INT, .min = 0, .max = TIME_MAX),
    FIELD("end", FT_INT, .min = 0, .max = TIME_MAX),
    FIELD("duplicates", FT_BOOL),
    FIELD("steps", FT_BOOL),
    FIELDS_END,
};

/* Allocations and job steps (doc/protocol.md, "Job steps"). */
const struct field_spec F_job_complete[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("exit_code", FT_INT, .min = 0, .max = 255),
    FIELD("signal", FT_INT, .min = 0, .max = 64),
    FIELDS_END,
};

const struct field_spec F_step_create[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("name", FT_STR),
    FIELD("ntasks", FT_INT, .min = 1, .max = 10000000),
    FIELD("nnodes", FT_INT, .min = 1, .max = 100000),
    FIELD("ntasks_per_node", FT_INT, .min = 1, .max = 100000),
    FIELD("cpus_per_task", FT_INT, .min = 1, .max = 100000),
    FIELD("mem_mb", FT_INT, .min = 0, .max = (json_int_t)1 << 50),
    FIELD("nodelist", FT_STR),
    FIELD("exclude", FT_STR),
    FIELD("overlap", FT_BOOL),
    FIELD("exclusive", FT_BOOL),
    FIELD("time_limit", FT_INT, .min = -1, .max = I32_MAX),
    FIELD("mpi", FT_STR),
    FIELD("argv", FT_STRS),
    FIELD("cwd", FT_STR),
    FIELD("gpus", FT_INT, .min = 0, .max = 100000),
    FIELD("gpus_per_node", FT_INT, .min = 0, .max = 100000),
    FIELD("gpus_per_task", FT_INT, .min = 0, .max = 100000),
    FIELD("gpu_bind_per_task", FT_INT, .min = 0, .max = 100000),
    FIELD("gpu_type", FT_STR),
    FIELD("step_id_min", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("het_first", FT_BOOL),
    FIELDS_END,
};

const struct field_spec F_step_complete[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("step_id", FT_INT, .flags = F_REQUIRED, .min = 0, .max = I32_MAX),
    FIELD("exit_code", FT_INT, .min = 0, .max = 255),
    FIELD("signal", FT_INT, .min = 0, .max = 64),
    FIELD("state", FT_STR),
    FIELD("usage", FT_OBJ),     /* summed over the step's nodes (jobacct.h) */
    FIELDS_END,
};

const struct field_spec F_step_list[] = {
    FIELD("job_ids", FT_JOBIDS, .min = 1, .max = JOBID_MAX),
    FIELD("users", FT_STRS),
    FIELD("states", FT_STRS),
    FIELD("all", FT_BOOL),
    FIELDS_END,
};

const struct field_spec F_step_show[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("step_id", FT_INT, .min = 0, .max = I32_MAX),
    FIELDS_END,
};

const struct field_spec F_bcast_grant[] = {
    FIELD("job_id", FT_JOBID, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELDS_END,
};

const struct field_spec F_node_list[] = {
    FIELD("nodes", FT_STR),
    FIELDS_END,
};

const struct field_spec F_node_update[] = {
    FIELD("nodes", FT_STR, .flags = F_REQUIRED),
    FIELD("state", FT_STR, .flags = F_REQUIRED),
    FIELD("reason", FT_STR),
    FIELDS_END,
};

const struct field_spec F_node_power[] = {
    FIELD("nodes", FT_STR, .flags = F_REQUIRED),
    FIELD("action", FT_STR, .flags = F_REQUIRED),
    FIELD("mode", FT_STR),
    FIELDS_END,
};

/* The node channel's operations are open: a newer sluiced may send more. */
const struct field_spec F_node_register[] = {
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("cpus", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("sockets", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("cores_per_socket", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("threads_per_core", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("memory_mb", FT_INT, .min = 0, .max = (json_int_t)1 << 50),
    FIELD("running", FT_INTS, .min = 1, .max = JOBID_MAX),
    FIELD("running_attempts", FT_INTS, .min = 0, .max = I32_MAX),
    FIELD("ended", FT_INTS, .min = 1, .max = JOBID_MAX),
    FIELD("version", FT_STR),
    FIELD("topology", FT_OBJ),      /* topo_to_json; checked by topo_from_json */
    FIELD("cpu_load", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("free_mem_mb", FT_INT, .min = 0, .max = (json_int_t)1 << 50),
    FIELDS_END,
};

const struct field_spec F_node_heartbeat[] = {
    FIELD("cpu_load", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("free_mem_mb", FT_INT, .min = 0, .max = (json_int_t)1 << 50),
    FIELDS_END,
};

const struct field_spec F_job_started[] = {
    FIELD("job_id", FT_INT, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("attempt", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("pid", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("node", FT_STR),
    FIELDS_END,
};

const struct field_spec F_step_node_ended[] = {
    FIELD("job_id", FT_INT, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("step_id", FT_INT, .flags = F_REQUIRED, .min = 0, .max = I32_MAX),
    FIELD("node", FT_STR, .flags = F_REQUIRED),
    FIELD("ok", FT_BOOL, .flags = F_REQUIRED),
    FIELDS_END,
};

const struct field_spec F_job_ended[] = {
    FIELD("job_id", FT_INT, .flags = F_REQUIRED, .min = 1, .max = JOBID_MAX),
    FIELD("attempt", FT_INT, .min = 0, .max = I32_MAX),
    FIELD("exit_code", FT_INT, .min = I32_MIN, .max = I32_MAX),
    FIELD("exit_signal", FT_INT, .min = I32_MIN, .max = I32_MAX),
    FIELD("start_time", FT_INT),
    FIELD("end_time", FT_INT),
    FIELD("timed_out", FT_BOOL),
    FIELD("cancelled", FT_BOOL),
    FIELD("fenced", FT_BOOL),
    FIELD("oom", FT_BOOL),
    FIELD("mock", FT_BOOL),
    FIELD("failure", FT_STR),
    FIELD("node", FT_STR),
    FIELD("usage", FT_OBJ),     /* the batch step's (jobacct.h) */
    FIELDS_END,
};

/* sacctmgr (ops_assoc.c): account_delete, account_list. */
const struct field_spec F_names[] = {
    FIELD("names", FT_STRS),
    FIELDS_END,
};

/* account_add, account_modify: names, and the settings (null: unset). */
const struct field_spec F_account_change[] = {
    FIELD("names", FT_STRS, .flags = F_REQUIRED),
    FIELD("description", FT_STR),
    FIELD("organization", FT_STR),
    FIELD("parent", FT_STR),
    FIELDS_END,
};

/* user_add, user_modify, user_delete, user_list: names (not required to
 * list), the associations' accounts and partitions, and the settings. */
const struct field_spec F_user_change[] = {
    FIELD("names", FT_STRS),
    FIELD("accounts", FT_STRS),
    FIELD("partitions", FT_STRS),
    FIELD("default_account", FT_STR),
    FIELD("admin_level", FT_STR),
    FIELDS_END,
};
