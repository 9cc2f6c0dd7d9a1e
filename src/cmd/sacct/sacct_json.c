/* sacct_json.c: sacct --json in the shape of Slurm 22.05's (openapi
 * dbv0.0.38's job dump, the one slurmrestd's /slurmdb/v0.0.38/jobs gives):
 * {"meta", "errors", "jobs": [...]}, each job with its steps inside.  Keys
 * are Slurm's paths ("time/elapsed" is time.elapsed); Sluice's own fields
 * go under "sluice".  The field map is doc/json.md. */
#include <stdio.h>
#include <string.h>

#include "cmdtres.h"
#include "cmdutil.h"
#include "dpjson.h"
#include "jobarray.h"
#include "sacct.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *num(int64_t v)
{
    return json_integer((json_int_t)v);
}

static int64_t u(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
}

/* time/{user,system,total}/{seconds,microseconds} from microseconds. */
static void cpu_times(json_t *o, int64_t user_us, int64_t sys_us)
{
    const struct { const char *key; int64_t us; } t[] = {
        { "time/user", user_us }, { "time/system", sys_us }, { "time/total", user_us + sys_us },
    };
    char path[48];
    for (size_t i = 0; i < N(t); i++) {
        snprintf(path, sizeof(path), "%s/seconds", t[i].key);
        dp_put(o, path, num(t[i].us / 1000000));
        snprintf(path, sizeof(path), "%s/microseconds", t[i].key);
        dp_put(o, path, num(t[i].us % 1000000));
    }
}

static int ended(const json_t *r)
{
    static const char *const live[] = { "PENDING", "RUNNING", "CONFIGURING", "COMPLETING",
                                        "REQUEUED", "SUSPENDED", "RESIZING" };
    const char *s = cmd_str(r, "slurm_state");
    for (size_t i = 0; i < N(live); i++)
        if (!strcmp(s, live[i]))
            return 0;
    return *s != '\0';
}

/* One entry of a step's tres/requested/{max,min}: {type, name, id, count,
 * task, node} (Slurm's usage "in": cpu time in ms, memory in bytes). */
static void usage_entry(json_t *arr, int id, int64_t count, const json_t *u,
                        const char *node_key, const char *task_key)
{
    json_t *t = dp_tres(id, count);
    json_object_set_new(t, "task", num(cmd_int(u, task_key)));
    json_object_set_new(t, "node", json_string(cmd_str(u, node_key)));
    json_array_append_new(arr, t);
}

static void step_tres(json_t *o, const json_t *st, const json_t *job)
{
    const json_t *us = json_object_get(st, "usage");
    json_t *max = json_array(), *min = json_array(), *ave = json_array(), *tot = json_array();
    char alloc[256];
    if (json_is_object(us)) {
        usage_entry(max, DP_TRES_MEM, u(us, "max_rss"), us, "max_rss_node", "max_rss_task");
        usage_entry(max, DP_TRES_VMEM, u(us, "max_vsize"), us, "max_vsize_node",
                    "max_vsize_task");
        usage_entry(min, DP_TRES_CPU, u(us, "min_cpu") / 1000, us, "min_cpu_node",
                    "min_cpu_task");
        json_array_append_new(ave, dp_tres(DP_TRES_CPU, u(us, "ave_cpu") / 1000));
        json_array_append_new(ave, dp_tres(DP_TRES_MEM, u(us, "ave_rss")));
        json_array_append_new(ave, dp_tres(DP_TRES_VMEM, u(us, "ave_vsize")));
        json_array_append_new(tot, dp_tres(DP_TRES_CPU,
                                           (u(us, "user_us") + u(us, "sys_us")) / 1000));
        json_array_append_new(tot, dp_tres(DP_TRES_MEM, u(us, "tot_rss")));
    }
    dp_put(o, "tres/requested/max", max);
    dp_put(o, "tres/requested/min", min);
    dp_put(o, "tres/requested/average", ave);
    dp_put(o, "tres/requested/total", tot);
    /* Sluice measures no I/O or energy: the "out" usage stays empty. */
    static const char *const out[] = { "tres/consumed/max", "tres/consumed/min",
                                       "tres/consumed/average", "tres/consumed/total" };
    for (size_t i = 0; i < N(out); i++)
        dp_put(o, out[i], json_array());
    json_t *row = json_pack("{s:O?, s:O?, s:I, s:I}", "num_cpus", json_object_get(st, "cpus"),
                            "num_nodes", json_object_get(st, "num_nodes"), "alloc_mem_mb",
                            (json_int_t)(cmd_int(st, "mem_mb") > 0 ? cmd_int(st, "mem_mb")
                                                                  : cmd_int(job, "alloc_mem_mb")),
                            "alloc_gpus", (json_int_t)cmd_int(job, "alloc_gpus"));
    cmd_tres(row, 1, 1, alloc, sizeof(alloc));
    json_decref(row);
    dp_put(o, "tres/allocated", dp_tres_list(alloc));
}

