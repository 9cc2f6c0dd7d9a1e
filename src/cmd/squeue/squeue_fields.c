/* squeue_fields.c: squeue's fields: -o letters and -O names, as Slurm, and
 * the record keys each one reads (so that squeue asks for no more). */
#define _GNU_SOURCE   /* strcasestr */
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "parse.h"
#include "squeue.h"

#define NOW(ctx) (((const struct squeue_ctx *)(ctx))->now)
#define GET(name) static void name(const struct sq_row *r, const void *ctx, char *buf, \
                                   size_t len)

static int is_pending(const struct sq_row *r)
{
    return strcmp(sq_str(r, K_SLURM_STATE), "PENDING") == 0;
}

static int64_t time_used(const struct sq_row *r, const void *ctx)
{
    int64_t start = sq_int(r, K_START_TIME), end = sq_int(r, K_END_TIME);
    if (start <= 0 || is_pending(r))
        return 0;
    if (end <= 0 || end < start)
        end = NOW(ctx);
    return end > start ? end - start : 0;
}

GET(get_code) { snprintf(buf, len, "%s", jobfmt_state_code(sq_str(r, K_SLURM_STATE))); }
GET(get_used) { format_duration(time_used(r, ctx), buf, len); }
GET(get_limit) { format_duration(sq_int(r, K_TIME_LIMIT), buf, len); }

GET(get_left)
{
    int64_t limit = sq_int(r, K_TIME_LIMIT), used = time_used(r, ctx);
    format_duration(limit < 0 ? limit : limit > used ? limit - used : 0, buf, len);
}

/* As Slurm's %R: the reason of a job pending, or ended by failing, its
 * time limit, its memory or its deadline; the nodes otherwise. */
static int shows_reason(const struct sq_row *r)
{
    static const char *const st[] = { "PENDING", "FAILED", "TIMEOUT", "OUT_OF_MEMORY",
                                       "DEADLINE" };
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
        if (!strcmp(sq_str(r, K_SLURM_STATE), st[i]))
            return 1;
    return 0;
}

GET(get_reasonlist)
{
    const char *nodes = sq_str(r, K_NODES), *reason = sq_str(r, K_REASON);
    if (shows_reason(r) || !*nodes)
        snprintf(buf, len, "(%s)", *reason ? reason : "None");
    else
        snprintf(buf, len, "%s", nodes);
}

static void or_null(const char *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s", *s ? s : "(null)");
}

static void time_text(int64_t t, char *buf, size_t len)
{
    if (t > 0)
        format_datetime(t, buf, len);
    else
        snprintf(buf, len, "N/A");
}

/* A pending job's start is the scheduler's expected start (sched/backfill's
 * reservation), "N/A" when it has none, as squeue --start shows it. */
GET(get_start)
{
    time_text(sq_int(r, is_pending(r) ? K_EXPECTED_START : K_START_TIME), buf, len);
}

GET(get_submit) { time_text(sq_int(r, K_SUBMIT_TIME), buf, len); }

/* A running job's end is its expected end: start plus limit. */
GET(get_end)
{
    int64_t start = sq_int(r, K_START_TIME), limit = sq_int(r, K_TIME_LIMIT);
    if (sq_int(r, K_END_TIME) <= 0 && start > 0 && limit >= 0 && !is_pending(r))
        format_datetime(start + limit, buf, len);
    else
        time_text(sq_int(r, K_END_TIME), buf, len);
}

GET(get_null) { snprintf(buf, len, "(null)"); }

/* The node the batch script runs on: the allocation's first. */
GET(get_batchhost)
{
    hostlist_t *hl = hostlist_expand(sq_str(r, K_NODES), NULL);
    snprintf(buf, len, "%s", hl && hostlist_count(hl) ? hostlist_nth(hl, 0) : "n/a");
    hostlist_destroy(hl);
}

/* Slurm's convert_num_unit as squeue uses it: MiB in the largest unit
 * that keeps the value at least 1 (4096 -> "4G", 2000 -> "1.95G"). */
