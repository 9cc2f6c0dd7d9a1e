/* sacct: show finished (and running) jobs from the controller's database. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobarray.h"
#include "parse.h"
#include "sacct.h"

#define FIELDS_DEFAULT "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode"
#define FIELDS_BRIEF "JobID,State,ExitCode"
/* -l: Slurm 22.05's long list, in its order. */
#define FIELDS_LONG                                                                          \
    "JobID,JobIDRaw,JobName,Partition,MaxVMSize,MaxVMSizeNode,MaxVMSizeTask,AveVMSize,"      \
    "MaxRSS,MaxRSSNode,MaxRSSTask,AveRSS,MaxPages,MaxPagesNode,MaxPagesTask,AvePages,"       \
    "MinCPU,MinCPUNode,MinCPUTask,AveCPU,NTasks,AllocCPUS,Elapsed,State,ExitCode,"           \
    "AveCPUFreq,ReqCPUFreqMin,ReqCPUFreqMax,ReqCPUFreqGov,ReqMem,ConsumedEnergy,"            \
    "MaxDiskRead,MaxDiskReadNode,MaxDiskReadTask,AveDiskRead,MaxDiskWrite,MaxDiskWriteNode," \
    "MaxDiskWriteTask,AveDiskWrite,ReqTRES,AllocTRES,TresUsageInAve,TresUsageInMax,"         \
    "TresUsageInMaxNode,TresUsageInMaxTask,TresUsageInMin,TresUsageInMinNode,"               \
    "TresUsageInMinTask,TresUsageInTot,TresUsageOutMax,TresUsageOutMaxNode,"                 \
    "TresUsageOutMaxTask,TresUsageOutAve,TresUsageOutTot"

struct sacct_opts {
    int noheader, json /* 1 --json, 2 --yaml */, allusers, parsable, trailing, allocations;
    int truncate;         /* -T: times clipped to the -S/-E window */
    char units;           /* --units */
    const char *fields, *start, *end;
    const char *delimiter;    /* --delimiter: -p/-P's separator ("|") */
    json_t *req;          /* the acct_query body */
    json_t *partitions;   /* -r: filtered here */
    json_t *names;        /* --name: filtered here */
    json_t *accounts;     /* -A: filtered here */
    json_t *qos;          /* -q: filtered here */
    json_t *plain_ids;    /* -j items naming jobs */
    json_t *step_ids;     /* -j items naming steps (123.0, 123_4.batch): their rows only */
};

