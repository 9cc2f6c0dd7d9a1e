#include "job.h"
#include "jsonw.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *state_names[] = {
    "SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED",
};
static const char *end_names[] = {
    "NONE", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
    "DEADLINE",
};

const char *job_state_name(enum job_state s)
{
    return state_names[s];
}

int job_state_parse(const char *s, enum job_state *out)
{
    for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
        if (strcasecmp(s, state_names[i]) == 0) {
            *out = (enum job_state)i;
            return 0;
        }
    }
    return -1;
}

const char *job_end_name(enum job_end e)
{
    return end_names[e];
}

const char *job_slurm_state(const struct job *j)
{
    switch (j->state) {
    case JOB_SUBMITTED:
    case JOB_PENDING:
    case JOB_RUNNABLE:
        return "PENDING";
    case JOB_STARTING:
        return j->completing || j->fencing ? "COMPLETING" : "CONFIGURING";
    case JOB_RUNNING:
        return j->completing || j->fencing ? "COMPLETING" : "RUNNING";
    default:
        return end_names[j->end];
    }
}

int job_is_terminal(const struct job *j)
{
    return j->state == JOB_SUCCEEDED || j->state == JOB_FAILED;
}

int job_is_pending(const struct job *j)
{
    return j->state <= JOB_RUNNABLE;
}

struct job *job_create(void)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j) {
        j->cancelled_by = -1;
        j->time_limit = -1;
        j->array_task_id = -1;
        j->attempts = 1;
        j->kill_on_invalid_dep = 1;
    }
    return j;
}

/* The persisted fields, by type: one table drives both directions. */
enum ftype { F_STR, F_U32, F_I32, F_U64, F_I64, F_BOOL };
struct field {
    const char *key;
    enum ftype type;
    size_t off;
};
#define S(k, m) { k, F_STR, offsetof(struct job, m) }
#define U(k, m) { k, F_U32, offsetof(struct job, m) }
#define I(k, m) { k, F_I32, offsetof(struct job, m) }
#define U64(k, m) { k, F_U64, offsetof(struct job, m) }
#define I64(k, m) { k, F_I64, offsetof(struct job, m) }
#define B(k, m) { k, F_BOOL, offsetof(struct job, m) }
static const struct field fields[] = {
    U("job_id", id), S("name", name), S("user", user), U("uid", uid), U("gid", gid),
    S("account", account), S("partition", partition), S("comment", comment),
    S("submit_line", submit_line),
    S("cwd", cwd), S("submit_dir", submit_dir), S("submit_host", submit_host),
    S("stdout", std_out), S("stderr", std_err), S("stdin", std_in), S("open_mode", open_mode),
    S("command", command), S("qos", qos), S("constraint", constraint),
    S("queue", queue), S("share", share), U("sched_priority", sched_priority), I("nice", nice),
    S("nodelist", req_nodelist), S("exclude", exclude),
    S("nodes", nodes), U("nodes_min", nodes_min), U("nodes_max", nodes_max),
    U("num_tasks", ntasks), U("ntasks_per_node", ntasks_per_node),
    U("cpus_per_task", cpus_per_task), U64("mem_mb", mem_mb),
    U64("mem_per_cpu_mb", mem_per_cpu_mb), U64("alloc_mem_mb", alloc_mem_mb),
    U("num_nodes", num_nodes), U("num_cpus", num_cpus), U("cpus_per_node", cpus_per_node),
    I64("time_limit", time_limit), I64("time_min", time_min), I64("submit_time", submit_time),
    I64("eligible_time", eligible_time), I64("start_time", start_time),
    I64("end_time", end_time), I("exit_code", exit_code), I("exit_signal", exit_signal),
    I("cancelled_by", cancelled_by), U("restart_count", restart_count),
    U("priority", priority), B("exclusive", exclusive), B("requeue", requeue),
    B("hold", hold), B("hold_admin", hold_admin), B("completing", completing),
    U("array_job_id", array_job_id), I("array_task_id", array_task_id),
    S("array_spec", array_spec), U("array_throttle", array_throttle),
    U("array_size", array_size), U("array_limit", array_limit),
    U("array_min", array_min), U("array_max", array_max),
    U("array_running", array_running),
    S("dependency", dependency), B("kill_on_invalid_dep", kill_on_invalid_dep),
    U("attempts", attempts), I64("begin_time", begin_time), I("warn_signal", warn_signal),
    I("warn_time", warn_time), B("warn_batch_only", warn_batch_only),
    S("job_definition", job_definition), B("requeue_on_end", requeue_on_end),
    B("alloc_only", alloc_only), I("alloc_end", alloc_end), U("next_step_id", next_step_id),
    U("mail_type", mail_type), U("mail_sent", mail_sent), S("mail_user", mail_user),
    I("array_exit_min", array_exit_min), I("array_exit_max", array_exit_max),
    B("mem_all", mem_all), S("gpu_type", gpu_type), U("gpus", gpus),
    U("gpus_per_node", gpus_per_node), U("gpus_per_task", gpus_per_task),
    U("cpus_per_gpu", cpus_per_gpu), U64("mem_per_gpu_mb", mem_per_gpu_mb),
    U("threads_per_core", threads_per_core), S("cpu_bind", cpu_bind), U("min_cpus", min_cpus),
    U("alloc_gpus", alloc_gpus), U("het_job_id", het_job_id),
    U("het_job_offset", het_job_offset), U("het_job_size", het_job_size),
    B("priority_set", priority_set), I64("deadline", deadline), U64("tmp_mb", tmp_mb),
    S("licenses", licenses), S("reservation", reservation),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static json_t *field_get(const struct job *j, const struct field *f)
{
    const char *base = (const char *)j + f->off;
    switch (f->type) {
    case F_STR: {
        const char *s = *(char *const *)base;
        return s ? json_string(s) : NULL;
    }
    case F_U32: return json_integer(*(const uint32_t *)base);
    case F_I32: return json_integer(*(const int32_t *)base);
    case F_U64: return json_integer((json_int_t) * (const uint64_t *)base);
    case F_I64: return json_integer(*(const int64_t *)base);
    case F_BOOL: return json_boolean(*(const int *)base);
    }
    return NULL;
}

static void field_set(struct job *j, const struct field *f, json_t *v)
{
    char *base = (char *)j + f->off;
    json_int_t n = json_integer_value(v);
    switch (f->type) {
    case F_STR: job_set_str((char **)base, json_string_value(v)); break;
    case F_U32: *(uint32_t *)base = (uint32_t)n; break;
    case F_I32: *(int32_t *)base = (int32_t)n; break;
    case F_U64: *(uint64_t *)base = (uint64_t)n; break;
    case F_I64: *(int64_t *)base = n; break;
    case F_BOOL: *(int *)base = json_is_true(v); break;
    }
}

int job_field_find(const char *key)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].key, key) == 0)
            return (int)i;
    return -1;
}

