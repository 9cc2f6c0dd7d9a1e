/* scontrol_job.c: scontrol show job: the job record as Key=Value entries in
 * Slurm's order, with the job model's additions (array, dependency,
 * attempts, begin time, both state names) and the scheduler's (queue,
 * share, the explanation of the wait, the expected start). */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdtres.h"
#include "cmdutil.h"
#include "mailtype.h"
#include "hostlist.h"
#include "jobarray.h"
#include "jobfmt.h"
#include "parse.h"
#include "scontrol.h"

#define NL JOBFMT_KV_NEWLINE
#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_userid)
{
    snprintf(buf, len, "%s(%lld)", cmd_str(r, "user"), (long long)cmd_int(r, "uid"));
}

GET(get_groupid)
{
    struct group *g = getgrgid((gid_t)cmd_int(r, "gid"));
    snprintf(buf, len, "%s(%lld)", g ? g->gr_name : "", (long long)cmd_int(r, "gid"));
}

GET(get_na) { snprintf(buf, len, "N/A"); }

GET(get_mailtype) { mailtype_format((uint32_t)cmd_int(r, "mail_type"), buf, len); }

/* --mail-user, else the user (the controller adds MailDomain). */
GET(get_mailuser)
{
    const char *u = cmd_str(r, "mail_user");
    snprintf(buf, len, "%s", *u ? u : cmd_str(r, "user"));
}
GET(get_zero) { snprintf(buf, len, "0"); }

GET(get_exitcode)
{
    snprintf(buf, len, "%lld:%lld", (long long)cmd_int(r, "exit_code"),
             (long long)cmd_int(r, "exit_signal"));
}

GET(get_runtime)
{
    int64_t start = cmd_int(r, "start_time"), end = cmd_int(r, "end_time");
    if (end <= 0)
        end = (int64_t)time(NULL);
    jobfmt_hms(start > 0 && end > start ? end - start : 0, buf, len);
}

GET(get_timelimit) { jobfmt_hms(cmd_int(r, "time_limit"), buf, len); }
GET(get_timemin)
{
    if (cmd_int(r, "time_min") > 0)
        jobfmt_hms(cmd_int(r, "time_min"), buf, len);
    else
        snprintf(buf, len, "N/A");
}

static void get_when(const json_t *r, const char *key, char *buf, size_t len)
{
    format_datetime(cmd_int(r, key), buf, len);
}

GET(get_submit) { get_when(r, "submit_time", buf, len); }
GET(get_eligible) { get_when(r, "eligible_time", buf, len); }
static int is_pending(const json_t *r)
{
    return strcmp(cmd_str(r, "slurm_state"), "PENDING") == 0;
}

/* A pending job's StartTime is its expected start: the controller's
 * estimate (sched/backfill's reservation), else the time it may not start
 * before (--begin). */
GET(get_start)
{
    int64_t begin = cmd_int(r, "begin_time"), expected = cmd_int(r, "expected_start");
    if (is_pending(r) && expected > 0)
        format_datetime(expected, buf, len);
    else if (is_pending(r) && cmd_int(r, "start_time") <= 0 && begin > 0)
        format_datetime(begin, buf, len);
    else
        get_when(r, "start_time", buf, len);
}

/* The share the job's usage counts for: --share, else account, else user. */
GET(get_share)
{
    const char *sh = cmd_str(r, "share");
    snprintf(buf, len, "%s", *sh ? sh : *cmd_str(r, "account") ? cmd_str(r, "account")
                                                            : cmd_str(r, "user"));
}

/* As Slurm: a reason with words ("ReqNodeNotAvail, Reserved for
 * maintenance") keeps Key=Value parsable, its spaces written '_'. */
GET(get_reason)
{
    snprintf(buf, len, "%s", cmd_str(r, "reason"));
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            *p = '_';
}

/* The controller's sentence a user can act on; left out when it has none. */
GET(get_explanation)
{
    snprintf(buf, len, "%s", cmd_str(r, "reason_detail"));
}

GET(get_begin)
{
    if (cmd_int(r, "begin_time") > 0)
        get_when(r, "begin_time", buf, len);
}