static const struct option long_opts[] = {
    { "jobs", required_argument, NULL, 'j' },  { "user", required_argument, NULL, 'u' },
    { "uid", required_argument, NULL, 'u' },   { "allusers", no_argument, NULL, 'a' },
    { "starttime", required_argument, NULL, 'S' },
    { "endtime", required_argument, NULL, 'E' },
    { "state", required_argument, NULL, 's' }, { "format", required_argument, NULL, 'o' },
    { "allocations", no_argument, NULL, 'X' }, { "parsable", no_argument, NULL, 'p' },
    { "parsable2", no_argument, NULL, 'P' },   { "noheader", no_argument, NULL, 'n' },
    { "brief", no_argument, NULL, 'b' },       { "partition", required_argument, NULL, 'r' },
    { "allclusters", no_argument, NULL, 'L' }, { "json", no_argument, NULL, 'J' },
    { "yaml", no_argument, NULL, 'Y' },
    { "duplicates", no_argument, NULL, 'D' },
    { "units", required_argument, NULL, 'N' }, { "name", required_argument, NULL, 'm' },
    { "delimiter", required_argument, NULL, 'd' }, { "noconvert", no_argument, NULL, 'c' },
    { "helpformat", no_argument, NULL, 'e' }, { "verbose", no_argument, NULL, 'v' },
    { "accounts", required_argument, NULL, 'A' },
    { "long", no_argument, NULL, 'l' },        { "truncate", no_argument, NULL, 'T' },
    { "qos", required_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },        { "usage", no_argument, NULL, 'U' },
    { "version", no_argument, NULL, 'V' },     { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: sacct [OPTIONS]\n"
          "  -A, --accounts=accounts jobs charged to these accounts only\n"
          "  -a, --allusers          jobs of all users (default: your own; root: all)\n"
          "  -b, --brief             JobID, State and ExitCode only\n"
          "  -D, --duplicates        every attempt of a retried or requeued job\n"
          "  -E, --endtime=time      jobs eligible before this time\n"
          "  -j, --jobs=job(.step)   comma separated list of job ids (123.0: that step only)\n"
          "  -l, --long              Slurm's long field list (fields not gathered here blank)\n"
          "      --name=names        jobs of these names (comma separated)\n"
          "  -n, --noheader          no headers on output\n"
          "  -o, --format=fields     fields to show (JobID,JobName%30,...)\n"
          "  -p, --parsable          '|' separated, with a trailing '|'\n"
          "  -P, --parsable2         '|' separated, no trailing '|'\n"
          "  -q, --qos=qos           jobs of these QOS only (no --qos given: normal)\n"
          "      --delimiter=chars   separator for -p and -P instead of '|'\n"
          "  -e, --helpformat        list the fields -o takes\n"
          "      --noconvert         memory fields in KiB, not scaled\n"
          "  -r, --partition=parts   jobs in these partitions only\n"
          "  -S, --starttime=time    jobs eligible after this time (default: today 00:00)\n"
          "  -s, --state=states      jobs in these states only\n"
          "  -T, --truncate          start and end times clipped to the -S/-E window\n"
          "  -u, --user=users        jobs of these users\n"
          "      --units=[KMGTP]     memory fields in this unit\n"
          "  -X, --allocations       allocations only: no step rows (ID.batch, ID.0, ...)\n"
          "      --json              the jobs as JSON (Slurm's shape)\n"
          "      --yaml              the same as YAML\n"
          "  -V, --version           output version information and exit\n"
          "  -h, --help              show this help message\n", out);
}

static json_t *req_array(json_t *req, const char *key)
{
    json_t *arr = json_object_get(req, key);
    if (!arr)
        json_object_set_new(req, key, arr = json_array());
    return arr;
}

/* -j 123,124.0,125_[1,3]: each item (commas inside brackets kept) is a job,
 * or JOB.STEP: then the job is asked for and only that step's row shown. */
static int opts_jobs(struct sacct_opts *o, const char *arg, sl_error_t *e)
{
    char *copy = strdup(arg), *item = copy;
    int depth = 0, rc = 0;
    for (char *p = copy;; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        if ((*p != ',' || depth > 0) && *p)
            continue;
        int end = !*p;
        *p = '\0';
        char *dot = strrchr(item, '.');
        if (*item) {
            json_array_append_new(dot ? o->step_ids : o->plain_ids, json_string(item));
            if (dot)
                *dot = '\0';
            if (dot && (!dot[1] || (strcmp(dot + 1, "batch") &&
                                    strspn(dot + 1, "0123456789") != strlen(dot + 1))))
                rc = sl_errprintf(e, "Invalid job step id %s.%s", item, dot + 1);
            if (rc == 0)
                rc = cmd_list_ids(item, req_array(o->req, "job_ids"), e);
        }
        if (end || rc < 0)
            break;
        item = p + 1;
    }
    free(copy);
    return rc;
}

static void opts_list(struct sacct_opts *o, int c, const char *arg)
{
    sl_error_t e;
    int rc = 0, all = 0;
    if (c == 'j')
        rc = opts_jobs(o, arg, &e);
    else if (c == 'u')
        rc = cmd_list_users(arg, req_array(o->req, "users"), &e);
    else if (c == 's')
        rc = cmd_list_states(arg, req_array(o->req, "states"), &all, &e);
    if (rc < 0)
        cmd_die("%s", e.text);
    if (all)
        json_object_del(o->req, "states");
}

