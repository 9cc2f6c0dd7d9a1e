/* dpjob.c: see dpjob.h.  Keys are set in Slurm's order (v0.0.38's
 * dump_job_info); those without a meaning here get the value Slurm gives
 * when unset ("", 0, false, null), so that a tool reading them sees what
 * it would on a Slurm cluster that does not use the feature. */
#include "dpjob.h"

#include <stdlib.h>
#include <string.h>

#include "cmdtres.h"
#include "cmdutil.h"
#include "dpjson.h"
#include "hostlist.h"
#include "jobarray.h"

/* Strings Sluice keeps under another name: Slurm's key, ours. */
static const struct {
    const char *slurm, *ours;
} strs[] = {
    { "account", "account" },        { "command", "command" },
    { "comment", "comment" },        { "dependency", "dependency" },
    { "excluded_nodes", "exclude" }, { "features", "constraint" },
    { "name", "name" },              { "nodes", "nodes" },
    { "partition", "partition" },    { "qos", "qos" },
    { "required_nodes", "nodelist" }, { "standard_error", "stderr" },
    { "standard_input", "stdin" },   { "standard_output", "stdout" },
    { "state_reason", "reason" },    { "current_working_directory", "cwd" },
};

/* Unset in Sluice, as Slurm prints them unset. */
static const char *const empty_strs[] = {
    "admin_comment", "batch_features", "burst_buffer", "burst_buffer_state",
    "cluster_features", "container", "cpus_per_tres", "federation_origin",
    "federation_siblings_active", "federation_siblings_viable", "het_job_id_set", "licenses",
    "mcs_label", "memory_per_tres", "prefer", "resv_name", "state_description",
    "system_comment", "tres_bind", "tres_freq", "tres_per_socket", "tres_per_task", "wckey",
};
static const char *const zero_ints[] = {
    "accrue_time", "association_id", "delay_boot", "last_sched_evaluation", "max_cpus",
    "preempt_time", "pre_sus_time", "resize_time", "sockets_per_board", "suspend_time",
    "tasks_per_board", "time_minimum",
};
static const char *const nulls[] = {
    "core_spec", "thread_spec", "cores_per_socket", "cpu_frequency_minimum",
    "cpu_frequency_maximum", "cpu_frequency_governor", "tasks_per_core", "tasks_per_socket",
    "profile", "sockets_per_node",
};

