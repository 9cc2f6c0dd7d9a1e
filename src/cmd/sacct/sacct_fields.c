/* sacct_fields.c: sacct's --format fields, with Slurm's default widths. */
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "cmdtres.h"
#include "cmdutil.h"
#include "jobarray.h"
#include "parse.h"
#include "sacct.h"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_state)
{
    const char *s = cmd_str(r, "slurm_state");
    json_t *by = json_object_get(r, "cancelled_by");
    if (!strcmp(s, "CANCELLED") && json_is_integer(by) && json_integer_value(by) >= 0)
        snprintf(buf, len, "CANCELLED by %lld", (long long)json_integer_value(by));
    else
        snprintf(buf, len, "%s", s);
}

/* Array tasks as 123_7; an array's record for tasks that never started
 * (cancelled before their turn) as 123_[5-9999]. */
GET(get_jobid)
{
    const char *step = json_string_value(json_object_get(r, "step_label"));
    if (step)
        snprintf(buf, len, "%s", step);     /* a step row: 123.batch, 123_4.0 */
    else
        jobarray_id(r, 0, buf, len);
}

GET(get_exitcode)
{
    snprintf(buf, len, "%lld:%lld", (long long)cmd_int(r, "exit_code"),
             (long long)cmd_int(r, "exit_signal"));
}

/* A job row only: the highest exit of its steps, code:signal.  Slurm leaves
 * it blank on step rows. */
GET(get_derived)
{
    int64_t code, sig;
    if (json_object_get(r, "step_label"))
        return;
    sacct_derived(r, &code, &sig);
    snprintf(buf, len, "%lld:%lld", (long long)code, (long long)sig);
}

static void when(const json_t *r, const char *key, char *buf, size_t len)
{
    format_datetime(cmd_int(r, key), buf, len);
}

GET(get_submit) { when(r, "submit_time", buf, len); }
GET(get_start) { when(r, "start_time", buf, len); }
GET(get_end) { when(r, "end_time", buf, len); }
GET(get_eligible) { when(r, "eligible_time", buf, len); }

int64_t sacct_elapsed(const json_t *r, const void *ctx)
{
    int64_t start = cmd_int(r, "start_time"), end = cmd_int(r, "end_time");
    if (start <= 0)
        return 0;
    if (end <= 0)
        end = ((const struct sacct_ctx *)ctx)->now;
    return end > start ? end - start : 0;
}

GET(get_elapsed) { jobfmt_hms(sacct_elapsed(r, ctx), buf, len); }
GET(get_elapsed_raw) { snprintf(buf, len, "%lld", (long long)sacct_elapsed(r, ctx)); }
GET(get_timelimit) { jobfmt_hms(cmd_int(r, "time_limit"), buf, len); }

/* As Slurm: the limit in minutes, or UNLIMITED. */
GET(get_timelimit_raw)
{
    int64_t t = cmd_int(r, "time_limit");
    if (t < 0)
        snprintf(buf, len, "UNLIMITED");
    else
        snprintf(buf, len, "%lld", (long long)(t / 60));
}

GET(get_nodelist)
{
    const char *n = cmd_str(r, "nodes");
    snprintf(buf, len, "%s", *n ? n : "None assigned");
}

GET(get_reqmem)
{
    int64_t node = cmd_int(r, "mem_mb"), cpu = cmd_int(r, "mem_per_cpu_mb");
    if (cpu > 0)
        snprintf(buf, len, "%lldMc", (long long)cpu);
    else if (node > 0)
        snprintf(buf, len, "%lldMn", (long long)node);
}

GET(get_alloctres) { cmd_tres(r, 1, 1, buf, len); }
GET(get_reqtres) { cmd_tres(r, 1, 0, buf, len); }

/* The share the job's usage counted for: --share, else account, else user. */
GET(get_share)
{
    const char *s = cmd_str(r, "share");
    snprintf(buf, len, "%s", *s ? s : *cmd_str(r, "account") ? cmd_str(r, "account")
                                                          : cmd_str(r, "user"));
}

/* The job's group by name; its number when the name is unknown here. */
GET(get_group)
{
    const struct group *g = getgrgid((gid_t)cmd_int(r, "gid"));
    if (g)
        snprintf(buf, len, "%s", g->gr_name);
    else
        snprintf(buf, len, "%lld", (long long)cmd_int(r, "gid"));
}

/* Fields of data Sluice does not gather (pages, disk I/O, CPU frequency,
 * energy, per-TRES usage): as Slurm prints them when none was gathered:
 * blank, the frequency requests "Unknown" (none can be made here) and
 * the energy 0 (no energy plugin). */
GET(get_none) { (void)r; (void)ctx; (void)len; buf[0] = '\0'; }
GET(get_unknown) { (void)r; (void)ctx; snprintf(buf, len, "Unknown"); }
GET(get_zero) { (void)r; (void)ctx; snprintf(buf, len, "0"); }

GET(get_cluster) { snprintf(buf, len, "%s", cmd_conf_load()->cluster_name); }