static void mem_text(int64_t mb, char *buf, size_t len)
{
    static const char units[] = "MGTP";
    double v = (double)mb;
    size_t u = 0;
    if (mb <= 0) {
        snprintf(buf, len, "0");
        return;
    }
    while (v >= 1024 && u + 1 < sizeof(units) - 1)
        v /= 1024, u++;
    if (v == (double)(int64_t)v)
        snprintf(buf, len, "%lld%c", (long long)v, units[u]);
    else
        snprintf(buf, len, "%.2f%c", v, units[u]);
}

/* Per node, or per CPU when the job asked so (--mem-per-cpu), as Slurm. */
GET(get_mem)
{
    int64_t per_cpu = sq_int(r, K_MEM_PER_CPU);
    mem_text(per_cpu > 0 ? per_cpu : sq_int(r, K_MEM_MB), buf, len);
}

GET(get_tmp) { mem_text(sq_int(r, K_TMP_MB), buf, len); }
GET(get_licenses) { or_null(sq_str(r, K_LICENSES), buf, len); }

/* Slurm's %p: the priority as a fraction of the largest 32-bit one. */
GET(get_prio_frac)
{
    snprintf(buf, len, "%16.14f", (double)sq_int(r, K_PRIORITY) / (double)UINT32_MAX);
}

GET(get_features) { or_null(sq_str(r, K_CONSTRAINT), buf, len); }
GET(get_zero) { snprintf(buf, len, "0"); }
/* No job asks for sockets, cores or threads per node here: Slurm's "any". */
GET(get_sct) { snprintf(buf, len, "*:*:*"); }
GET(get_eligible) { time_text(sq_int(r, K_ELIGIBLE_TIME), buf, len); }
GET(get_requeue) { snprintf(buf, len, "%d", sq_true(r, K_REQUEUE)); }

GET(get_maxnodes)
{
    int64_t n = sq_int(r, K_NODES_MAX);
    snprintf(buf, len, "%lld", (long long)(n > 0 ? n : 0));
}

GET(get_ntpernode)
{
    int64_t n = sq_int(r, K_NTASKS_PER_NODE);
    if (n > 0)
        snprintf(buf, len, "%lld", (long long)n);
    else
        snprintf(buf, len, "%s", "N/A");
}

/* tres-per-node, as Slurm's %b: the per-node GPUs asked for. */
GET(get_tres_per_node)
{
    int64_t g = sq_int(r, K_GPUS_PER_NODE);
    const char *t = sq_str(r, K_GPU_TYPE);
    if (g <= 0)
        snprintf(buf, len, "N/A");
    else
        snprintf(buf, len, "gres/gpu:%s%s%lld", t, *t ? ":" : "", (long long)g);
}

GET(get_oversub) { snprintf(buf, len, "%s", sq_true(r, K_EXCLUSIVE) ? "NO" : "OK"); }

/* A pending job has no allocation yet: show what it asks for. */
GET(get_nodes)
{
    int64_t n = sq_int(r, K_NUM_NODES);
    if (n <= 0)
        n = sq_int(r, K_NODES_MIN);
    snprintf(buf, len, "%lld", (long long)(n > 0 ? n : 1));
}

GET(get_cpus)
{
    int64_t n = sq_int(r, K_NUM_CPUS), tasks = sq_int(r, K_NUM_TASKS);
    int64_t cpt = sq_int(r, K_CPUS_PER_TASK);
    if (n <= 0)
        n = (tasks > 0 ? tasks : 1) * (cpt > 0 ? cpt : 1);
    snprintf(buf, len, "%lld", (long long)n);
}

/* 123, 123_7, or 123_[5-9999%50] for an array's pending tasks. */
GET(get_arrayid)
{
    struct jobarray_rec a;
    if (sq_int(r, K_HET_JOB_ID) > 0) {   /* a heterogeneous job's component: J+k */
        snprintf(buf, len, "%lld+%lld", (long long)sq_int(r, K_HET_JOB_ID),
                 (long long)sq_int(r, K_HET_JOB_OFFSET));
        return;
    }
    sq_array(r, &a);
    jobarray_rec_id(&a, 1, buf, len);
}