GET(get_deadline)
{
    if (cmd_int(r, "deadline") > 0)
        get_when(r, "deadline", buf, len);
    else
        snprintf(buf, len, "N/A");
}

/* As Slurm: 0 without a unit when not set. */
GET(get_tmpdisk)
{
    int64_t mb = cmd_int(r, "tmp_mb");
    if (mb > 0)
        snprintf(buf, len, "%lldM", (long long)mb);
    else
        snprintf(buf, len, "0");
}

GET(get_licenses)
{
    snprintf(buf, len, "%s", *cmd_str(r, "licenses") ? cmd_str(r, "licenses") : "(null)");
}

/* Shown only for a job in a reservation, as Slurm does. */
GET(get_reservation)
{
    snprintf(buf, len, "%s", cmd_str(r, "reservation"));
}

GET(get_dependency)
{
    snprintf(buf, len, "%s", *cmd_str(r, "dependency") ? cmd_str(r, "dependency") : "(null)");
}

/* Attempts=2/3: the current attempt (1-based) of how many allowed. */
GET(get_attempts)
{
    int64_t max = cmd_int(r, "attempts");
    snprintf(buf, len, "%lld/%lld", (long long)cmd_int(r, "attempt") + 1,
             (long long)(max > 0 ? max : 1));
}

GET(get_retry_rules)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(json_object_get(r, "retry_rules"), i, v)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? ";" : "",
                              json_string_value(v));
}

/* Only when it differs from the default (fail the job). */
GET(get_kill_inv)
{
    if (json_is_false(json_object_get(r, "kill_on_invalid_dep")))
        snprintf(buf, len, "No");
}

GET(get_jobdef)
{
    snprintf(buf, len, "%s", cmd_str(r, "job_definition"));
}

/* Heterogeneous job fields, shown only for its components (as Slurm:
 * HetJobId and HetJobOffset after JobId, HetJobIdSet on a line of its own). */
GET(get_het_id)
{
    if (cmd_int(r, "het_job_id") > 0)
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "het_job_id"));
}

GET(get_het_offset)
{
    if (cmd_int(r, "het_job_id") > 0)
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "het_job_offset"));
}

GET(get_het_set)
{
    long long lead = cmd_int(r, "het_job_id"), n = cmd_int(r, "het_job_size");
    if (lead > 0 && n > 1)
        snprintf(buf, len, "%lld-%lld", lead, lead + n - 1);
    else if (lead > 0 && n == 1)
        snprintf(buf, len, "%lld", lead);
}

/* Array fields, shown only for arrays: a task has its ArrayJobId and
 * ArrayTaskId; the array's own record its pending tasks, throttle, size
 * and how many tasks are in each state. */
GET(get_array_job)
{
    if (cmd_int(r, "array_job_id") > 0 || jobarray_is_meta(r))
        snprintf(buf, len, "%lld", (long long)jobarray_base(r));
}

GET(get_array_task)
{
    if (cmd_int(r, "array_job_id") > 0 && cmd_int(r, "array_task_id") >= 0)
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "array_task_id"));
    else if (jobarray_is_meta(r))
        snprintf(buf, len, "%s", *cmd_str(r, "array_tasks_pending")
                                     ? cmd_str(r, "array_tasks_pending") : "(none)");
}

GET(get_array_throttle)
{
    if (jobarray_is_meta(r))
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "array_throttle"));
}

GET(get_array_size)
{
    if (jobarray_is_meta(r))
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "array_size"));
}

/* PENDING:9990,RUNNING:5,COMPLETED:5 in the order of a job's life, then
 * any state not listed here. */
