/* scontrol_step.c: scontrol show step [JOBID[.STEP]]: running steps as
 * Slurm prints them (StepId=... UserId=... State=...); a named step is
 * shown after its end too, from the controller's steps table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "parse.h"
#include "scontrol.h"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)
#define NL JOBFMT_KV_NEWLINE

GET(get_start) { format_datetime(cmd_int(r, "start_time"), buf, len); }

GET(get_limit)
{
    int64_t t = cmd_int(r, "time_limit");
    if (t < 0)
        snprintf(buf, len, "UNLIMITED");
    else
        jobfmt_hms(t, buf, len);
}

GET(get_exit)
{
    snprintf(buf, len, "%lld:%lld", (long long)cmd_int(r, "exit_code"),
             (long long)cmd_int(r, "exit_signal"));
}

static const struct jobfmt_kv step_kv[] = {
    { "StepId", "id", NULL, 0 },              { "UserId", "uid", NULL, 0 },
    { "StartTime", NULL, get_start, 0 },      { "TimeLimit", NULL, get_limit, 0 },
    { "State", "state", NULL, NL },           { "Partition", "partition", NULL, 0 },
    { "NodeList", "nodes", NULL, 0 },
    { "Nodes", "num_nodes", NULL, NL },       { "CPUs", "cpus", NULL, 0 },
    { "Tasks", "ntasks", NULL, 0 },           { "Name", "name", NULL, 0 },
    { "TasksPerNode", "tasks_per_node", NULL, NL },
    { "ExitCode", NULL, get_exit, 0 },
};

/* "123" or "123.4" or "123.batch". */
static void step_arg(const char *arg, long long *job, const char **step)
{
    char *end;
    *job = strtoll(arg, &end, 10);
    *step = NULL;
    if (end == arg || *job <= 0 || (*end && *end != '.') || (*end == '.' && !end[1]))
        cmd_die("Invalid job step id: %s (JOBID or JOBID.STEP)", arg);
    if (*end == '.')
        *step = end + 1;
}

int scontrol_show_step(const struct scontrol_opts *o, const char *arg)
{
    long long job = 0;
    const char *step = NULL;
    sl_error_t e;
    json_t *reply, *out = json_array(), *r;
    size_t i;
    if (arg)
        step_arg(arg, &job, &step);
    if (!arg)
        reply = cmd_call("step_list", json_object());
    else if (!step)
        reply = cmd_call("step_list", json_pack("{s:[I]}", "job_ids", (json_int_t)job));
    else if (!(reply = cmd_try("step_show", json_pack("{s:I}", "job_id", (json_int_t)job), &e)))
        cmd_die("Job step %s not found", arg);
    json_array_foreach(json_object_get(reply, "steps"), i, r) {
        if (!step || strcmp(cmd_str(r, "id"), arg) == 0)
            json_array_append(out, r);
    }
    if (arg && !json_array_size(out))
        cmd_die(step ? "Job step %s not found" : "No job steps exist for job %s", arg);
    if (!json_array_size(out))
        printf("No job steps in the system\n");
    scontrol_print_records(o, out, KV(step_kv));
    json_decref(out);
    json_decref(reply);
    return 0;
}