/* A heterogeneous job's leader id and component offset; N/A for others. */
GET(get_het_id)
{
    int64_t id = sq_int(r, K_HET_JOB_ID);
    snprintf(buf, len, id > 0 ? "%lld" : "N/A", (long long)id);
}

GET(get_het_offset)
{
    snprintf(buf, len, sq_int(r, K_HET_JOB_ID) > 0 ? "%lld" : "N/A",
             (long long)sq_int(r, K_HET_JOB_OFFSET));
}

GET(get_arraybase)
{
    struct jobarray_rec a;
    sq_array(r, &a);
    snprintf(buf, len, "%lld", (long long)jobarray_rec_base(&a));
}

GET(get_arraytask)
{
    struct jobarray_rec a;
    sq_array(r, &a);
    jobarray_rec_task(&a, buf, len);
}

GET(get_dependency) { or_null(sq_str(r, K_DEPENDENCY), buf, len); }
GET(get_detail) { or_null(sq_str(r, K_REASON_DETAIL), buf, len); }

/* The share the job's usage counts for: --share, else account, else user. */
GET(get_share)
{
    const char *s = sq_str(r, K_SHARE), *acct = sq_str(r, K_ACCOUNT);
    snprintf(buf, len, "%s", *s ? s : *acct ? acct : sq_str(r, K_USER));
}

/* A job's reservation (--reservation), "(null)" without one. */
GET(get_resv) { or_null(sq_str(r, K_RESERVATION), buf, len); }
GET(get_any) { snprintf(buf, len, "*"); }
GET(get_one) { snprintf(buf, len, "1"); }
GET(get_cluster) { snprintf(buf, len, "%s", cmd_conf_load()->cluster_name); }

GET(get_group)
{
    struct group *g = getgrgid((gid_t)sq_int(r, K_GID));
    if (g)
        snprintf(buf, len, "%s", g->gr_name);
    else
        snprintf(buf, len, "%lld", (long long)sq_int(r, K_GID));
}

GET(get_exit)
{
    snprintf(buf, len, "%lld:%lld", (long long)sq_int(r, K_EXIT_CODE),
             (long long)sq_int(r, K_EXIT_SIGNAL));
}

/* Slurm's -O exit_code: the raw wait status (exit code << 8 | signal). */
GET(get_exit_raw)
{
    int64_t status = sq_int(r, K_EXIT_CODE) << 8 | sq_int(r, K_EXIT_SIGNAL);
    snprintf(buf, len, "%lld", (long long)status);
}

#define USED_KEYS (KB(K_START_TIME) | KB(K_END_TIME) | KB(K_SLURM_STATE))

/* X(-O name, -o letter, header, getter, keys): a field without a getter
 * shows its one key's value as it is.  As Slurm: %i (JobArrayID) shows
 * array tasks as 123_7, %A (JobID) the job's own unique id.  The queue
 * (Sluice's own) has no letter: %v is Slurm's, the reservation. */