GET(get_array_summary)
{
    static const char *const order[] = {
        "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "COMPLETED", "FAILED",
        "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "DEADLINE", "REQUEUED",
    };
    const size_t norder = sizeof(order) / sizeof(order[0]);
    json_t *sum = json_object_get(r, "array_summary"), *v;
    const char *key;
    size_t n = 0, k;
    if (!jobarray_is_meta(r) || !json_is_object(sum))
        return;
    for (k = 0; k < norder; k++)
        if ((v = json_object_get(sum, order[k])) && json_integer_value(v) > 0)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s:%lld", n ? "," : "",
                                  order[k], (long long)json_integer_value(v));
    json_object_foreach(sum, key, v) {
        for (k = 0; k < norder && strcmp(order[k], key) != 0; k++)
            ;
        if (k == norder && json_integer_value(v) > 0)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s:%lld", n ? "," : "",
                                  key, (long long)json_integer_value(v));
    }
}
GET(get_end) { get_when(r, "end_time", buf, len); }

GET(get_allocnode) { snprintf(buf, len, "%s:0", cmd_str(r, "submit_host")); }

GET(get_one) { snprintf(buf, len, "1"); }

GET(get_requeue) { snprintf(buf, len, "%d", json_is_true(json_object_get(r, "requeue"))); }

GET(get_batchhost)
{
    char *first = NULL;
    hostlist_t *hl = hostlist_expand(cmd_str(r, "nodes"), NULL);
    if (hl && hostlist_count(hl))
        first = strdup(hostlist_nth(hl, 0));
    snprintf(buf, len, "%s", first ? first : "(null)");
    free(first);
    hostlist_destroy(hl);
}

GET(get_nodelist)
{
    snprintf(buf, len, "%s", *cmd_str(r, "nodes") ? cmd_str(r, "nodes") : "(null)");
}

/* The CPUs held; before the start, those asked for (tasks x CPUs per
 * task), as Slurm shows a pending job's and squeue's %C. */
GET(get_numcpus)
{
    int64_t n = cmd_int(r, "num_cpus"), tasks = cmd_int(r, "num_tasks");
    int64_t cpt = cmd_int(r, "cpus_per_task");
    if (n <= 0)
        n = (tasks > 0 ? tasks : 1) * (cpt > 0 ? cpt : 1);
    snprintf(buf, len, "%lld", (long long)n);
}

GET(get_minmem)
{
    int64_t node = cmd_int(r, "mem_mb");
    if (node <= 0)   /* as Slurm: 0 without a unit when not set (or per CPU) */
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%lldM", (long long)node);
}

GET(get_mempercpu)
{
    int64_t cpu = cmd_int(r, "mem_per_cpu_mb");
    if (cpu > 0)
        snprintf(buf, len, "%lldM", (long long)cpu);
}

/* Allocated nodes once the job has them; before, what it asks for (N or
 * N-M), as Slurm shows a pending job's. */
GET(get_numnodes)
{
    int64_t n = cmd_int(r, "num_nodes"), lo = cmd_int(r, "nodes_min");
    int64_t hi = cmd_int(r, "nodes_max");
    if (n > 0 || lo <= 0)
        snprintf(buf, len, "%lld", (long long)n);
    else if (hi > lo)
        snprintf(buf, len, "%lld-%lld", (long long)lo, (long long)hi);
    else
        snprintf(buf, len, "%lld", (long long)lo);
}

GET(get_tres) { cmd_tres(r, 0, 0, buf, len); }

/* -d: JOB_GRES= and a Nodes= line per allocated node (ctx: the options). */
GET(get_job_gres)
{
    const struct scontrol_opts *o = ctx;
    if (o && o->details)
        cmd_alloc_detail(r, o->oneliner ? " " : "\n     ", buf, len);
}

GET(get_oversub)
{
    snprintf(buf, len, "%s", json_is_true(json_object_get(r, "exclusive")) ? "NO" : "OK");
}

GET(get_comment)
{
    if (*cmd_str(r, "comment"))
        snprintf(buf, len, "%s", cmd_str(r, "comment"));
}

/* Expand a file pattern as the job will (%j %x %u %N %%), relative to the
 * job's directory, so users see the real path as Slurm shows it. */
