/* scontrol_update.c: scontrol update, hold, release and requeue (queue and
 * policy updates are in scontrol_queue.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <time.h>

#include "cmdutil.h"
#include "depend.h"
#include "jobfmt.h"
#include "parse.h"
#include "scontrol.h"

/* One Key=Value word of an update: the body field it fills and how. */
struct update_key {
    const char *name;   /* as users type it, case-insensitive */
    const char *field;
    int (*set)(json_t *body, const char *field, const char *val, sl_error_t *e);
};

static int set_string(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    if (!*val && strcmp(field, "reason") != 0)
        return sl_errprintf(e, "Invalid %s value: empty", field);
    return json_object_set_new(body, field, json_string(val));
}

static int set_timelimit(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    int64_t secs;
    if (parse_time_limit(val, &secs, NULL) < 0)
        return sl_errprintf(e, "Invalid TimeLimit value: %s", val);
    return json_object_set_new(body, field, json_integer(secs));
}

static int set_jobid(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    char *end;
    long long n = strtoll(val, &end, 10);
    if (*end || n <= 0)
        return sl_errprintf(e, "Invalid job id specified");
    return json_object_set_new(body, field, json_integer(n));
}

/* "" clears the dependency; anything else must parse as sbatch -d does. */
static int set_dependency(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    struct deplist dl;
    if (*val && depend_parse(val, &dl, e) < 0)
        return -1;
    if (*val)
        depend_free(&dl);
    return json_object_set_new(body, field, json_string(val));
}

/* 0 lifts the limit. */
static int set_throttle(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    long n;
    if (parse_int(val, 0, INT32_MAX, "ArrayTaskThrottle", &n, NULL) < 0)
        return sl_errprintf(e, "Invalid ArrayTaskThrottle value: %s (a number, 0 for no "
                               "limit)", val);
    return json_object_set_new(body, field, json_integer(n));
}

/* StartTime= sets when a pending job may start (sbatch --begin). */
static int set_begin(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    int64_t t;
    if (parse_datetime(val, (int64_t)time(NULL), &t, e) < 0)
        return sl_errprefix(e, "Invalid StartTime value");
    return json_object_set_new(body, field, json_integer(t));
}

/* NumNodes=N or N-M. */
static int set_numnodes(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    char *end;
    long lo = strtol(val, &end, 10), hi = lo;
    if (*end == '-')
        hi = strtol(end + 1, &end, 10);
    if (*end || end == val || lo < 1 || hi < lo || hi > 100000)
        return sl_errprintf(e, "Invalid NumNodes value: %s (N or N-M, N >= 1)", val);
    json_object_set_new(body, "nodes_min", json_integer(lo));
    return json_object_set_new(body, "nodes_max", json_integer(hi));
}

static int set_count(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    long n;
    if (parse_int(val, 1, 10000000, field, &n, NULL) < 0)
        return sl_errprintf(e, "Invalid %s value: %s (a number >= 1)", field, val);
    return json_object_set_new(body, field, json_integer(n));
}

static int set_nice(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    long n;
    if (parse_int(val, -10000, 10000, "Nice", &n, NULL) < 0)
        return sl_errprintf(e, "Invalid Nice value: %s (from -10000 to 10000)", val);
    return json_object_set_new(body, field, json_integer(n));
}

/* MinMemoryNode=0 asks for each node's whole memory, as --mem=0. */
static int set_mem(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    uint64_t mb;
    if (parse_mem_mb(val, &mb, NULL) < 0 || mb > INT32_MAX ||
        (mb == 0 && strcmp(field, "mem_mb") != 0))
        return sl_errprintf(e, "Invalid memory value: %s", val);
    return json_object_set_new(body, field, json_integer((json_int_t)mb));
}

/* Text that may be emptied (Comment=, Features= clear it). */
static int set_text(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    return json_object_set_new(body, field, json_string(val));
}

/* OverSubscribe=YES|NO (also Shared=, and 1|0 as Slurm's): NO is --exclusive. */
static int set_oversub(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    int yes;
    if (!strcasecmp(val, "YES") || !strcasecmp(val, "OK") || !strcmp(val, "1"))
        yes = 1;
    else if (!strcasecmp(val, "NO") || !strcasecmp(val, "EXCLUSIVE") || !strcmp(val, "0"))
        yes = 0;
    else
        return sl_errprintf(e, "Invalid OverSubscribe value: %s (YES or NO)", val);
    return json_object_set_new(body, field, json_boolean(!yes));
}

static int set_bool(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    int b;
    if (parse_bool(val, &b, NULL) < 0)
        return sl_errprintf(e, "Invalid %s value: %s (0 or 1)", field, val);
    return json_object_set_new(body, field, json_boolean(b));
}