void job_field_write(const struct job *j, int idx, struct jsonw *w)
{
    const struct field *f = &fields[idx];
    const char *base = (const char *)j + f->off;
    switch (f->type) {
    case F_STR: jsonw_str(w, *(char *const *)base); break;
    case F_U32: jsonw_int(w, *(const uint32_t *)base); break;
    case F_I32: jsonw_int(w, *(const int32_t *)base); break;
    case F_U64: jsonw_int(w, (int64_t) * (const uint64_t *)base); break;
    case F_I64: jsonw_int(w, *(const int64_t *)base); break;
    case F_BOOL: jsonw_bool(w, *(const int *)base); break;
    }
}

json_t *job_to_json(const struct job *j)
{
    json_t *o = json_object();
    for (size_t i = 0; i < NFIELDS; i++) {
        json_t *v = field_get(j, &fields[i]);
        if (v)
            json_object_set_new(o, fields[i].key, v);
    }
    json_object_set_new(o, "state", json_string(job_state_name(j->state)));
    json_object_set_new(o, "end", json_string(job_end_name(j->end)));
    json_object_set_new(o, "slurm_state", json_string(job_slurm_state(j)));
    json_object_set_new(o, "reason", json_string(j->reason ? j->reason : "None"));
    json_object_set_new(o, "attempt", json_integer(j->restart_count));
    if (j->reason_detail)
        json_object_set_new(o, "reason_detail", json_string(j->reason_detail));
    if (j->expected_start)
        json_object_set_new(o, "expected_start", json_integer(j->expected_start));
    if (j->retry_rules)
        json_object_set(o, "retry_rules", j->retry_rules);
    if (j->alloc)
        json_object_set(o, "alloc", j->alloc);
    if (j->array_pending) {
        char *p = idset_encode(j->array_pending);
        json_object_set_new(o, "array_tasks_pending", json_string(p ? p : ""));
        free(p);
    }
    if (j->array_cancelled && idset_count(j->array_cancelled)) {
        char *p = idset_encode(j->array_cancelled);
        json_object_set_new(o, "array_tasks_cancelled", json_string(p ? p : ""));
        free(p);
    }
    if (job_is_array_parent(j))
        json_object_set_new(o, "array_summary", job_array_summary(j));
    return o;
}

json_t *job_array_summary(const struct job *j)
{
    json_t *sum = json_object();
    uint32_t pending = j->array_pending ? idset_count(j->array_pending) : 0;
    if (pending)
        json_object_set_new(sum, "PENDING", json_integer(pending));
    if (j->array_running)
        json_object_set_new(sum, "RUNNING", json_integer(j->array_running));
    for (int e = END_COMPLETED; e <= END_LAST; e++) {
        if (j->array_ended[e])
            json_object_set_new(sum, end_names[e], json_integer(j->array_ended[e]));
    }
    return sum;
}