static json_t *step_json(const json_t *job, const json_t *st)
{
    json_t *o = json_object(), *sid = json_object_get(st, "step_id");
    int64_t start = cmd_int(st, "start_time"), end = cmd_int(st, "end_time");
    dp_put(o, "time/elapsed", num(start > 0 ? (end > start ? end : start) - start : 0));
    dp_put(o, "time/end", num(end > 0 ? end : 0));
    dp_put(o, "time/start", num(start > 0 ? start : 0));
    dp_put(o, "time/suspended", num(0));
    const json_t *us = json_object_get(st, "usage");
    cpu_times(o, u(us, "user_us"), u(us, "sys_us"));
    dp_put(o, "exit_code", dp_exit_code(end > 0, cmd_int(st, "exit_code"),
                                        cmd_int(st, "exit_signal")));
    dp_put(o, "nodes/count", num(cmd_int(st, "num_nodes")));
    dp_put(o, "nodes/range", json_string(cmd_str(st, "nodes")));
    json_t *names = json_object_get(st, "node_names");
    dp_put(o, "nodes/list", json_is_array(names) ? json_incref(names) : json_array());
    dp_put(o, "tasks/count", num(cmd_int(st, "ntasks")));
    dp_put(o, "pid", json_string(""));
    dp_put(o, "CPU/requested_frequency/min", json_null());
    dp_put(o, "CPU/requested_frequency/max", json_null());
    dp_put(o, "CPU/governor", json_array());
    dp_put(o, "kill_request_user", json_null());
    dp_put(o, "state", json_string(cmd_str(st, "state")));
    dp_put(o, "statistics/CPU/actual_frequency", num(0));
    dp_put(o, "statistics/energy/consumed", num(0));
    dp_put(o, "step/job_id", num(cmd_int(job, "job_id")));
    dp_put(o, "step/het/component", json_null());
    dp_put(o, "step/id", sid ? json_incref(sid) : json_null());
    dp_put(o, "step/name", json_string(cmd_str(st, "name")));
    dp_put(o, "task/distribution", json_string("Block"));
    step_tres(o, st, job);
    json_object_set_new(o, "sluice", json_pack("{s:s, s:O?}", "id", cmd_str(st, "id"),
                                               "usage", json_object_get(st, "usage")));
    return o;
}

static void job_times(json_t *o, const json_t *r, int64_t now)
{
    struct sacct_ctx ctx = { now, 0 };
    int64_t tl = cmd_int(r, "time_limit");
    dp_put(o, "time/elapsed", num(sacct_elapsed(r, &ctx)));
    dp_put(o, "time/eligible", num(u(r, "eligible_time")));
    dp_put(o, "time/end", num(u(r, "end_time")));
    dp_put(o, "time/start", num(u(r, "start_time")));
    dp_put(o, "time/submission", num(u(r, "submit_time")));
    dp_put(o, "time/suspended", num(0));
    dp_put(o, "time/limit", tl < 0 ? json_null() : num(tl / 60));
    cpu_times(o, u(r, "sum_user_us"), u(r, "sum_sys_us"));
}

static void job_array(json_t *o, const json_t *r)
{
    int in_array = cmd_int(r, "array_job_id") > 0 || jobarray_is_meta(r);
    int64_t task = cmd_int(r, "array_task_id");
    dp_put(o, "array/job_id", num(in_array ? jobarray_base(r) : 0));
    dp_put(o, "array/limits/max/running/tasks", num(cmd_int(r, "array_throttle")));
    dp_put(o, "array/task", json_string(jobarray_is_meta(r) ? cmd_str(r, "array_tasks_pending")
                                                            : ""));
    dp_put(o, "array/task_id", in_array && task >= 0 ? num(task) : json_null());
}

void sacct_derived(const json_t *r, int64_t *code, int64_t *sig)
{
    json_t *st;
    size_t i;
    *code = *sig = 0;
    if (json_object_get(r, "derived_code")) {   /* -X: kept when its steps were dropped */
        *code = cmd_int(r, "derived_code");
        *sig = cmd_int(r, "derived_signal");
        return;
    }
    json_array_foreach(json_object_get(r, "steps"), i, st) {
        if (cmd_int(st, "exit_code") > *code)
            *code = cmd_int(st, "exit_code");
        if (cmd_int(st, "exit_signal") > *sig)
            *sig = cmd_int(st, "exit_signal");
    }
}

static json_t *derived(const json_t *r)
{
    int64_t code, sig;
    sacct_derived(r, &code, &sig);
    return dp_exit_code(ended(r), code, sig);
}