static void expand_path(const json_t *r, const char *pat, char *buf, size_t len)
{
    FILE *m;
    char *out = NULL, node[256] = "";
    size_t olen = 0;
    hostlist_t *hl = hostlist_expand(cmd_str(r, "nodes"), NULL);
    if (hl && hostlist_count(hl))
        snprintf(node, sizeof(node), "%s", hostlist_nth(hl, 0));
    hostlist_destroy(hl);
    if (!(m = open_memstream(&out, &olen)))
        return;
    if (pat[0] != '/')
        fprintf(m, "%s/", cmd_str(r, "cwd"));
    for (const char *p = pat; *p; p++) {
        if (*p != '%' || !p[1]) {
            fputc(*p, m);
            continue;
        }
        switch (*++p) {
        case 'j': fprintf(m, "%lld", (long long)cmd_int(r, "job_id")); break;
        case 'A': fprintf(m, "%lld", (long long)jobarray_base(r)); break;
        case 'a': fprintf(m, "%lld", (long long)cmd_int(r, "array_task_id")); break;
        case 'x': fputs(cmd_str(r, "name"), m); break;
        case 'u': fputs(cmd_str(r, "user"), m); break;
        case 'N': fputs(node, m); break;
        case '%': fputc('%', m); break;
        default: fprintf(m, "%%%c", *p); break;
        }
    }
    fclose(m);
    snprintf(buf, len, "%s", out ? out : "");
    free(out);
}

/* The default output file: slurm-%j.out, or slurm-%A_%a.out for a task. */
static const char *default_out(const json_t *r)
{
    return cmd_int(r, "array_job_id") > 0 && cmd_int(r, "array_task_id") >= 0
               ? "slurm-%A_%a.out" : "slurm-%j.out";
}

/* stderr goes with stdout unless given. */
GET(get_stdout)
{
    const char *o = cmd_str(r, "stdout");
    expand_path(r, *o ? o : default_out(r), buf, len);
}

GET(get_stderr)
{
    const char *e = cmd_str(r, "stderr"), *o = cmd_str(r, "stdout");
    expand_path(r, *e ? e : *o ? o : default_out(r), buf, len);
}

GET(get_stdin)
{
    const char *i = cmd_str(r, "stdin");
    expand_path(r, *i ? i : "/dev/null", buf, len);
}

static const struct jobfmt_kv job_kv[] = {
    { "JobId", "job_id", NULL, 0 },
    { "ArrayJobId", NULL, get_array_job, 0 }, { "ArrayTaskId", NULL, get_array_task, 0 },
    { "ArrayTaskThrottle", NULL, get_array_throttle, 0 },
    { "HetJobId", NULL, get_het_id, 0 },      { "HetJobOffset", NULL, get_het_offset, 0 },
    { "JobName", "name", NULL, 0 },
    { "HetJobIdSet", NULL, get_het_set, NL },
    { "UserId", NULL, get_userid, NL },       { "GroupId", NULL, get_groupid, 0 },
    { "MCS_label", NULL, get_na, 0 },
    { "Priority", "priority", NULL, NL },     { "Nice", "nice", NULL, 0 },
    { "Account", "account", NULL, 0 },        { "QOS", "qos", NULL, 0 },
    { "JobState", "slurm_state", NULL, NL },  { "BatchState", "state", NULL, 0 },
    { "Reason", NULL, get_reason, 0 },          { "Dependency", NULL, get_dependency, 0 },
    { "KillOnInvalidDep", NULL, get_kill_inv, 0 },
    { "Explanation", NULL, get_explanation, NL },
    { "Requeue", NULL, get_requeue, NL },     { "Restarts", "restart_count", NULL, 0 },
    { "Attempts", NULL, get_attempts, 0 },
    { "BatchFlag", NULL, get_one, 0 },        { "Reboot", NULL, get_zero, 0 },
    { "ExitCode", NULL, get_exitcode, 0 },
    { "RetryRules", NULL, get_retry_rules, NL },
    { "JobDefinition", NULL, get_jobdef, NL },
    { "ArraySize", NULL, get_array_size, NL }, { "ArrayTasks", NULL, get_array_summary, 0 },
    { "RunTime", NULL, get_runtime, NL },     { "TimeLimit", NULL, get_timelimit, 0 },
    { "TimeMin", NULL, get_timemin, 0 },
    { "SubmitTime", NULL, get_submit, NL },   { "EligibleTime", NULL, get_eligible, 0 },
    { "BeginTime", NULL, get_begin, 0 },
    { "StartTime", NULL, get_start, NL },     { "EndTime", NULL, get_end, 0 },
    { "Deadline", NULL, get_deadline, 0 },
    { "Partition", "partition", NULL, NL },   { "Queue", "queue", NULL, 0 },
    { "Share", NULL, get_share, 0 },          { "SchedPriority", "sched_priority", NULL, 0 },
    { "AllocNode:Sid", NULL, get_allocnode, 0 },
    { "Reservation", NULL, get_reservation, NL },
    { "ReqNodeList", "nodelist", NULL, NL },  { "ExcNodeList", "exclude", NULL, 0 },
    { "NodeList", NULL, get_nodelist, NL },
    { "BatchHost", NULL, get_batchhost, NL },
    { "NumNodes", NULL, get_numnodes, NL },    { "NumCPUs", NULL, get_numcpus, 0 },
    { "NumTasks", "num_tasks", NULL, 0 },     { "CPUs/Task", "cpus_per_task", NULL, 0 },
    { "TRES", NULL, get_tres, NL },
    { "JOB_GRES", NULL, get_job_gres, NL },
    { "MinCPUsNode", "cpus_per_task", NULL, NL }, { "MinMemoryNode", NULL, get_minmem, 0 },
    { "MinMemoryCPU", NULL, get_mempercpu, 0 }, { "MinTmpDiskNode", NULL, get_tmpdisk, 0 },
    { "Features", "constraint", NULL, NL },   { "OverSubscribe", NULL, get_oversub, NL },
    { "Licenses", NULL, get_licenses, 0 },
    { "Command", "command", NULL, NL },       { "WorkDir", "cwd", NULL, NL },
    { "Comment", NULL, get_comment, NL },
    { "StdErr", NULL, get_stderr, NL },       { "StdIn", NULL, get_stdin, NL },
    { "StdOut", NULL, get_stdout, NL },
    { "MailUser", NULL, get_mailuser, NL },   { "MailType", NULL, get_mailtype, 0 },
};

