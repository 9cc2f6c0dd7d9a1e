/* scontrol_show.c: scontrol show job|node|partition|config|hostnames|hostlist.
 * Each record kind is a table of Key=Value entries in Slurm's order. */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmdutil.h"
#include "hostlist.h"
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

GET(get_nodestate)
{
    const char *s = cmd_str(r, "state");
    int full = cmd_int(r, "alloc_cpus") >= cmd_int(r, "cpus");
    const char *shown = !strcmp(s, "DRAINED") ? "IDLE+DRAIN"
                      : !strcmp(s, "DRAINING") ? (full ? "ALLOCATED+DRAIN" : "MIXED+DRAIN")
                      : s;
    snprintf(buf, len, "%s%s", shown,
             json_is_false(json_object_get(r, "responding")) ? "*" : "");
}

GET(get_partitions)
{
    json_t *v;
    size_t i, n = 0;
    buf[0] = '\0';
    json_array_foreach(json_object_get(r, "partitions"), i, v)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "," : "",
                              json_string_value(v));
}

GET(get_boot) { get_when(r, "boot_time", buf, len); }
GET(get_lastseen) { get_when(r, "last_seen", buf, len); }

GET(get_reason)
{
    char when[64], user[64];
    if (!*cmd_str(r, "reason"))
        return;
    format_datetime(cmd_int(r, "reason_time"), when, sizeof(when));
    cmd_user_value(json_object_get(r, "reason_user"), user, sizeof(user));
    snprintf(buf, len, "%s [%s@%s]", cmd_str(r, "reason"), user, when);
}

static const struct jobfmt_kv node_kv[] = {
    { "NodeName", "name", NULL, 0 },          { "CoresPerSocket", "cores_per_socket", NULL, 0 },
    { "CPUAlloc", "alloc_cpus", NULL, NL },   { "CPUTot", "cpus", NULL, 0 },
    { "CPULoad", NULL, get_na, 0 },
    { "AvailableFeatures", "features", NULL, NL },
    { "ActiveFeatures", "features", NULL, NL },
    { "Gres", NULL, get_nullstr, NL },
    { "NodeAddr", "hostname", NULL, NL },     { "NodeHostName", "hostname", NULL, 0 },
    { "Port", "port", NULL, 0 },
    { "RealMemory", "memory_mb", NULL, NL },  { "AllocMem", "alloc_mem_mb", NULL, 0 },
    { "FreeMem", NULL, get_na, 0 },           { "Sockets", "sockets", NULL, 0 },
    { "Boards", NULL, get_zero, 0 },
    { "State", NULL, get_nodestate, NL },     { "ThreadsPerCore", "threads_per_core", NULL, 0 },
    { "TmpDisk", NULL, get_zero, 0 },
    { "Partitions", NULL, get_partitions, NL },
    { "BootTime", NULL, get_boot, NL },       { "LastSeenTime", NULL, get_lastseen, 0 },
    { "Reason", NULL, get_reason, NL },
};

GET(get_yesno) { snprintf(buf, len, "%s", json_is_true(json_object_get(r, "default")) ? "YES" : "NO"); }
GET(get_maxtime) { jobfmt_hms(cmd_int(r, "max_time"), buf, len); }
GET(get_deftime) { jobfmt_hms(cmd_int(r, "default_time"), buf, len); }

GET(get_maxnodes)
{
    int64_t n = cmd_int(r, "max_nodes");
    if (n > 0)
        snprintf(buf, len, "%lld", (long long)n);
    else
        snprintf(buf, len, "UNLIMITED");
}

GET(get_all) { snprintf(buf, len, "ALL"); }

static const struct jobfmt_kv part_kv[] = {
    { "PartitionName", "name", NULL, 0 },
    { "AllowGroups", NULL, get_all, NL },     { "AllowAccounts", NULL, get_all, 0 },
    { "AllowQos", NULL, get_all, 0 },
    { "Default", NULL, get_yesno, NL },
    { "DefaultTime", NULL, get_deftime, NL },
    { "MaxNodes", NULL, get_maxnodes, NL },   { "MaxTime", NULL, get_maxtime, 0 },
    { "MinNodes", NULL, get_zero, 0 },
    { "Nodes", "nodes", NULL, NL },
    { "State", "state", NULL, NL },           { "TotalCPUs", "total_cpus", NULL, 0 },
    { "TotalNodes", "total_nodes", NULL, 0 },
};