/* --units, as Slurm: one letter of KMGTP, either case. */
static void opts_units(struct sacct_opts *o, const char *arg)
{
    const char *p = arg[0] && !arg[1] ? strchr("KMGTP", arg[0] & ~0x20) : NULL;
    if (!p)
        cmd_die("Invalid --units value '%s': one of K, M, G, T, P", arg);
    o->units = *p;
}

/* -e: the field names, four to a line, as Slurm's --helpformat. */
static void help_format(void)
{
    size_t i;
    for (i = 0; sacct_fields[i].name; i++)
        printf("%-20s%s", sacct_fields[i].name, i % 4 == 3 ? "\n" : "");
    if (i % 4)
        putchar('\n');
}

static void opts_parse(struct sacct_opts *o, int argc, char **argv)
{
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:u:aA:S:E:s:o:XpPnbr:LDehvVlTq:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'j': case 'u': case 's': opts_list(o, c, optarg); break;
        case 'a': o->allusers = 1; break;
        case 'S': o->start = optarg; break;
        case 'E': o->end = optarg; break;
        case 'o': o->fields = optarg; break;
        case 'p': o->parsable = 1; o->trailing = 1; break;
        case 'P': o->parsable = 1; o->trailing = 0; break;
        case 'n': o->noheader = 1; break;
        case 'b': o->fields = FIELDS_BRIEF; break;
        case 'l': o->fields = FIELDS_LONG; break;
        case 'T': o->truncate = 1; break;
        case 'q': cmd_list_strs(optarg, o->qos); break;
        case 'r': cmd_list_strs(optarg, o->partitions); break;
        case 'A': cmd_list_strs(optarg, o->accounts); break;
        case 'm': cmd_list_strs(optarg, o->names); break;
        case 'J': o->json = 1; break;
        case 'Y': o->json = 2; break;
        case 'D': json_object_set_new(o->req, "duplicates", json_true()); break;
        case 'X': o->allocations = 1; break;
        case 'N': opts_units(o, optarg); break;
        case 'c': o->units = 'K'; break;   /* --noconvert: KiB, as Slurm keeps them */
        case 'd': o->delimiter = optarg; break;
        case 'e': help_format(); exit(0);
        case 'L': break;   /* one cluster: nothing to change */
        case 'v': break;   /* accepted: nothing more to say */
        case 'h': usage(stdout); exit(0);
        case 'U': fputs("Usage: sacct [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
}

static int64_t today_midnight(int64_t now)
{
    time_t t = (time_t)now;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

/* The time window and whose jobs, with Slurm's defaults. */
static void opts_finish(struct sacct_opts *o, int64_t now)
{
    sl_error_t e;
    int64_t t;
    if (o->start) {
        if (parse_datetime(o->start, now, &t, &e) < 0)
            cmd_die("Invalid time specification (-S %s): %s", o->start, e.text);
        json_object_set_new(o->req, "start", json_integer(t));
    } else if (!json_object_get(o->req, "job_ids") && !json_object_get(o->req, "states")) {
        json_object_set_new(o->req, "start", json_integer(today_midnight(now)));
    }
    if (o->end) {
        if (parse_datetime(o->end, now, &t, &e) < 0)
            cmd_die("Invalid time specification (-E %s): %s", o->end, e.text);
        json_object_set_new(o->req, "end", json_integer(t));
    }
    if (!o->allusers && getuid() != 0 && !json_object_get(o->req, "users"))
        json_array_append_new(req_array(o->req, "users"), json_string(cmd_username()));
    if (o->allusers)
        json_object_del(o->req, "users");
    if (!o->allocations || json_array_size(o->step_ids))
        json_object_set_new(o->req, "steps", json_true());
}

/* A step as a row of the job table: the keys sacct's fields read.  As in
 * Slurm, a step row leaves User and Partition empty and shows the job's
 * account. */
static json_t *step_row(const json_t *job, const json_t *step)
{
    char id[96], raw[64];
    json_t *sid = json_object_get(step, "step_id");
    jobarray_id(job, 0, id, sizeof(id));
    size_t used = strlen(id);
    if (json_is_integer(sid)) {
        snprintf(id + used, sizeof(id) - used, ".%lld", (long long)json_integer_value(sid));
        snprintf(raw, sizeof(raw), "%lld.%lld", (long long)cmd_int(job, "job_id"),
                 (long long)json_integer_value(sid));
    } else {
        snprintf(id + used, sizeof(id) - used, ".%s", json_string_value(sid));
        snprintf(raw, sizeof(raw), "%lld.%s", (long long)cmd_int(job, "job_id"),
                 json_string_value(sid));
    }
    json_t *row = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?,"
                     " s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
                     "step_label", id, "job_id", raw, "name", json_object_get(step, "name"),
                     "account", json_object_get(job, "account"), "num_cpus",
                     json_object_get(step, "cpus"), "num_nodes",
                     json_object_get(step, "num_nodes"), "num_tasks",
                     json_object_get(step, "ntasks"), "nodes", json_object_get(step, "nodes"),
                     "slurm_state", json_object_get(step, "state"), "exit_code",
                     json_object_get(step, "exit_code"), "exit_signal",
                     json_object_get(step, "exit_signal"), "start_time",
                     json_object_get(step, "start_time"), "submit_time",
                     json_object_get(step, "start_time"), "eligible_time",
                     json_object_get(step, "start_time"), "end_time",
                     json_object_get(step, "end_time"), "uid", json_object_get(job, "uid"),
                     "gid", json_object_get(job, "gid"));
    json_t *u = json_object_get(step, "usage");
    if (row && json_is_object(u)) {
        json_object_set(row, "usage", u);
        json_object_set(row, "sum_user_us", json_object_get(u, "user_us"));
        json_object_set(row, "sum_sys_us", json_object_get(u, "sys_us"));
    }
    return row;
}

static json_t *jobs_filter(const struct sacct_opts *o, json_t *jobs)
{
    json_t *out = json_array(), *j, *p;
    size_t i, k;
    json_array_foreach(jobs, i, j) {
        int keep = json_array_size(o->partitions) == 0;
        json_array_foreach(o->partitions, k, p)
            keep |= strcmp(json_string_value(p), cmd_str(j, "partition")) == 0;
        int named = json_array_size(o->names) == 0;
        json_array_foreach(o->names, k, p)
            named |= strcmp(json_string_value(p), cmd_str(j, "name")) == 0;
        int charged = json_array_size(o->accounts) == 0;
        json_array_foreach(o->accounts, k, p)
            charged |= strcasecmp(json_string_value(p), cmd_str(j, "account")) == 0;
        int qos = json_array_size(o->qos) == 0;
        json_array_foreach(o->qos, k, p)   /* no --qos: Slurm's default QOS */
            qos |= strcasecmp(json_string_value(p),
                              *cmd_str(j, "qos") ? cmd_str(j, "qos") : "normal") == 0;
        if (keep && named && charged && qos)
            json_array_append(out, j);
    }
    return out;
}

static int in_list(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!strcmp(json_string_value(v), s))
            return 1;
    }
    return 0;
}

