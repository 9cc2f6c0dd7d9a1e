/* scontrol_json.c: --json and --yaml.  Jobs take the shape of Slurm 22.05's
 * data_parser (openapi v0.0.38): meta, errors, jobs[] with Slurm's key names
 * and units (time_limit in minutes, times as epoch seconds, exit_code as a
 * wait status); what only Sluice has goes under each job's "sluice" key so
 * that nothing clashes with a key Slurm may add.  The field map is in
 * scontrol(1). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "jobarray.h"
#include "scontrol.h"

#define SLURM_INFINITE 4294967295LL   /* Slurm's NO_VAL-style "unlimited" */

/* Record keys copied as they are: Slurm's name, ours. */
static const struct {
    const char *slurm, *ours;
} same[] = {
    { "account", "account" },       { "comment", "comment" },
    { "command", "command" },       { "current_working_directory", "cwd" },
    { "dependency", "dependency" }, { "excluded_nodes", "exclude" },
    { "features", "constraint" },   { "group_id", "gid" },
    { "job_id", "job_id" },         { "name", "name" },
    { "nice", "nice" },             { "node_count", "num_nodes" },
    { "cpus", "num_cpus" },         { "tasks", "num_tasks" },
    { "cpus_per_task", "cpus_per_task" }, { "partition", "partition" },
    { "priority", "priority" },     { "qos", "qos" },
    { "required_nodes", "nodelist" }, { "restart_cnt", "restart_count" },
    { "state_reason", "reason" },   { "submit_time", "submit_time" },
    { "eligible_time", "eligible_time" }, { "start_time", "start_time" },
    { "end_time", "end_time" },     { "user_id", "uid" },
    { "user_name", "user" },        { "standard_output", "stdout" },
    { "standard_error", "stderr" }, { "standard_input", "stdin" },
    { "mail_user", "mail_user" },
};

/* Sluice's own fields, under "sluice". */
static const char *const ours[] = {
    "state", "queue", "share", "sched_priority", "reason_detail", "attempt", "attempts",
    "retry_rules", "job_definition", "expected_start", "begin_time", "array_summary",
    "array_tasks_pending", "alloc",
};

static void set_default(json_t *o, const char *key, json_t *v)
{
    json_t *have = json_object_get(o, key);
    if (!have || json_is_null(have))
        json_object_set_new(o, key, v);
    else
        json_decref(v);
}

static void job_ids(const json_t *r, json_t *o)
{
    if (cmd_int(r, "array_job_id") > 0 || jobarray_is_meta(r))
        json_object_set_new(o, "array_job_id", json_integer(jobarray_base(r)));
    else
        json_object_set_new(o, "array_job_id", json_integer(0));
    if (cmd_int(r, "array_job_id") > 0 && cmd_int(r, "array_task_id") >= 0)
        json_object_set_new(o, "array_task_id", json_integer(cmd_int(r, "array_task_id")));
    if (jobarray_is_meta(r)) {
        json_object_set_new(o, "array_max_tasks", json_integer(cmd_int(r, "array_throttle")));
        json_object_set_new(o, "array_task_string", json_string(cmd_str(r, "array_tasks_pending")));
    }
}

static void job_memory(const json_t *r, json_t *o)
{
    int64_t node = cmd_int(r, "mem_mb"), cpu = cmd_int(r, "mem_per_cpu_mb");
    if (cpu > 0)
        json_object_set_new(o, "memory_per_cpu", json_integer(cpu));
    else
        json_object_set_new(o, "memory_per_node", json_integer(node > 0 ? node : 0));
}

static void job_batch_host(const json_t *r, json_t *o)
{
    hostlist_t *hl = hostlist_expand(cmd_str(r, "nodes"), NULL);
    json_object_set_new(o, "batch_host", json_string(hl && hostlist_count(hl)
                                                         ? hostlist_nth(hl, 0) : ""));
    hostlist_destroy(hl);
}