/* One id as job_show takes it (123 or "123_7"), or several tasks
 * ("123_[1-3]") through job_list. */
static json_t *jobs_by_id(const char *id)
{
    sl_error_t e;
    json_t *ids = json_array(), *reply, *jobs, *one;
    if (cmd_list_ids(id, ids, &e) < 0 || json_array_size(ids) != 1)
        cmd_die("Invalid job id specified");
    one = json_array_get(ids, 0);
    if (json_is_string(one) && strchr(json_string_value(one), '[')) {
        reply = cmd_call("job_list", json_pack("{s:o}", "job_ids", ids));
        jobs = json_incref(json_object_get(reply, "jobs"));
    } else {
        reply = cmd_try("job_show", json_pack("{s:O}", "job_id", one), &e);
        json_decref(ids);
        if (!reply)
            cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT")
                              ? "Invalid job id specified" : e.text);
        jobs = json_pack("[O]", json_object_get(reply, "job"));
    }
    json_decref(reply);
    return jobs;
}

int scontrol_show_job(const struct scontrol_opts *o, const char *id)
{
    json_t *reply = NULL, *jobs;
    if (id) {
        jobs = jobs_by_id(id);
    } else {
        reply = cmd_call("job_list", json_object());
        jobs = json_incref(json_object_get(reply, "jobs"));
    }
    json_t *r;
    size_t i;
    if (o->json || o->yaml) {
        json_t *out = json_array();
        json_array_foreach(jobs, i, r)
            json_array_append_new(out, scontrol_job_json(r));
        scontrol_print_doc(o, "jobs", out);
        json_decref(out);
        json_decref(jobs);
        json_decref(reply);
        return 0;
    }
    if (json_array_size(jobs) == 0)
        printf("No jobs in the system\n");
    json_array_foreach(jobs, i, r) {
        jobfmt_print_kv(KV(job_kv), r, o, o->oneliner, stdout);
        if (!o->oneliner)
            putchar('\n');
    }
    json_decref(jobs);
    json_decref(reply);
    return 0;
}