/* With -j JOB.STEP items, a job's own row shows only when it is named too. */
static int job_shown(const struct sacct_opts *o, const json_t *j)
{
    char label[96], raw[32], arr[32];
    if (!json_array_size(o->step_ids))
        return 1;
    jobarray_id(j, 0, label, sizeof(label));
    snprintf(raw, sizeof(raw), "%lld", (long long)cmd_int(j, "job_id"));
    snprintf(arr, sizeof(arr), "%lld", (long long)cmd_int(j, "array_job_id"));
    return in_list(o->plain_ids, label) || in_list(o->plain_ids, raw) ||
           in_list(o->plain_ids, arr);
}

static void print_table(const struct sacct_opts *o, jobfmt_t *f, json_t *jobs,
                        int64_t now)
{
    struct sacct_ctx ctx = { now, o->units };
    json_t *j;
    size_t i;
    if (o->parsable)
        jobfmt_set_parsable(f, o->delimiter ? o->delimiter : "|", o->trailing);
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(jobs, i, j) {
        json_t *st;
        size_t k;
        int whole = job_shown(o, j);
        sacct_usage_sum(j);
        if (whole)
            jobfmt_print_row(f, j, &ctx, stdout);
        json_array_foreach(json_object_get(j, "steps"), k, st) {
            json_t *row = step_row(j, st);
            if ((whole && !o->allocations) || in_list(o->step_ids, cmd_str(row, "step_label")) ||
                in_list(o->step_ids, cmd_str(row, "job_id")))
                jobfmt_print_row(f, row, &ctx, stdout);
            json_decref(row);
        }
    }
}