#define L 0   /* left-aligned */
#define R 1   /* right-aligned */

const struct jobfmt_field sacct_fields[] = {
    { "JobID", 0, "JobID", 12, L, NULL, get_jobid, 0 },
    { "JobIDRaw", 0, "JobIDRaw", 12, L, "job_id", NULL, 0 },
    { "JobName", 0, "JobName", 10, R, "name", NULL, 0 },
    { "User", 0, "User", 9, R, "user", NULL, 0 },
    { "UID", 0, "UID", 6, R, "uid", NULL, 0 },
    { "GID", 0, "GID", 6, R, "gid", NULL, 0 },
    { "Group", 0, "Group", 9, R, NULL, get_group, 0 },
    { "Cluster", 0, "Cluster", 10, R, NULL, get_cluster, 0 },
    { "Partition", 0, "Partition", 10, R, "partition", NULL, 0 },
    { "Queue", 0, "Queue", 10, R, "queue", NULL, 0 },
    { "Share", 0, "Share", 10, R, NULL, get_share, 0 },
    { "Nice", 0, "Nice", 6, R, "nice", NULL, 0 },
    { "Account", 0, "Account", 10, R, "account", NULL, 0 },
    { "AllocCPUS", 0, "AllocCPUS", 10, R, "num_cpus", NULL, 0 },
    { "NCPUS", 0, "NCPUS", 10, R, "num_cpus", NULL, 0 },
    { "ReqCPUS", 0, "ReqCPUS", 8, R, "num_cpus", NULL, 0 },
    { "AllocNodes", 0, "AllocNodes", 10, R, "num_nodes", NULL, 0 },
    { "NNodes", 0, "NNodes", 8, R, "num_nodes", NULL, 0 },
    { "NTasks", 0, "NTasks", 8, R, "num_tasks", NULL, 0 },
    { "NodeList", 0, "NodeList", 15, L, NULL, get_nodelist, 0 },
    { "State", 0, "State", 10, R, NULL, get_state, 0 },
    { "ExitCode", 0, "ExitCode", 8, R, NULL, get_exitcode, 0 },
    { "DerivedExitCode", 0, "DerivedExitCode", 15, R, NULL, get_derived, 0 },
    { "Submit", 0, "Submit", 19, R, NULL, get_submit, 0 },
    { "Eligible", 0, "Eligible", 19, R, NULL, get_eligible, 0 },
    { "Start", 0, "Start", 19, R, NULL, get_start, 0 },
    { "End", 0, "End", 19, R, NULL, get_end, 0 },
    { "Elapsed", 0, "Elapsed", 10, R, NULL, get_elapsed, 0 },
    { "ElapsedRaw", 0, "ElapsedRaw", 10, R, NULL, get_elapsed_raw, 0 },
    { "Timelimit", 0, "Timelimit", 10, R, NULL, get_timelimit, 0 },
    { "TimelimitRaw", 0, "TimelimitRaw", 10, R, NULL, get_timelimit_raw, 0 },
    { "Reason", 0, "Reason", 20, R, "reason", NULL, 0 },
    { "WorkDir", 0, "WorkDir", 20, L, "cwd", NULL, 0 },
    { "Priority", 0, "Priority", 10, R, "priority", NULL, 0 },
    { "Comment", 0, "Comment", 20, R, "comment", NULL, 0 },
    { "SubmitLine", 0, "SubmitLine", 20, R, "submit_line", NULL, 0 },
    { "QOS", 0, "QOS", 10, R, "qos", NULL, 0 },
    { "Constraints", 0, "Constraints", 19, R, "constraint", NULL, 0 },
    { "Reservation", 0, "Reservation", 20, R, "reservation", NULL, 0 },
    { "ReqMem", 0, "ReqMem", 10, R, NULL, get_reqmem, 0 },
    { "AllocTRES", 0, "AllocTRES", 10, L, NULL, get_alloctres, 0 },
    { "ReqTRES", 0, "ReqTRES", 10, L, NULL, get_reqtres, 0 },
    { "Restarts", 0, "Restarts", 8, R, "restart_count", NULL, 0 },
    /* Usage (sacct_usage.c). */
    { "TotalCPU", 0, "TotalCPU", 10, R, NULL, get_totalcpu, 0 },
    { "UserCPU", 0, "UserCPU", 10, R, NULL, get_usercpu, 0 },
    { "SystemCPU", 0, "SystemCPU", 10, R, NULL, get_systemcpu, 0 },
    { "CPUTime", 0, "CPUTime", 10, R, NULL, get_cputime, 0 },
    { "CPUTimeRAW", 0, "CPUTimeRAW", 10, R, NULL, get_cputime_raw, 0 },
    { "MaxRSS", 0, "MaxRSS", 10, R, NULL, get_maxrss, 0 },
    { "MaxRSSNode", 0, "MaxRSSNode", 10, R, NULL, get_maxrssnode, 0 },
    { "MaxRSSTask", 0, "MaxRSSTask", 10, R, NULL, get_maxrsstask, 0 },
    { "AveRSS", 0, "AveRSS", 10, R, NULL, get_averss, 0 },
    { "MaxVMSize", 0, "MaxVMSize", 10, R, NULL, get_maxvmsize, 0 },
    { "MaxVMSizeNode", 0, "MaxVMSizeNode", 13, R, NULL, get_maxvmsizenode, 0 },
    { "MaxVMSizeTask", 0, "MaxVMSizeTask", 13, R, NULL, get_maxvmsizetask, 0 },
    { "AveVMSize", 0, "AveVMSize", 10, R, NULL, get_avevmsize, 0 },
    { "AveCPU", 0, "AveCPU", 10, R, NULL, get_avecpu, 0 },
    { "MinCPU", 0, "MinCPU", 10, R, NULL, get_mincpu, 0 },
    { "MinCPUNode", 0, "MinCPUNode", 10, R, NULL, get_mincpunode, 0 },
    { "MinCPUTask", 0, "MinCPUTask", 10, R, NULL, get_mincputask, 0 },
    /* Not gathered here (get_none above); in sacct -l's list. */
    { "MaxPages", 0, "MaxPages", 8, R, NULL, get_none, 0 },
    { "MaxPagesNode", 0, "MaxPagesNode", 12, R, NULL, get_none, 0 },
    { "MaxPagesTask", 0, "MaxPagesTask", 12, R, NULL, get_none, 0 },
    { "AvePages", 0, "AvePages", 10, R, NULL, get_none, 0 },
    { "AveCPUFreq", 0, "AveCPUFreq", 10, R, NULL, get_none, 0 },
    { "ReqCPUFreqMin", 0, "ReqCPUFreqMin", 13, R, NULL, get_unknown, 0 },
    { "ReqCPUFreqMax", 0, "ReqCPUFreqMax", 13, R, NULL, get_unknown, 0 },
    { "ReqCPUFreqGov", 0, "ReqCPUFreqGov", 13, R, NULL, get_unknown, 0 },
    { "ConsumedEnergy", 0, "ConsumedEnergy", 14, R, NULL, get_zero, 0 },
    { "MaxDiskRead", 0, "MaxDiskRead", 12, R, NULL, get_none, 0 },
    { "MaxDiskReadNode", 0, "MaxDiskReadNode", 15, R, NULL, get_none, 0 },
    { "MaxDiskReadTask", 0, "MaxDiskReadTask", 15, R, NULL, get_none, 0 },
    { "AveDiskRead", 0, "AveDiskRead", 12, R, NULL, get_none, 0 },
    { "MaxDiskWrite", 0, "MaxDiskWrite", 12, R, NULL, get_none, 0 },
    { "MaxDiskWriteNode", 0, "MaxDiskWriteNode", 16, R, NULL, get_none, 0 },
    { "MaxDiskWriteTask", 0, "MaxDiskWriteTask", 16, R, NULL, get_none, 0 },
    { "AveDiskWrite", 0, "AveDiskWrite", 12, R, NULL, get_none, 0 },
    { "TresUsageInAve", 0, "TresUsageInAve", 14, R, NULL, get_none, 0 },
    { "TresUsageInMax", 0, "TresUsageInMax", 14, R, NULL, get_none, 0 },
    { "TresUsageInMaxNode", 0, "TresUsageInMaxNode", 18, R, NULL, get_none, 0 },
    { "TresUsageInMaxTask", 0, "TresUsageInMaxTask", 18, R, NULL, get_none, 0 },
    { "TresUsageInMin", 0, "TresUsageInMin", 14, R, NULL, get_none, 0 },
    { "TresUsageInMinNode", 0, "TresUsageInMinNode", 18, R, NULL, get_none, 0 },
    { "TresUsageInMinTask", 0, "TresUsageInMinTask", 18, R, NULL, get_none, 0 },
    { "TresUsageInTot", 0, "TresUsageInTot", 14, R, NULL, get_none, 0 },
    { "TresUsageOutMax", 0, "TresUsageOutMax", 15, R, NULL, get_none, 0 },
    { "TresUsageOutMaxNode", 0, "TresUsageOutMaxNode", 19, R, NULL, get_none, 0 },
    { "TresUsageOutMaxTask", 0, "TresUsageOutMaxTask", 19, R, NULL, get_none, 0 },
    { "TresUsageOutMin", 0, "TresUsageOutMin", 15, R, NULL, get_none, 0 },
    { "TresUsageOutMinNode", 0, "TresUsageOutMinNode", 19, R, NULL, get_none, 0 },
    { "TresUsageOutMinTask", 0, "TresUsageOutMinTask", 19, R, NULL, get_none, 0 },
    { "TresUsageOutAve", 0, "TresUsageOutAve", 15, R, NULL, get_none, 0 },
    { "TresUsageOutTot", 0, "TresUsageOutTot", 15, R, NULL, get_none, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};