#define SQ_FIELDS(X)                                                                     \
    X("JobArrayID", 'i', "JOBID", get_arrayid, SQ_ARRAY_KEYS)                            \
    X("JobID", 'A', "JOBID", NULL, KB(K_JOB_ID))                                         \
    X("ArrayJobID", 'F', "ARRAY_JOB_ID", get_arraybase, SQ_ARRAY_KEYS)                   \
    X("ArrayTaskID", 'K', "ARRAY_TASK_ID", get_arraytask, SQ_ARRAY_KEYS)                 \
    X("Name", 'j', "NAME", NULL, KB(K_NAME))                                             \
    X("UserName", 'u', "USER", NULL, KB(K_USER))                                         \
    X("UserID", 'U', "UID", NULL, KB(K_UID))                                             \
    X("GroupID", 'G', "GID", NULL, KB(K_GID))                                            \
    X("Account", 'a', "ACCOUNT", NULL, KB(K_ACCOUNT))                                    \
    X("Partition", 'P', "PARTITION", NULL, KB(K_PARTITION))                              \
    X("QOS", 'q', "QOS", NULL, KB(K_QOS))                                                \
    X("Queue", 0, "QUEUE", NULL, KB(K_QUEUE))                                            \
    X("Share", 0, "SHARE", get_share, KB(K_SHARE) | KB(K_ACCOUNT) | KB(K_USER))          \
    X("SchedPriority", 0, "SCHED_PRIORITY", NULL, KB(K_SCHED_PRIORITY))                  \
    X("Nice", 'y', "NICE", NULL, KB(K_NICE))                                             \
    X("ReasonDetail", 0, "EXPLANATION", get_detail, KB(K_REASON_DETAIL))                 \
    X("StateCompact", 't', "ST", get_code, KB(K_SLURM_STATE))                            \
    X("State", 'T', "STATE", NULL, KB(K_SLURM_STATE))                                    \
    X("Reason", 'r', "REASON", NULL, KB(K_REASON))                                       \
    X("ReasonList", 'R', "NODELIST(REASON)", get_reasonlist,                             \
      KB(K_NODES) | KB(K_SLURM_STATE) | KB(K_REASON))                                    \
    X("TimeUsed", 'M', "TIME", get_used, USED_KEYS)                                      \
    X("TimeLimit", 'l', "TIME_LIMIT", get_limit, KB(K_TIME_LIMIT))                       \
    X("TimeLeft", 'L', "TIME_LEFT", get_left, USED_KEYS | KB(K_TIME_LIMIT))              \
    X("EligibleTime", 0, "ELIGIBLE_TIME", get_eligible, KB(K_ELIGIBLE_TIME))             \
    X("NumNodes", 'D', "NODES", get_nodes, KB(K_NUM_NODES) | KB(K_NODES_MIN))            \
    X("NumCPUs", 'C', "CPUS", get_cpus,                                                  \
      KB(K_NUM_CPUS) | KB(K_NUM_TASKS) | KB(K_CPUS_PER_TASK))                            \
    X("NumTasks", 0, "TASKS", NULL, KB(K_NUM_TASKS))                                     \
    X("MinCpus", 'c', "MIN_CPUS", NULL, KB(K_CPUS_PER_TASK))                             \
    X("cpus-per-task", 0, "CPUS_PER_TASK", NULL, KB(K_CPUS_PER_TASK))                    \
    X("CPUsPerTask", 0, "CPUS_PER_TASK", NULL, KB(K_CPUS_PER_TASK))                      \
    X("NTPerNode", 0, "TASKS_PER_NODE", get_ntpernode, KB(K_NTASKS_PER_NODE))            \
    X("MaxNodes", 0, "MAX_NODES", get_maxnodes, KB(K_NODES_MAX))                         \
    X("Feature", 'f', "FEATURES", get_features, KB(K_CONSTRAINT))                        \
    X("ReqNodes", 'n', "REQ_NODES", NULL, KB(K_REQ_NODES))                               \
    X("ExcNodes", 'x', "EXC_NODES", NULL, KB(K_EXCLUDE))                                 \
    X("Contiguous", 'O', "CONTIGUOUS", get_zero, 0)                                      \
    X("SCT", 'z', "S:C:T", get_sct, 0)                                                   \
    X("Requeue", 0, "REQUEUE", get_requeue, KB(K_REQUEUE))                               \
    X("RestartCnt", 0, "RESTARTCNT", NULL, KB(K_RESTART_COUNT))                          \
    X("BatchHost", 'B', "EXEC_HOST", get_batchhost, KB(K_NODES))                         \
    X("MinMemory", 'm', "MIN_MEMORY", get_mem, KB(K_MEM_MB) | KB(K_MEM_PER_CPU))          \
    X("MinTmpDisk", 'd', "MIN_TMP_DISK", get_tmp, KB(K_TMP_MB))                          \
    X("Licenses", 'W', "LICENSES", get_licenses, KB(K_LICENSES))                         \
    X("tres-per-node", 'b', "TRES_PER_NODE", get_tres_per_node,                          \
      KB(K_GPUS_PER_NODE) | KB(K_GPU_TYPE))                                              \
    X("NodeList", 'N', "NODELIST", NULL, KB(K_NODES))                                    \
    X("SchedNodes", 'Y', "SCHEDNODES", get_null, 0)                                      \
    X("StartTime", 'S', "START_TIME", get_start,                                         \
      KB(K_SLURM_STATE) | KB(K_EXPECTED_START) | KB(K_START_TIME))                       \
    X("SubmitTime", 'V', "SUBMIT_TIME", get_submit, KB(K_SUBMIT_TIME))                   \
    X("EndTime", 'e', "END_TIME", get_end, USED_KEYS | KB(K_TIME_LIMIT))                 \
    X("WorkDir", 'Z', "WORK_DIR", NULL, KB(K_CWD))                                       \
    X("Priority", 'p', "PRIORITY", get_prio_frac, KB(K_PRIORITY))                        \
    X("PriorityLong", 'Q', "PRIORITY", NULL, KB(K_PRIORITY))                             \
    X("Command", 'o', "COMMAND", NULL, KB(K_COMMAND))                                    \
    X("Comment", 'k', "COMMENT", NULL, KB(K_COMMENT))                                    \
    X("Dependency", 'E', "DEPENDENCY", get_dependency, KB(K_DEPENDENCY))                 \
    X("OverSubscribe", 'h', "OVER_SUBSCRIBE", get_oversub, KB(K_EXCLUSIVE))              \
    X("ExitCode", 0, "EXIT_CODE", get_exit, KB(K_EXIT_CODE) | KB(K_EXIT_SIGNAL))         \
    X("STDOUT", 0, "STDOUT", NULL, KB(K_STDOUT))                                         \
    X("STDERR", 0, "STDERR", NULL, KB(K_STDERR))                                         \
    X("STDIN", 0, "STDIN", NULL, KB(K_STDIN))                                            \
    X("Reservation", 'v', "RESERVATION", get_resv, KB(K_RESERVATION))                     \
    X("GroupName", 'g', "GROUP", get_group, KB(K_GID))                                   \
    X("SocketsPerNode", 'H', "SOCKETS_PER_NODE", get_any, 0)                             \
    X("CoresPerSocket", 'I', "CORES_PER_SOCKET", get_any, 0)                             \
    X("ThreadsPerCore", 'J', "THREADS_PER_CORE", get_any, 0)                             \
    /* Slurm 22.05's -O names of %H %I %J and of the exit code. */                       \
    X("Sockets", 0, "SOCKETS_PER_NODE", get_any, 0)                                      \
    X("Cores", 0, "CORES_PER_SOCKET", get_any, 0)                                        \
    X("Threads", 0, "THREADS_PER_CORE", get_any, 0)                                      \
    X("exit_code", 0, "EXIT_CODE", get_exit_raw, KB(K_EXIT_CODE) | KB(K_EXIT_SIGNAL))    \
    X("HetJobID", 0, "HET_JOB_ID", get_het_id, KB(K_HET_JOB_ID))                         \
    X("HetJobOffset", 0, "HET_JOB_OFFSET", get_het_offset,                               \
      KB(K_HET_JOB_ID) | KB(K_HET_JOB_OFFSET))                                           \
    X("Gres", 0, "TRES_PER_NODE", get_tres_per_node, KB(K_GPUS_PER_NODE) | KB(K_GPU_TYPE)) \
    X("AllocNodes", 0, "ALLOC_NODES", NULL, KB(K_SUBMIT_HOST))                            \
    X("BatchFlag", 0, "BATCH_FLAG", get_one, 0)                                          \
    X("Cluster", 0, "CLUSTER", get_cluster, 0)