static void job_tres(json_t *o, const json_t *r)
{
    char alloc[256], req[256];
    cmd_tres(r, 1, 1, alloc, sizeof(alloc));
    cmd_tres(r, 1, 0, req, sizeof(req));
    dp_put(o, "tres/allocated", dp_tres_list(alloc));
    dp_put(o, "tres/requested", dp_tres_list(req));
    int64_t cpt = cmd_int(r, "cpus_per_task");
    dp_put(o, "required/CPUs", num(cmd_int(r, "num_tasks") * (cpt > 0 ? cpt : 1)));
    dp_put(o, "required/memory", num(cmd_int(r, "mem_per_cpu_mb") > 0
                                         ? cmd_int(r, "mem_per_cpu_mb") : cmd_int(r, "mem_mb")));
}

/* Strings Sluice keeps under another name: Slurm's path, ours. */
static const struct {
    const char *slurm, *ours;
} strs[] = {
    { "account", "account" },      { "comment/job", "comment" },
    { "constraints", "constraint" }, { "name", "name" },
    { "partition", "partition" },  { "user", "user" },
    { "working_directory", "cwd" }, { "state/current", "slurm_state" },
};
/* Not in Sluice: the value Slurm gives when unused. */
static const char *const empty_strs[] = { "comment/administrator", "comment/system",
                                          "container", "mcs/label" };
static const char *const nulls[] = { "reservation/name", "wckey" };

static void job_ids(json_t *o, const json_t *r, const char *cluster)
{
    dp_put(o, "job_id", num(cmd_int(r, "job_id")));
    dp_put(o, "cluster", dp_str(cluster));
    dp_put(o, "group", dp_group_name(cmd_int(r, "gid")));
    dp_put(o, "association", json_pack("{s:s, s:s, s:s, s:s}", "account", cmd_str(r, "account"),
                                       "cluster", cluster ? cluster : "", "partition",
                                       cmd_str(r, "partition"), "user", cmd_str(r, "user")));
    dp_put(o, "het/job_id", num(cmd_int(r, "het_job_id")));
    dp_put(o, "het/job_offset", cmd_int(r, "het_job_id") > 0 ? num(cmd_int(r, "het_job_offset"))
                                                             : json_null());
    dp_put(o, "qos", *cmd_str(r, "qos") ? json_string(cmd_str(r, "qos")) : json_null());
    dp_put(o, "kill_request_user", dp_user_name(cmd_int(r, "cancelled_by")));
    dp_put(o, "priority", num(u(r, "priority")));
    dp_put(o, "reservation/id", num(0));
    dp_put(o, "flags", json_array());
    job_array(o, r);
}

static void job_end(json_t *o, const json_t *r)
{
    dp_put(o, "state/reason", json_string(*cmd_str(r, "reason") ? cmd_str(r, "reason")
                                                                : "None"));
    dp_put(o, "exit_code", dp_exit_code(ended(r), cmd_int(r, "exit_code"),
                                        cmd_int(r, "exit_signal")));
    dp_put(o, "derived_exit_code", derived(r));
    dp_put(o, "nodes", json_string(*cmd_str(r, "nodes") ? cmd_str(r, "nodes")
                                                        : "None assigned"));
    dp_put(o, "allocation_nodes", num(cmd_int(r, "num_nodes")));
}

static json_t *job_json(const json_t *r, const char *cluster, int64_t now)
{
    json_t *o = json_object(), *st, *steps = json_array();
    size_t i;
    for (i = 0; i < N(strs); i++)
        dp_put(o, strs[i].slurm, json_string(cmd_str(r, strs[i].ours)));
    for (i = 0; i < N(empty_strs); i++)
        dp_put(o, empty_strs[i], json_string(""));
    for (i = 0; i < N(nulls); i++)
        dp_put(o, nulls[i], json_null());
    job_ids(o, r, cluster);
    job_end(o, r);
    job_times(o, r, now);
    job_tres(o, r);
    json_array_foreach(json_object_get(r, "steps"), i, st)
        json_array_append_new(steps, step_json(r, st));
    dp_put(o, "steps", steps);
    json_object_set_new(o, "sluice", json_pack("{s:s, s:s, s:I, s:I, s:O?}", "state",
                                               cmd_str(r, "state"), "queue",
                                               cmd_str(r, "queue"), "exit_code",
                                               (json_int_t)cmd_int(r, "exit_code"),
                                               "exit_signal",
                                               (json_int_t)cmd_int(r, "exit_signal"),
                                               "reason_detail",
                                               json_object_get(r, "reason_detail")));
    return o;
}

void sacct_json(json_t *jobs, int64_t now, int yaml)
{
    json_t *out = json_array(), *j;
    size_t i;
    const char *cluster = cmd_conf_load()->cluster_name;
    json_array_foreach(jobs, i, j) {
        sacct_usage_sum(j);
        json_array_append_new(out, job_json(j, cluster, now));
    }
    dp_print(yaml, DP_PLUGIN_DB38, "jobs", out);
}