/* Sluice's own fields, under "sluice". */
static const char *const ours[] = {
    "state", "queue", "share", "sched_priority", "reason_detail", "attempt", "attempts",
    "retry_rules", "job_definition", "expected_start", "begin_time", "array_summary",
    "array_tasks_pending", "alloc", "submit_host", "exit_code", "exit_signal", "time_limit",
    "mail_user",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void job_array(const json_t *r, json_t *o)
{
    int64_t task = cmd_int(r, "array_task_id");
    int in_array = cmd_int(r, "array_job_id") > 0 || jobarray_is_meta(r);
    set_int(o, "array_job_id", in_array ? jobarray_base(r) : 0);
    json_object_set_new(o, "array_task_id", in_array && task >= 0 && !jobarray_is_meta(r)
                                                ? json_integer(task) : json_null());
    set_int(o, "array_max_tasks", jobarray_is_meta(r) ? cmd_int(r, "array_throttle") : 0);
    json_object_set_new(o, "array_task_string", json_string(jobarray_is_meta(r)
                                                    ? cmd_str(r, "array_tasks_pending") : ""));
}

/* "0-1,3" -> {"0": "allocated", "1": ..., "3": ...} */
static json_t *cores_of(const char *ids)
{
    json_t *cores = json_object();
    for (const char *p = ids; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        for (long i = a; i <= b && i - a < 4096; i++) {
            char k[24];
            snprintf(k, sizeof(k), "%ld", i);
            json_object_set_new(cores, k, json_string("allocated"));
        }
        p = end + (*end == ',');
    }
    return cores;
}

/* job_resources: present once the job has an allocation.  Sluice keeps no
 * socket layout per job: every core is listed under socket "0". */
static void job_resources(const json_t *r, json_t *o)
{
    json_t *alloc = json_object_get(r, "alloc"), *a, *nodes;
    size_t i;
    if (!json_array_size(alloc))
        return;
    nodes = json_array();
    json_array_foreach(alloc, i, a)
        json_array_append_new(nodes, json_pack("{s:{s:{s:o}}, s:s, s:i, s:i, s:I}", "sockets",
                                               "0", "cores", cores_of(cmd_str(a, "cpus")),
                                               "nodename", cmd_str(a, "node"), "cpus_used", 0,
                                               "memory_used", 0, "memory_allocated",
                                               (json_int_t)cmd_int(r, "alloc_mem_mb")));
    json_object_set_new(o, "job_resources",
                        json_pack("{s:s, s:I, s:I, s:o}", "nodes", cmd_str(r, "nodes"),
                                  "allocated_cores", (json_int_t)cmd_int(r, "num_cpus"),
                                  "allocated_hosts", (json_int_t)json_array_size(alloc),
                                  "allocated_nodes", nodes));
}

static void job_memory(const json_t *r, json_t *o)
{
    int64_t node = cmd_int(r, "mem_mb"), cpu = cmd_int(r, "mem_per_cpu_mb");
    json_object_set_new(o, "memory_per_node", node > 0 && cpu <= 0 ? json_integer(node)
                                                                   : json_null());
    json_object_set_new(o, "memory_per_cpu", cpu > 0 ? json_integer(cpu) : json_null());
}

static void job_tres(const json_t *r, json_t *o)
{
    char req[256], alloc[256], g[48] = "";
    cmd_tres(r, 0, 0, req, sizeof(req));
    cmd_tres(r, 0, 1, alloc, sizeof(alloc));
    json_object_set_new(o, "tres_req_str", json_string(req));
    json_object_set_new(o, "tres_alloc_str", json_string(alloc));
    json_object_set_new(o, "billable_tres", cmd_int(r, "num_cpus") > 0
                                                ? json_real((double)cmd_int(r, "num_cpus"))
                                                : json_null());
    if (cmd_int(r, "gpus_per_node") > 0)
        snprintf(g, sizeof(g), "gres:gpu:%lld", (long long)cmd_int(r, "gpus_per_node"));
    json_object_set_new(o, "tres_per_node", json_string(g));
    g[0] = '\0';
    if (cmd_int(r, "gpus") > 0)
        snprintf(g, sizeof(g), "gres:gpu:%lld", (long long)cmd_int(r, "gpus"));
    json_object_set_new(o, "tres_per_job", json_string(g));
}

static void job_host(const json_t *r, json_t *o)
{
    hostlist_t *hl = hostlist_expand(cmd_str(r, "nodes"), NULL);
    json_object_set_new(o, "batch_host", json_string(hl && hostlist_count(hl)
                                                         ? hostlist_nth(hl, 0) : ""));
    hostlist_destroy(hl);
}

static void job_counts(const json_t *r, json_t *o)
{
    int64_t tl = cmd_int(r, "time_limit"), nice = cmd_int(r, "nice");
    int64_t cpt = cmd_int(r, "cpus_per_task"), tpc = cmd_int(r, "threads_per_core");
    int64_t cpus = cmd_int(r, "num_cpus"), nodes = cmd_int(r, "num_nodes");
    int64_t tasks = cmd_int(r, "num_tasks");
    if (cpus <= 0)      /* not allocated yet: what it asks for */
        cpus = tasks * (cpt > 0 ? cpt : 1);
    if (nodes <= 0)
        nodes = cmd_int(r, "nodes_min") > 0 ? cmd_int(r, "nodes_min") : 1;
    set_int(o, "cpus", cpus);
    set_int(o, "node_count", nodes);
    set_int(o, "tasks", tasks);
    json_object_set_new(o, "cpus_per_task", dp_count(cpt > 0 ? cpt : -1));
    json_object_set_new(o, "threads_per_core", dp_count(tpc > 0 ? tpc : -1));
    json_object_set_new(o, "nice", nice ? json_integer(nice) : json_null());
    json_object_set_new(o, "time_limit", tl < 0 ? json_null() : json_integer(tl / 60));
    set_int(o, "max_nodes", cmd_int(r, "nodes_max") > 0 ? cmd_int(r, "nodes_max") : 0);
    set_int(o, "minimum_cpus_per_node", cpt > 0 ? cpt : 1);
    set_int(o, "minimum_tmp_disk_per_node", cmd_int(r, "tmp_mb"));
    set_int(o, "tasks_per_node", cmd_int(r, "ntasks_per_node"));
    json_object_set_new(o, "priority", dp_count(cmd_int(r, "priority")));
}

static void job_ids(const json_t *r, json_t *o)
{
    set_int(o, "job_id", cmd_int(r, "job_id"));
    set_int(o, "user_id", cmd_int(r, "uid"));
    json_object_set_new(o, "user_name", *cmd_str(r, "user") ? json_string(cmd_str(r, "user"))
                                                            : dp_user_name(cmd_int(r, "uid")));
    set_int(o, "group_id", cmd_int(r, "gid"));
    json_object_set_new(o, "group_name", dp_group_name(cmd_int(r, "gid")));
    set_int(o, "het_job_id", cmd_int(r, "het_job_id"));
    set_int(o, "het_job_offset", cmd_int(r, "het_job_offset"));
    set_int(o, "restart_cnt", cmd_int(r, "restart_count"));
    set_int(o, "derived_exit_code", 0);
    set_int(o, "exit_code", dp_wait_status(cmd_int(r, "exit_code"), cmd_int(r, "exit_signal")));
}

static void job_times(const json_t *r, json_t *o)
{
    static const char *const keys[] = { "submit_time", "eligible_time", "start_time",
                                        "end_time", "deadline" };
    for (size_t i = 0; i < N(keys); i++)
        set_int(o, keys[i], cmd_int(r, keys[i]) > 0 ? cmd_int(r, keys[i]) : 0);
}

static void job_flags(const json_t *r, json_t *o)
{
    json_object_set_new(o, "job_state", json_string(cmd_str(r, "slurm_state")));
    json_object_set_new(o, "batch_flag", json_boolean(!json_is_true(json_object_get(r,
                                                                        "alloc_only"))));
    json_object_set_new(o, "requeue", json_boolean(json_is_true(json_object_get(r, "requeue"))));
    json_object_set_new(o, "contiguous", json_false());
    json_object_set_new(o, "reboot", json_false());
    json_object_set_new(o, "shared", json_is_true(json_object_get(r, "exclusive"))
                                         ? json_string("none") : json_null());
    json_object_set_new(o, "flags", json_array());
    json_object_set_new(o, "gres_detail", json_array());
    json_object_set_new(o, "show_flags", json_pack("[s,s,s]", "SHOW_ALL", "SHOW_DETAIL",
                                                   "SHOW_LOCAL"));
}

json_t *dp_job_info(const json_t *r, const char *cluster)
{
    json_t *o = json_object(), *own = json_object(), *v;
    for (size_t i = 0; i < N(strs); i++)
        json_object_set_new(o, strs[i].slurm, json_string(cmd_str(r, strs[i].ours)));
    for (size_t i = 0; i < N(empty_strs); i++)
        json_object_set_new(o, empty_strs[i], json_string(""));
    for (size_t i = 0; i < N(zero_ints); i++)
        set_int(o, zero_ints[i], 0);
    /* "ReqNodeNotAvail, Reserved for maintenance": Slurm's reason code, then
     * its description, the whole sentence (as squeue %r shows it). */
    const char *reason = cmd_str(r, "reason"), *comma = strstr(reason, ", ");
    if (comma) {
        json_object_set_new(o, "state_reason", json_stringn(reason, (size_t)(comma - reason)));
        json_object_set_new(o, "state_description", json_string(reason));
    }
    for (size_t i = 0; i < N(nulls); i++)
        json_object_set_new(o, nulls[i], json_null());
    json_object_set_new(o, "cluster", dp_str(cluster));
    job_ids(r, o);
    job_times(r, o);
    job_counts(r, o);
    job_flags(r, o);
    job_array(r, o);
    job_memory(r, o);
    job_tres(r, o);
    job_host(r, o);
    job_resources(r, o);
    for (size_t i = 0; i < N(ours); i++)
        if ((v = json_object_get(r, ours[i])))
            json_object_set(own, ours[i], v);
    json_object_set_new(o, "sluice", own);
    return o;
}