/* Slurm's fields that have no meaning here: refused by name, with why,
 * where jobfmt would only say "Invalid". */
static const struct {
    char letter;
    const char *name, *why;
} refused[] = {
    { 'w', "WCKey", "there are no WCKeys" },
    { 'X', "CoreSpec", "there is no core specialisation" },
    { 's', "SelectJobInfo", "there is no node selection plugin data" },
    { 0, "BurstBuffer", "there are no burst buffers" },
    { 0, "BurstBufferState", "there are no burst buffers" },
    { 0, "MCSLabel", "there are no MCS labels" },
    { 0, "ReqSwitch", "there is no switch topology" },
    { 0, "Wait4Switch", "there is no switch topology" },
    { 0, "CPUFreq", "CPU frequencies are not set" },
    { 0, "BoardsPerNode", "there are no boards" },
    { 0, "ClusterFeature", "there is no federation" },
    { 0, "Origin", "there is no federation" },
    { 0, "OriginRaw", "there is no federation" },
    { 0, "SiblingsActive", "there is no federation" },
    { 0, "SiblingsActiveRaw", "there is no federation" },
    { 0, "SiblingsViable", "there is no federation" },
    { 0, "SiblingsViableRaw", "there is no federation" },
    { 0, "DelayBoot", "nodes are not rebooted for jobs" },
    { 0, "Reboot", "nodes are not rebooted for jobs" },
    { 0, "Prefer", "--prefer does not exist here" },
    { 0, "PreemptTime", "jobs are not preempted" },
    { 0, "SuspendTime", "jobs are not suspended" },
    { 0, "ProfPreempt", "jobs are not preempted" },
    { 0, "SystemComment", "there is no system comment" },
};