int job_is_array_parent(const struct job *j)
{
    return j->array_size > 0 && j->array_task_id < 0;
}

uint32_t job_spec_id(const struct job *j)
{
    return j->array_job_id && j->array_task_id >= 0 ? j->array_job_id : j->id;
}

/* Restore what the field table cannot: sets, counters, rules. */
static int job_restore_extras(struct job *j, json_t *rec, sl_error_t *e)
{
    const char *pend = json_string_value(json_object_get(rec, "array_tasks_pending"));
    const char *canc = json_string_value(json_object_get(rec, "array_tasks_cancelled"));
    json_t *sum = json_object_get(rec, "array_summary");
    json_t *rules = json_object_get(rec, "retry_rules");
    if (job_is_array_parent(j)) {
        uint32_t lim = j->array_limit ? j->array_limit : 1;
        j->array_pending = pend && *pend ? idset_decode(pend, lim, NULL, e) : idset_create(lim);
        j->array_cancelled = canc && *canc ? idset_decode(canc, lim, NULL, e) : idset_create(lim);
        if (!j->array_pending || !j->array_cancelled)
            return -1;
        for (int x = END_COMPLETED; x <= END_LAST; x++)
            j->array_ended[x] = (uint32_t)json_integer_value(json_object_get(sum, end_names[x]));
    }
    if (json_is_array(rules))
        j->retry_rules = json_incref(rules);
    json_t *alloc = json_object_get(rec, "alloc");
    if (json_is_array(alloc))
        j->alloc = json_incref(alloc);
    if (j->dependency && *j->dependency && depend_parse(j->dependency, &j->deps, e) < 0)
        return -1;
    j->dep_dirty = j->deps.n > 0;
    return 0;
}

struct job *job_from_json(json_t *rec, sl_error_t *e)
{
    struct job *j = job_create();
    const char *st = json_string_value(json_object_get(rec, "state"));
    const char *end = json_string_value(json_object_get(rec, "end"));
    const char *reason = json_string_value(json_object_get(rec, "reason"));
    if (!j || !st || job_state_parse(st, &j->state) < 0) {
        job_destroy(j);
        sl_errprintf(e, "job record without a valid state");
        return NULL;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        json_t *v = json_object_get(rec, fields[i].key);
        if (v)
            field_set(j, &fields[i], v);
    }
    for (size_t i = 0; end && i < sizeof(end_names) / sizeof(end_names[0]); i++) {
        if (strcmp(end, end_names[i]) == 0)
            j->end = (enum job_end)i;
    }
    if (reason && strcmp(reason, "None") != 0)
        job_set_reason(j, reason);
    if (job_restore_extras(j, rec, e) < 0) {
        job_destroy(j);
        return NULL;
    }
    return j;
}

void job_set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
}

void job_set_reason(struct job *j, const char *reason)
{
    if (j->reason && reason && strcmp(j->reason, reason) == 0)
        return;
    job_set_str(&j->reason, reason);
}

void job_destroy(struct job *j)
{
    if (!j)
        return;
    char **strs[] = { &j->name, &j->user, &j->account, &j->partition, &j->comment, &j->submit_line, &j->cwd,
                      &j->submit_dir, &j->submit_host, &j->std_out, &j->std_err, &j->std_in,
                      &j->open_mode, &j->command, &j->qos, &j->constraint, &j->queue, &j->share, &j->reason_detail, &j->req_nodelist, &j->exclude, &j->reason,
                      &j->nodes, &j->array_spec, &j->dependency, &j->job_definition,
                      &j->mail_user, &j->gpu_type, &j->cpu_bind, &j->licenses, &j->reservation };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    idset_destroy(j->array_pending);
    idset_destroy(j->array_cancelled);
    idset_destroy(j->array_all);
    depend_free(&j->deps);
    json_decref(j->retry_rules);
    json_decref(j->alloc);
    json_decref(j->steps);
    free(j);
}

/* Only the named keys: squeue at 100,000 jobs must not serialize records in
 * full.  Keys the field table lacks come from the full record (rare). */
json_t *job_to_json_fields(const struct job *j, json_t *keys)
{
    json_t *o = json_object(), *k, *full = NULL;
    size_t i;
    json_array_foreach(keys, i, k) {
        const char *name = json_string_value(k);
        const struct field *f = NULL;
        for (size_t n = 0; name && n < NFIELDS && !f; n++)
            if (!strcmp(fields[n].key, name))
                f = &fields[n];
        json_t *v = f ? field_get(j, f) : NULL;
        if (!f && name) {
            if (!full)
                full = job_to_json(j);
            v = json_incref(json_object_get(full, name));
        }
        if (v)
            json_object_set_new(o, name, v);
    }
    json_decref(full);
    return o;
}