json_t *scontrol_job_json(const json_t *r)
{
    json_t *o = json_object(), *own = json_object(), *v;
    int64_t tl = cmd_int(r, "time_limit"), code = cmd_int(r, "exit_code");
    int64_t sig = cmd_int(r, "exit_signal");
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if ((v = json_object_get(r, same[i].ours)))
            json_object_set(o, same[i].slurm, v);
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if ((v = json_object_get(r, ours[i])))
            json_object_set(own, ours[i], v);
    json_object_set_new(o, "job_state", json_string(cmd_str(r, "slurm_state")));
    json_object_set_new(o, "nodes", json_string(cmd_str(r, "nodes")));
    json_object_set_new(o, "time_limit", json_integer(tl < 0 ? SLURM_INFINITE : tl / 60));
    json_object_set_new(o, "exit_code", json_integer(sig > 0 ? sig : (code & 0xff) << 8));
    json_object_set_new(o, "batch_flag", json_true());
    json_object_set_new(o, "requeue", json_boolean(json_is_true(json_object_get(r, "requeue"))));
    json_object_set_new(o, "shared", json_string(json_is_true(json_object_get(r, "exclusive"))
                                                     ? "none" : "oversubscribe"));
    json_object_set_new(o, "cluster", json_string(cmd_conf_load()->cluster_name
                                                      ? cmd_conf_load()->cluster_name : ""));
    job_ids(r, o);
    job_memory(r, o);
    job_batch_host(r, o);
    set_default(o, "comment", json_string(""));
    set_default(o, "dependency", json_string(""));
    set_default(o, "features", json_string(""));
    json_object_set_new(o, "sluice", own);
    return o;
}

/* YAML: a block mapping per object, "- " per array item, scalars as JSON
 * writes them (a double-quoted JSON string is a valid YAML scalar). */
static void yaml_scalar(const json_t *v, FILE *out)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    fprintf(out, "%s\n", s ? s : "null");
    free(s);
}

static int yaml_empty(const json_t *v)
{
    return (json_is_object(v) && !json_object_size(v)) || (json_is_array(v) && !json_array_size(v));
}

static void yaml_value(const json_t *v, int indent, FILE *out);

static void yaml_object(const json_t *v, int indent, int first_inline, FILE *out)
{
    const char *key;
    json_t *x;
    int first = 1;
    json_object_foreach((json_t *)v, key, x) {
        if (!(first && first_inline))
            fprintf(out, "%*s", indent, "");
        first = 0;
        fprintf(out, "%s:", key);
        if (yaml_empty(x)) {
            fprintf(out, " %s\n", json_is_object(x) ? "{}" : "[]");
        } else if (json_is_object(x) || json_is_array(x)) {
            fputc('\n', out);
            yaml_value(x, indent + 2, out);
        } else {
            fputc(' ', out);
            yaml_scalar(x, out);
        }
    }
}

static void yaml_value(const json_t *v, int indent, FILE *out)
{
    size_t i;
    json_t *x;
    if (json_is_object(v)) {
        yaml_object(v, indent, 0, out);
    } else if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, x) {
            fprintf(out, "%*s- ", indent, "");
            if (json_is_object(x) && json_object_size(x))
                yaml_object(x, indent + 2, 1, out);
            else if (yaml_empty(x))
                fprintf(out, "%s\n", json_is_object(x) ? "{}" : "[]");
            else if (json_is_array(x)) {
                fputc('\n', out);
                yaml_value(x, indent + 2, out);
            } else
                yaml_scalar(x, out);
        }
    } else {
        fprintf(out, "%*s", indent, "");
        yaml_scalar(v, out);
    }
}

void scontrol_print_doc(const struct scontrol_opts *o, const char *key, json_t *items)
{
    json_t *doc = json_pack("{s:o, s:[], s:O}", "meta", cmd_json_meta(), "errors", key, items);
    if (o->yaml) {
        fputs("---\n", stdout);
        yaml_value(doc, 0, stdout);
    } else {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
    }
    json_decref(doc);
}