/* -T, as Slurm: a start before the window's start is shown as that start; an
 * end after the window's end (default now), or none yet, as that end. */
static void times_clip(json_t *r, int64_t lo, int64_t hi)
{
    int64_t start = cmd_int(r, "start_time"), end = cmd_int(r, "end_time");
    if (start <= 0)
        return;   /* never started: nothing to clip */
    if (lo > 0 && start < lo)
        json_object_set_new(r, "start_time", json_integer(lo));
    if (end <= 0 || end > hi)
        json_object_set_new(r, "end_time", json_integer(hi > start ? hi : start));
}

static void jobs_truncate(const struct sacct_opts *o, json_t *jobs, int64_t now)
{
    json_t *j, *st, *hi_v = json_object_get(o->req, "end");
    int64_t lo = cmd_int(o->req, "start"), hi = json_is_integer(hi_v) ? json_integer_value(hi_v)
                                                                       : now;
    size_t i, k;
    json_array_foreach(jobs, i, j) {
        times_clip(j, lo, hi);
        json_array_foreach(json_object_get(j, "steps"), k, st)
            times_clip(st, lo, hi);
    }
}

/* --json -X: no steps, as Slurm, but the derived exit code they make. */
static void json_drop_steps(json_t *jobs)
{
    json_t *j;
    size_t i;
    json_array_foreach(jobs, i, j) {
        int64_t code, sig;
        sacct_derived(j, &code, &sig);
        json_object_set_new(j, "derived_code", json_integer(code));
        json_object_set_new(j, "derived_signal", json_integer(sig));
        json_object_del(j, "steps");
    }
}

int main(int argc, char **argv)
{
    struct sacct_opts o = { .req = json_object(), .partitions = json_array(), .names = json_array(),
                            .accounts = json_array(), .qos = json_array(),
                            .plain_ids = json_array(), .step_ids = json_array() };
    int64_t now = (int64_t)time(NULL);
    json_t *reply, *jobs;
    jobfmt_t *f;
    sl_error_t e;
    cmd_init("sacct");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    opts_finish(&o, now);
    if (!(f = jobfmt_parse(o.fields ? o.fields : FIELDS_DEFAULT, JOBFMT_SACCT, sacct_fields,
                           &e)))
        cmd_die("%s", e.text);
    for (size_t i = 0; i < jobfmt_ncols(f); i++) {
        if (sacct_field_needs_steps(jobfmt_col_field(f, i)))
            json_object_set_new(o.req, "steps", json_true());
    }
    if (o.json)     /* Slurm's jobs carry their steps (none with -X, but their derived code) */
        json_object_set_new(o.req, "steps", json_true());
    reply = cmd_call("acct_query", json_incref(o.req));
    jobs = jobs_filter(&o, json_object_get(reply, "jobs"));
    if (o.truncate)
        jobs_truncate(&o, jobs, now);
    if (o.json && o.allocations)
        json_drop_steps(jobs);
    if (o.json) {
        sacct_json(jobs, now, o.json == 2);
    } else {
        print_table(&o, f, jobs, now);
    }
    jobfmt_destroy(f);
    json_decref(jobs);
    json_decref(reply);
    json_decref(o.req);
    json_decref(o.partitions);
    json_decref(o.accounts);
    json_decref(o.qos);
    json_decref(o.names);
    json_decref(o.plain_ids);
    json_decref(o.step_ids);
    cmd_fini();
    return 0;
}
