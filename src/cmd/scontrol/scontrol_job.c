/* scontrol_job.c: scontrol show job: the job record as Key=Value entries in
 * Slurm's order, with the job model's additions (array, dependency,
 * attempts, begin time, both state names). */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
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
GET(get_nullstr) { snprintf(buf, len, "(null)"); }
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

static void get_when(const json_t *r, const char *key, char *buf, size_t len)
{
    format_datetime(cmd_int(r, key), buf, len);
}

GET(get_submit) { get_when(r, "submit_time", buf, len); }
GET(get_eligible) { get_when(r, "eligible_time", buf, len); }
GET(get_start) { get_when(r, "start_time", buf, len); }
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

GET(get_minmem)
{
    int64_t node = cmd_int(r, "mem_mb"), cpu = cmd_int(r, "mem_per_cpu_mb");
    if (cpu > 0 && node <= 0)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%lldM", (long long)(node > 0 ? node : 0));
}

GET(get_mempercpu)
{
    int64_t cpu = cmd_int(r, "mem_per_cpu_mb");
    if (cpu > 0)
        snprintf(buf, len, "%lldM", (long long)cpu);
}

GET(get_tres)
{
    snprintf(buf, len, "cpu=%lld,node=%lld", (long long)cmd_int(r, "num_cpus"),
             (long long)cmd_int(r, "num_nodes"));
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

/* stderr goes with stdout unless given; both default to slurm-%j.out. */
GET(get_stdout)
{
    const char *o = cmd_str(r, "stdout");
    expand_path(r, *o ? o : "slurm-%j.out", buf, len);
}

GET(get_stderr)
{
    const char *e = cmd_str(r, "stderr"), *o = cmd_str(r, "stdout");
    expand_path(r, *e ? e : *o ? o : "slurm-%j.out", buf, len);
}

GET(get_stdin)
{
    const char *i = cmd_str(r, "stdin");
    expand_path(r, *i ? i : "/dev/null", buf, len);
}

static const struct jobfmt_kv job_kv[] = {
    { "JobId", "job_id", NULL, 0 },           { "JobName", "name", NULL, 0 },
    { "UserId", NULL, get_userid, NL },       { "GroupId", NULL, get_groupid, 0 },
    { "MCS_label", NULL, get_na, 0 },
    { "Priority", "priority", NULL, NL },     { "Nice", NULL, get_zero, 0 },
    { "Account", "account", NULL, 0 },        { "QOS", "qos", NULL, 0 },
    { "JobState", "slurm_state", NULL, NL },  { "BatchState", "state", NULL, 0 },
    { "Reason", "reason", NULL, 0 },          { "Dependency", NULL, get_nullstr, 0 },
    { "Requeue", NULL, get_requeue, NL },     { "Restarts", "restart_count", NULL, 0 },
    { "BatchFlag", NULL, get_one, 0 },     { "Reboot", NULL, get_zero, 0 },
    { "ExitCode", NULL, get_exitcode, 0 },
    { "RunTime", NULL, get_runtime, NL },     { "TimeLimit", NULL, get_timelimit, 0 },
    { "TimeMin", NULL, get_na, 0 },
    { "SubmitTime", NULL, get_submit, NL },   { "EligibleTime", NULL, get_eligible, 0 },
    { "StartTime", NULL, get_start, NL },     { "EndTime", NULL, get_end, 0 },
    { "Deadline", NULL, get_na, 0 },
    { "Partition", "partition", NULL, NL },   { "AllocNode:Sid", NULL, get_allocnode, 0 },
    { "ReqNodeList", "nodelist", NULL, NL },  { "ExcNodeList", "exclude", NULL, 0 },
    { "NodeList", NULL, get_nodelist, NL },
    { "BatchHost", NULL, get_batchhost, NL },
    { "NumNodes", "num_nodes", NULL, NL },    { "NumCPUs", "num_cpus", NULL, 0 },
    { "NumTasks", "num_tasks", NULL, 0 },     { "CPUs/Task", "cpus_per_task", NULL, 0 },
    { "TRES", NULL, get_tres, NL },
    { "MinCPUsNode", "cpus_per_task", NULL, NL }, { "MinMemoryNode", NULL, get_minmem, 0 },
    { "MinMemoryCPU", NULL, get_mempercpu, 0 },
    { "Features", "constraint", NULL, NL },   { "OverSubscribe", NULL, get_oversub, NL },
    { "Command", "command", NULL, NL },       { "WorkDir", "cwd", NULL, NL },
    { "Comment", NULL, get_comment, NL },
    { "StdErr", NULL, get_stderr, NL },       { "StdIn", NULL, get_stdin, NL },
    { "StdOut", NULL, get_stdout, NL },
};

static int show_job(const struct scontrol_opts *o, const char *id)
{
    sl_error_t e;
    json_t *reply, *jobs;
    if (id) {
        char *end;
        long long n = strtoll(id, &end, 10);
        if (*end || n <= 0)
            cmd_die("Invalid job id specified");
        if (!(reply = cmd_try("job_show", json_pack("{s:I}", "job_id", (json_int_t)n), &e)))
            cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT")
                              ? "Invalid job id specified" : e.text);
        jobs = json_pack("[O]", json_object_get(reply, "job"));
    } else {
        reply = cmd_call("job_list", json_object());
        jobs = json_incref(json_object_get(reply, "jobs"));
    }
    if (json_array_size(jobs) == 0)
        printf("No jobs in the system\n");
    print_records(o, jobs, KV(job_kv));
    json_decref(jobs);
    json_decref(reply);
    return 0;
}
