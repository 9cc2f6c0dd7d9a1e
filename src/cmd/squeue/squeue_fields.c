/* squeue_fields.c: squeue's fields: -o letters and -O names, as Slurm. */
#include <stdio.h>
#include <string.h>

#include "cmdutil.h"
#include "jobarray.h"
#include "parse.h"
#include "squeue.h"

#define NOW(ctx) (((const struct squeue_ctx *)(ctx))->now)

static int is_pending(const json_t *j)
{
    return strcmp(cmd_str(j, "slurm_state"), "PENDING") == 0;
}

static int64_t time_used(const json_t *j, const void *ctx)
{
    int64_t start = cmd_int(j, "start_time"), end = cmd_int(j, "end_time");
    if (start <= 0 || is_pending(j))
        return 0;
    if (end <= 0 || end < start)
        end = NOW(ctx);
    return end > start ? end - start : 0;
}

static void get_code(const json_t *j, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "%s", jobfmt_state_code(cmd_str(j, "slurm_state")));
}

static void get_used(const json_t *j, const void *ctx, char *buf, size_t len)
{
    format_duration(time_used(j, ctx), buf, len);
}

static void get_limit(const json_t *j, const void *ctx, char *buf, size_t len)
{
    format_duration(cmd_int(j, "time_limit"), buf, len);
}

static void get_left(const json_t *j, const void *ctx, char *buf, size_t len)
{
    int64_t limit = cmd_int(j, "time_limit"), used = time_used(j, ctx);
    format_duration(limit < 0 ? limit : limit > used ? limit - used : 0, buf, len);
}

static void get_reasonlist(const json_t *j, const void *ctx, char *buf, size_t len)
{
    const char *nodes = cmd_str(j, "nodes");
    if (is_pending(j) || !*nodes)
        snprintf(buf, len, "(%s)", *cmd_str(j, "reason") ? cmd_str(j, "reason") : "None");
    else
        snprintf(buf, len, "%s", nodes);
}

static void get_time(const char *key, const json_t *j, char *buf, size_t len)
{
    int64_t t = cmd_int(j, key);
    if (t > 0)
        format_datetime(t, buf, len);
    else
        snprintf(buf, len, "N/A");
}

/* A pending job's start is the scheduler's expected start (sched/backfill's
 * reservation), "N/A" when it has none, as squeue --start shows it. */
static void get_start(const json_t *j, const void *ctx, char *buf, size_t len)
{
    get_time(is_pending(j) ? "expected_start" : "start_time", j, buf, len);
}

static void get_submit(const json_t *j, const void *ctx, char *buf, size_t len)
{
    get_time("submit_time", j, buf, len);
}

/* A running job's end is its expected end: start plus limit. */
static void get_end(const json_t *j, const void *ctx, char *buf, size_t len)
{
    int64_t start = cmd_int(j, "start_time"), limit = cmd_int(j, "time_limit");
    if (cmd_int(j, "end_time") <= 0 && start > 0 && limit >= 0 && !is_pending(j))
        format_datetime(start + limit, buf, len);
    else
        get_time("end_time", j, buf, len);
}

static void get_null(const json_t *j, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "(null)");
}

static void get_mem(const json_t *j, const void *ctx, char *buf, size_t len)
{
    int64_t mb = cmd_int(j, "mem_mb");
    snprintf(buf, len, "%lldM", (long long)(mb > 0 ? mb : 0));
}

static void get_oversub(const json_t *j, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "%s", json_is_true(json_object_get(j, "exclusive")) ? "NO" : "OK");
}

/* A pending job has no allocation yet: show what it asks for. */
static void get_nodes(const json_t *j, const void *ctx, char *buf, size_t len)
{
    int64_t n = cmd_int(j, "num_nodes");
    if (n <= 0)
        n = cmd_int(j, "nodes_min");
    snprintf(buf, len, "%lld", (long long)(n > 0 ? n : 1));
}

static void get_cpus(const json_t *j, const void *ctx, char *buf, size_t len)
{
    int64_t n = cmd_int(j, "num_cpus"), tasks = cmd_int(j, "num_tasks");
    int64_t cpt = cmd_int(j, "cpus_per_task");
    if (n <= 0)
        n = (tasks > 0 ? tasks : 1) * (cpt > 0 ? cpt : 1);
    snprintf(buf, len, "%lld", (long long)n);
}

/* 123, 123_7, or 123_[5-9999%50] for an array's pending tasks. */
static void get_arrayid(const json_t *j, const void *ctx, char *buf, size_t len)
{
    jobarray_id(j, 1, buf, len);
}

static void get_arraybase(const json_t *j, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "%lld", (long long)jobarray_base(j));
}

static void get_arraytask(const json_t *j, const void *ctx, char *buf, size_t len)
{
    jobarray_task(j, buf, len);
}

static void get_dependency(const json_t *j, const void *ctx, char *buf, size_t len)
{
    const char *d = cmd_str(j, "dependency");
    snprintf(buf, len, "%s", *d ? d : "(null)");
}

static void get_detail(const json_t *j, const void *ctx, char *buf, size_t len)
{
    const char *d = cmd_str(j, "reason_detail");
    snprintf(buf, len, "%s", *d ? d : "(null)");
}