/* Is name in err as a whole word (after '"' or ' ', before ':', '"' or the end)? */
static int names_field(const char *err, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strcasestr(err, name); p; p = strcasestr(p + 1, name))
        if (p > err && strchr("\" ", p[-1]) && strchr(":\"", p[n]))
            return 1;
    return 0;
}

const char *squeue_refused(const char *err, char *buf, size_t len)
{
    const char *pct = strstr(err, "'%");
    if (pct) {
        pct += 2;
        pct += strspn(pct, "-.0123456789");
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if ((pct && refused[i].letter && *pct == refused[i].letter) ||
            (!pct && names_field(err, refused[i].name))) {
            if (refused[i].letter)
                snprintf(buf, len, "%%%c (%s) is not supported by Sluice: %s", refused[i].letter,
                         refused[i].name, refused[i].why);
            else
                snprintf(buf, len, "%s is not supported by Sluice: %s", refused[i].name,
                         refused[i].why);
            return buf;
        }
    }
    return NULL;
}

/* What jobfmt parses formats against (no getters: squeue_cell fills cells). */
#define AS_FIELD(name, letter, header, get, keys) { name, letter, header, 20, 0, NULL, NULL, 0 },
const struct jobfmt_field squeue_fields[] = {
    SQ_FIELDS(AS_FIELD) { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

/* The same fields, in the same order: how each cell is made. */
typedef void (*sq_get_fn)(const struct sq_row *r, const void *ctx, char *buf, size_t len);
#define AS_GETTER(name, letter, header, get, keys) { get, keys },
static const struct { sq_get_fn get; sq_keys_t keys; } getters[] = { SQ_FIELDS(AS_GETTER) };

void squeue_cell(const struct jobfmt_field *fd, const void *row, const void *ctx, char *buf,
                 size_t len)
{
    size_t i = (size_t)(fd - squeue_fields);
    if (getters[i].get)
        getters[i].get(row, ctx, buf, len);
    else
        sq_text(row, (enum sq_key)__builtin_ctzll(getters[i].keys), buf, len);
}

sq_keys_t squeue_format_keys(const jobfmt_t *f)
{
    sq_keys_t keys = 0;
    for (size_t i = 0; i < jobfmt_ncols(f); i++)
        keys |= getters[jobfmt_col_field(f, i) - squeue_fields].keys;
    return keys;
}