static int set_nodestate(json_t *body, const char *field, const char *val, sl_error_t *e)
{
    static const char *const states[] = { "DRAIN", "RESUME", "DOWN" };
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcasecmp(val, states[i]) == 0)
            return json_object_set_new(body, field, json_string(states[i]));
    if (strcasecmp(val, "UNDRAIN") == 0 || strcasecmp(val, "IDLE") == 0)
        return json_object_set_new(body, field, json_string("RESUME"));
    return sl_errprintf(e, "Invalid node state specified: %s (use DRAIN, RESUME or DOWN)",
                        val);
}

static const struct update_key job_keys[] = {
    { "JobId", "job_id", set_jobid },          { "TimeLimit", "time_limit", set_timelimit },
    { "Name", "name", set_string },            { "JobName", "name", set_string },
    { "Partition", "partition", set_string },
    { "Dependency", "dependency", set_dependency },
    { "ArrayTaskThrottle", "array_throttle", set_throttle },
    { "StartTime", "begin_time", set_begin },  { "BeginTime", "begin_time", set_begin },
    { "EligibleTime", "begin_time", set_begin },   /* Slurm's alias of StartTime */
    { "NumNodes", "nodes_min", set_numnodes }, { "ReqNodes", "nodes_min", set_numnodes },
    { "NumTasks", "ntasks", set_count },       { "ReqProcs", "ntasks", set_count },
    { "CPUsPerTask", "cpus_per_task", set_count },
    { "MinMemoryNode", "mem_mb", set_mem },    { "MinMemoryCPU", "mem_per_cpu_mb", set_mem },
    { "Features", "constraint", set_text },    { "Comment", "comment", set_text },
    { "Nice", "nice", set_nice },
    { "ReqNodeList", "nodelist", set_text },   { "ExcNodeList", "exclude", set_text },
    { "NodeList", "nodelist", set_text },      /* a pending job's: Slurm's ReqNodeList */
    { "OverSubscribe", "exclusive", set_oversub }, { "Shared", "exclusive", set_oversub },
    { "Requeue", "requeue", set_bool },        { "MailType", "mail_type", set_text },
    { "MailUser", "mail_user", set_text },     { "Account", "account", set_text },
};

/* Keys Slurm's scontrol update JobId= takes that Sluice does not change:
 * refused by name, with why, rather than "not supported" as if unknown. */
static const struct {
    const char *name, *why;
} job_keys_refused[] = {
    { "QOS", "a job's QOS is fixed at submission" },
    { "NumCPUs", "ask for NumTasks and CPUsPerTask instead" },
    { "MinCPUsNode", "ask for CPUsPerTask instead" },
    { "WorkDir", "the working directory is fixed at submission" },
    { "StdOut", "output files are fixed at submission" },
    { "StdErr", "output files are fixed at submission" },
    { "StdIn", "input files are fixed at submission" },
    { "Gres", "GPUs are fixed at submission" },
    { "TresPerNode", "GPUs are fixed at submission" },
    { "Licenses", "licenses are fixed at submission" },
    { "Reservation", "a job's reservation is fixed at submission" },
    { "Deadline", "a job's deadline is fixed at submission" },
    { "Priority", "use Nice (or scontrol hold/release) to change a job's order" },
    { "Contiguous", "nodes are never chosen contiguous here" },
    { "TimeMin", "--time-min is set at submission only here" },
    { "Reboot", "nodes are not rebooted for jobs" },
    { "WCKey", "there are no WCKeys here" },
    { "SiteFactor", "there is no site factor in priorities here" },
    { "CoreSpec", "core specialisation does not exist here" },
    { "ThreadSpec", "thread specialisation does not exist here" },
    { "Switches", "there is no switch topology here" },
    { "Geometry", "there is no geometry here" },
    { "MinTmpDiskNode", "--tmp is fixed at submission" },
    { "AdminComment", "there is no admin comment here" },
};

/* The refusal for a Slurm key Sluice does not update, or NULL. */
static const char *job_key_refused(const char *word, size_t klen)
{
    for (size_t k = 0; k < sizeof(job_keys_refused) / sizeof(job_keys_refused[0]); k++)
        if (strlen(job_keys_refused[k].name) == klen &&
            !strncasecmp(job_keys_refused[k].name, word, klen))
            return job_keys_refused[k].why;
    return NULL;
}

static const struct update_key node_keys[] = {
    { "NodeName", "nodes", set_string },       { "State", "state", set_nodestate },
    { "Reason", "reason", set_string },
};