#define KV(tab) tab, sizeof(tab) / sizeof(tab[0])

static void print_records(const struct scontrol_opts *o, json_t *recs,
                          const struct jobfmt_kv *tab, size_t n)
{
    json_t *r;
    size_t i;
    json_array_foreach(recs, i, r) {
        jobfmt_print_kv(tab, n, r, NULL, o->oneliner, stdout);
        if (!o->oneliner)
            putchar('\n');
    }
}

/* Records of a kind, with an optional name selecting one of them. */
static json_t *named(json_t *recs, const char *name)
{
    json_t *out = json_array(), *r;
    size_t i;
    json_array_foreach(recs, i, r)
        if (!name || strcmp(cmd_str(r, "name"), name) == 0)
            json_array_append(out, r);
    return out;
}

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

static int show_nodes(const struct scontrol_opts *o, const char *name)
{
    sl_error_t e;
    json_t *body = name ? json_pack("{s:s}", "nodes", name) : json_object();
    json_t *reply = cmd_try("node_list", body, &e);
    if (!reply)
        cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT") ||
                      !strcmp(client_last_code(cmd_client()), "EINVAL")
                          ? "Invalid node name specified" : e.text);
    if (json_array_size(json_object_get(reply, "nodes")) == 0 && name)
        cmd_die("Invalid node name specified");
    print_records(o, json_object_get(reply, "nodes"), KV(node_kv));
    json_decref(reply);
    return 0;
}

static int show_parts(const struct scontrol_opts *o, const char *name)
{
    json_t *reply = cmd_call("part_list", json_object());
    json_t *parts = named(json_object_get(reply, "partitions"), name);
    if (name && json_array_size(parts) == 0)
        cmd_die("Invalid partition name specified");
    print_records(o, parts, KV(part_kv));
    json_decref(parts);
    json_decref(reply);
    return 0;
}

static int show_config(const struct scontrol_opts *o, const char *arg)
{
    json_t *reply = cmd_call("config_show", json_object()), *v;
    const char *key;
    char when[64], val[1024];
    printf("Configuration data as of %s\n", format_datetime((int64_t)time(NULL), when,
                                                           sizeof(when)));
    json_object_foreach(json_object_get(reply, "config"), key, v) {
        jobfmt_value(v, val, sizeof(val));
        printf("%-23s = %s\n", key, val);
    }
    json_decref(reply);
    return 0;
}

static int show_hostnames(const struct scontrol_opts *o, const char *expr)
{
    sl_error_t e;
    hostlist_t *hl;
    if (!expr && !(expr = getenv("SLURM_JOB_NODELIST")))
        cmd_die("No hostlist specified");
    if (!(hl = hostlist_expand(expr, &e)))
        cmd_die("Invalid hostlist: %s", e.text);
    for (size_t i = 0; i < hostlist_count(hl); i++)
        printf("%s\n", hostlist_nth(hl, i));
    hostlist_destroy(hl);
    return 0;
}

static int show_hostlist(const struct scontrol_opts *o, const char *expr)
{
    sl_error_t e;
    char *s;
    if (!expr)
        cmd_die("No hostlist specified");
    if (!(s = hostlist_compress(expr, &e)))
        cmd_die("Invalid hostlist: %s", e.text);
    printf("%s\n", s);
    free(s);
    return 0;
}

static const struct {
    const char *names[3];   /* what users type, as Slurm accepts it */
    int (*fn)(const struct scontrol_opts *o, const char *arg);
} entities[] = {
    { { "job", "jobs", NULL }, show_job },
    { { "node", "nodes", "nodename" }, show_nodes },
    { { "partition", "partitions", "part" }, show_parts },
    { { "config", "configuration", NULL }, show_config },
    { { "hostnames", "hostname", NULL }, show_hostnames },
    { { "hostlist", NULL, NULL }, show_hostlist },
};

int scontrol_show(const struct scontrol_opts *o, int argc, char **argv)
{
    if (argc < 1)
        cmd_die("show what? (job, node, partition, config, hostnames, hostlist)");
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        for (int k = 0; k < 3 && entities[i].names[k]; k++)
            if (strcasecmp(argv[0], entities[i].names[k]) == 0)
                return entities[i].fn(o, argc > 1 ? argv[1] : NULL);
    cmd_die("Invalid entity: '%s' for the show command", argv[0]);
}