/* The share the job's usage counts for: --share, else account, else user. */
static void get_share(const json_t *j, const void *ctx, char *buf, size_t len)
{
    const char *s = cmd_str(j, "share");
    snprintf(buf, len, "%s", *s ? s : *cmd_str(j, "account") ? cmd_str(j, "account")
                                                          : cmd_str(j, "user"));
}

static void get_exit(const json_t *j, const void *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "%lld:%lld", (long long)cmd_int(j, "exit_code"),
             (long long)cmd_int(j, "exit_signal"));
}

const struct jobfmt_field squeue_fields[] = {
    /* As Slurm: %i (JobArrayID) shows array tasks as 123_7, %A (JobID) the
     * job's own unique id. */
    { "JobArrayID", 'i', "JOBID", 20, 0, NULL, get_arrayid, 0 },
    { "JobID", 'A', "JOBID", 20, 0, "job_id", NULL, 0 },
    { "ArrayJobID", 'F', "ARRAY_JOB_ID", 20, 0, NULL, get_arraybase, 0 },
    { "ArrayTaskID", 'K', "ARRAY_TASK_ID", 20, 0, NULL, get_arraytask, 0 },
    { "Name", 'j', "NAME", 20, 0, "name", NULL, 0 },
    { "UserName", 'u', "USER", 20, 0, "user", NULL, 0 },
    { "UserID", 'U', "UID", 20, 0, "uid", NULL, 0 },
    { "GroupID", 'G', "GID", 20, 0, "gid", NULL, 0 },
    { "Account", 'a', "ACCOUNT", 20, 0, "account", NULL, 0 },
    { "Partition", 'P', "PARTITION", 20, 0, "partition", NULL, 0 },
    { "QOS", 'q', "QOS", 20, 0, "qos", NULL, 0 },
    /* Sluice's own: %v is the queue (Slurm's %v, the reservation, has no
     * counterpart here). */
    { "Queue", 'v', "QUEUE", 20, 0, "queue", NULL, 0 },
    { "Share", 0, "SHARE", 20, 0, NULL, get_share, 0 },
    { "SchedPriority", 0, "SCHED_PRIORITY", 20, 0, "sched_priority", NULL, 0 },
    { "Nice", 'y', "NICE", 20, 0, "nice", NULL, 0 },
    { "ReasonDetail", 0, "EXPLANATION", 20, 0, NULL, get_detail, 0 },
    { "StateCompact", 't', "ST", 20, 0, NULL, get_code, 0 },
    { "State", 'T', "STATE", 20, 0, "slurm_state", NULL, 0 },
    { "Reason", 'r', "REASON", 20, 0, "reason", NULL, 0 },
    { "ReasonList", 'R', "NODELIST(REASON)", 20, 0, NULL, get_reasonlist, 0 },
    { "TimeUsed", 'M', "TIME", 20, 0, NULL, get_used, 0 },
    { "TimeLimit", 'l', "TIME_LIMIT", 20, 0, NULL, get_limit, 0 },
    { "TimeLeft", 'L', "TIME_LEFT", 20, 0, NULL, get_left, 0 },
    { "NumNodes", 'D', "NODES", 20, 0, NULL, get_nodes, 0 },
    { "NumCPUs", 'C', "CPUS", 20, 0, NULL, get_cpus, 0 },
    { "NumTasks", 0, "TASKS", 20, 0, "num_tasks", NULL, 0 },
    { "MinCpus", 'c', "MIN_CPUS", 20, 0, "cpus_per_task", NULL, 0 },
    { "MinMemory", 'm', "MIN_MEMORY", 20, 0, NULL, get_mem, 0 },
    { "NodeList", 'N', "NODELIST", 20, 0, "nodes", NULL, 0 },
    { "SchedNodes", 'Y', "SCHEDNODES", 20, 0, NULL, get_null, 0 },
    { "StartTime", 'S', "START_TIME", 20, 0, NULL, get_start, 0 },
    { "SubmitTime", 'V', "SUBMIT_TIME", 20, 0, NULL, get_submit, 0 },
    { "EndTime", 'e', "END_TIME", 20, 0, NULL, get_end, 0 },
    { "WorkDir", 'Z', "WORK_DIR", 20, 0, "cwd", NULL, 0 },
    { "Priority", 'Q', "PRIORITY", 20, 0, "priority", NULL, 0 },
    { "Command", 'o', "COMMAND", 20, 0, "command", NULL, 0 },
    { "Comment", 'k', "COMMENT", 20, 0, "comment", NULL, 0 },
    { "Dependency", 'E', "DEPENDENCY", 20, 0, NULL, get_dependency, 0 },
    { "OverSubscribe", 'h', "OVER_SUBSCRIBE", 20, 0, NULL, get_oversub, 0 },
    { "ExitCode", 0, "EXIT_CODE", 20, 0, NULL, get_exit, 0 },
    { "STDOUT", 0, "STDOUT", 20, 0, "stdout", NULL, 0 },
    { "STDERR", 0, "STDERR", 20, 0, "stderr", NULL, 0 },
    { "STDIN", 0, "STDIN", 20, 0, "stdin", NULL, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};