/* Fill body from Key=Value words against a key table; exits on errors. */
static void update_parse(int argc, char **argv, const struct update_key *keys,
                         size_t nkeys, json_t *body)
{
    sl_error_t e;
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        size_t klen = eq ? (size_t)(eq - argv[i]) : 0, k;
        if (!eq)
            cmd_die("Invalid input: %s (expected Key=Value)", argv[i]);
        for (k = 0; k < nkeys; k++)
            if (strlen(keys[k].name) == klen && !strncasecmp(keys[k].name, argv[i], klen))
                break;
        if (k == nkeys && keys == job_keys && job_key_refused(argv[i], klen))
            cmd_die("Update of %.*s is not supported by Sluice: %s", (int)klen, argv[i],
                    job_key_refused(argv[i], klen));
        if (k == nkeys)
            cmd_die("Update of this parameter is not supported: %s", argv[i]);
        if (keys[k].set(body, keys[k].field, eq + 1, &e) < 0)
            cmd_die("%s", e.text);
    }
}

static int update_job(int argc, char **argv)
{
    sl_error_t e;
    json_t *body = json_object(), *reply;
    update_parse(argc, argv, job_keys, sizeof(job_keys) / sizeof(job_keys[0]), body);
    if (json_object_size(body) < 2)
        cmd_die("No changes specified");
    if (!(reply = cmd_try("job_update", body, &e)))
        cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT")
                          ? "Invalid job id specified" : e.text);
    json_decref(reply);
    return 0;
}

static int update_node(int argc, char **argv)
{
    sl_error_t e;
    json_t *body = json_object(), *reply;
    const char *state;
    update_parse(argc, argv, node_keys, sizeof(node_keys) / sizeof(node_keys[0]), body);
    state = json_string_value(json_object_get(body, "state"));
    if (!state)
        cmd_die("No node State specified (DRAIN, RESUME or DOWN)");
    if (strcmp(state, "RESUME") != 0 && !*cmd_str(body, "reason"))
        cmd_die("You must specify a reason when DOWNING or DRAINING a node. Request denied");
    if (!(reply = cmd_try("node_update", body, &e)))
        cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT")
                          ? "Invalid node name specified" : e.text);
    json_decref(reply);
    return 0;
}

int scontrol_update(const struct scontrol_opts *o, int argc, char **argv)
{
    if (argc < 1)
        cmd_die("update what? (JobId=ID, NodeName=NAME, QueueName=Q, PolicyName=P or "
                "ReservationName=R ...)");
    if (!strncasecmp(argv[0], "JobId=", 6))
        return update_job(argc, argv);
    if (!strncasecmp(argv[0], "NodeName=", 9))
        return update_node(argc, argv);
    if (!strncasecmp(argv[0], "QueueName=", 10))
        return scontrol_update_queue(argc, argv);
    if (!strncasecmp(argv[0], "ReservationName=", 16))
        return scontrol_resv_update(argc, argv);
    if (!strncasecmp(argv[0], "PartitionName=", 14))
        return scontrol_update_partition(argc, argv);
    if (!strncasecmp(argv[0], "PolicyName=", 11) ||
        !strncasecmp(argv[0], "SchedulingPolicyName=", 21))
        return scontrol_update_policy(argc, argv);
    cmd_die("Invalid input: %s (update starts with JobId=, NodeName=, PartitionName=, "
            "QueueName= or PolicyName=)", argv[0]);
}

/* hold, release and requeue: ids in one or several words, comma lists
 * allowed. */
static int hold_release(const char *op, int argc, char **argv)
{
    sl_error_t e;
    json_t *ids = json_array(), *reply, *err;
    size_t i;
    int rc = 0;
    for (int k = 0; k < argc; k++)
        if (cmd_list_ids(argv[k], ids, &e) < 0)
            cmd_die("Invalid job id specified");
    if (json_array_size(ids) == 0)
        cmd_die("Invalid job id specified");
    reply = cmd_call(op, json_pack("{s:o}", "job_ids", ids));
    json_array_foreach(json_object_get(reply, "errors"), i, err) {
        char id[64];
        jobfmt_value(json_object_get(err, "job_id"), id, sizeof(id));
        fprintf(stderr, "scontrol: error: Job %s: %s\n", id, cmd_str(err, "message"));
        rc = 1;
    }
    json_decref(reply);
    return rc;
}

int scontrol_hold(const struct scontrol_opts *o, int argc, char **argv)
{
    return hold_release("job_hold", argc, argv);
}

int scontrol_release(const struct scontrol_opts *o, int argc, char **argv)
{
    return hold_release("job_release", argc, argv);
}

int scontrol_requeue(const struct scontrol_opts *o, int argc, char **argv)
{
    return hold_release("job_requeue", argc, argv);
}
