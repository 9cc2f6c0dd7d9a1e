/* squeue_steps.c: squeue -s/--steps: running job steps (step_list), with
 * Slurm's step columns: STEPID NAME PARTITION USER TIME NODELIST. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "parse.h"
#include "squeue.h"

#define STEP_FMT_DEFAULT "%.15i %.8j %.9P %.8u %.9M %N"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_used)
{
    int64_t now = *(const int64_t *)ctx, start = cmd_int(r, "start_time");
    jobfmt_hms(start > 0 && now > start ? now - start : 0, buf, len);
}

GET(get_limit)
{
    int64_t t = cmd_int(r, "time_limit");
    if (t < 0)
        snprintf(buf, len, "UNLIMITED");
    else
        jobfmt_hms(t, buf, len);
}

GET(get_start) { format_datetime(cmd_int(r, "start_time"), buf, len); }

static const struct jobfmt_field step_fields[] = {
    { "StepId", 'i', "STEPID", 15, 1, "id", NULL, 0 },
    { "StepName", 'j', "NAME", 8, 1, "name", NULL, 0 },
    { "Partition", 'P', "PARTITION", 9, 1, "partition", NULL, 0 },
    { "UserName", 'u', "USER", 8, 1, "user", NULL, 0 },
    { "TimeUsed", 'M', "TIME", 9, 1, NULL, get_used, 0 },
    { "TimeLimit", 'l', "TIME_LIMIT", 9, 1, NULL, get_limit, 0 },
    { "StartTime", 'S', "START_TIME", 19, 1, NULL, get_start, 0 },
    { "NumTasks", 'A', "TASKS", 5, 1, "ntasks", NULL, 0 },
    { "NodeList", 'N', "NODELIST", 0, 0, "nodes", NULL, 0 },
    { "State", 'T', "STATE", 9, 1, "state", NULL, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

/* --steps=123.0,124: the steps (a bare job id: all of its steps) to show;
 * their jobs go into the request. */
static json_t *steps_wanted(const char *list, json_t *req)
{
    json_t *want = json_array(), *ids = json_object_get(req, "job_ids");
    char *copy = strdup(list), *save = NULL;
    if (!ids)
        json_object_set_new(req, "job_ids", ids = json_array());
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *dot = strchr(it, '.'), *end;
        if (dot)
            *dot = '\0';
        unsigned long id = strtoul(it, &end, 10);
        if (end == it || *end || !id)
            cmd_die("Invalid job id specified: %s", it);
        json_array_append_new(ids, json_integer((json_int_t)id));
        if (dot)
            *dot = '.';
        json_array_append_new(want, json_string(it));
    }
    free(copy);
    return want;
}

static int step_selected(json_t *want, json_t *step)
{
    const char *id = cmd_str(step, "id");
    char job[32];
    size_t i;
    json_t *w;
    if (!json_array_size(want))
        return 1;
    snprintf(job, sizeof(job), "%lld", (long long)cmd_int(step, "job_id"));
    json_array_foreach(want, i, w) {
        const char *s = json_string_value(w);
        if (!strcmp(s, id) || !strcmp(s, job))
            return 1;
    }
    return 0;
}

int squeue_steps(const char *list, json_t *req, int noheader, const char *format)
{
    sl_error_t e;
    jobfmt_t *f = jobfmt_parse(format ? format : STEP_FMT_DEFAULT, JOBFMT_PERCENT,
                               step_fields, &e);
    json_t *want = list ? steps_wanted(list, req) : json_array();
    json_t *body = json_object(), *v, *reply, *step;
    size_t i;
    int64_t now = (int64_t)time(NULL);
    if (!f)
        cmd_die("%s", e.text);
    /* step_list's filters: jobs, users; states are the steps' own. */
    if ((v = json_object_get(req, "job_ids")))
        json_object_set(body, "job_ids", v);
    if ((v = json_object_get(req, "users")))
        json_object_set(body, "users", v);
    reply = cmd_call("step_list", body);
    if (!noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(json_object_get(reply, "steps"), i, step) {
        if (step_selected(want, step))
            jobfmt_print_row(f, step, &now, stdout);
    }
    json_decref(reply);
    json_decref(want);
    jobfmt_destroy(f);
    return 0;
}
