/* squeue: show the jobs in the queue. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "jobarray.h"
#include "squeue.h"

#define FMT_DEFAULT "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"
#define FMT_LONG "%.18i %.9P %.9v %.8j %.8u %.8T %.10M %.9l %.6D %R"
#define FMT_START "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R"

struct squeue_opts {
    int noheader, json, longfmt, start, all_states, expand;
    const char *format, *Format, *name;
    json_t *req;    /* the job_list body */
    json_t *parts;  /* -p: partitions or queues, matched here */
};

static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'h' },   { "user", required_argument, NULL, 'u' },
    { "jobs", required_argument, NULL, 'j' }, { "states", required_argument, NULL, 't' },
    { "partition", required_argument, NULL, 'p' },
    { "format", required_argument, NULL, 'o' },
    { "Format", required_argument, NULL, 'O' }, { "name", required_argument, NULL, 'n' },
    { "long", no_argument, NULL, 'l' },       { "all", no_argument, NULL, 'a' },
    { "array", no_argument, NULL, 'r' },      { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, 'J' },       { "start", no_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'H' },       { "usage", no_argument, NULL, 'U' },
    { "version", no_argument, NULL, 'V' },    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: squeue [-h] [-l] [-r] [--start] [--json] [-j jobs] [-u users] [-t states]\n"
          "              [-p partitions] [-n names] [-o format | -O fields]\n"
          "\n"
          "  -h, --noheader         no headers on output\n"
          "  -j, --jobs=job(s)      comma separated list of jobs IDs to view\n"
          "  -l, --long             long report\n"
          "  -n, --name=job_name(s) comma separated list of job names to view\n"
          "  -o, --format=format    format specification (%.18i %.9P %j ...)\n"
          "  -O, --Format=format    format specification by field name (JobID,Name:20)\n"
          "  -p, --partition=part(s) comma separated list of partitions or queues to view\n"
          "  -r, --array            one line per array task (pending tasks too)\n"
          "      --start            print expected start times of pending jobs\n"
          "  -t, --states=state(s)  comma separated list of states to view, or all\n"
          "  -u, --user=user_name(s) comma separated list of users to view\n"
          "      --json             print the job records as JSON\n"
          "  -V, --version          output version information and exit\n"
          "      --help             show this help message\n", out);
}

/* Append the list in arg to req[key], creating the array on first use. */
static void req_list(json_t *req, const char *key, const char *arg,
                     int (*fn)(const char *, json_t *, sl_error_t *))
{
    sl_error_t e;
    json_t *arr = json_object_get(req, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(req, key, arr);
    }
    if (fn(arg, arr, &e) < 0)
        cmd_die("%s", e.text);
}

static void opts_parse(struct squeue_opts *o, int argc, char **argv)
{
    int c;
    sl_error_t e;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hu:j:t:p:o:O:n:larvV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->noheader = 1; break;
        case 'u': req_list(o->req, "users", optarg, cmd_list_users); break;
        case 'j': req_list(o->req, "job_ids", optarg, cmd_list_ids); break;
        case 'p':
            if (!o->parts)
                o->parts = json_array();
            cmd_list_strs(optarg, o->parts);
            break;
        case 't': {
            json_t *arr = json_object_get(o->req, "states");
            if (!arr)
                json_object_set_new(o->req, "states", arr = json_array());
            if (cmd_list_states(optarg, arr, &o->all_states, &e) < 0)
                cmd_die("%s", e.text);
            break;
        }
        case 'o': o->format = optarg; break;
        case 'O': o->Format = optarg; break;
        case 'n': o->name = optarg; break;
        case 'l': o->longfmt = 1; break;
        case 'J': o->json = 1; break;
        case 'S': o->start = 1; break;
        case 'r': o->expand = 1; break;
        case 'a': case 'v': break;   /* accepted; nothing to change */
        case 'H': usage(stdout); cmd_fini(); exit(0);
        case 'U': fputs("Usage: squeue [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        case ':': cmd_die("option '%s' requires an argument", argv[optind - 1]);
        default: cmd_die("unrecognized option '%s'\nTry \"squeue --help\" for more "
                         "information", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
    if (o->all_states)
        json_object_del(o->req, "states");
}

static jobfmt_t *opts_format(const struct squeue_opts *o)
{
    sl_error_t e;
    const char *env1 = getenv("SQUEUE_FORMAT"), *env2 = getenv("SQUEUE_FORMAT2");
    jobfmt_t *f;
    if (o->Format || (!o->format && env2 && !o->longfmt && !o->start))
        f = jobfmt_parse(o->Format ? o->Format : env2, JOBFMT_NAMES, squeue_fields, &e);
    else
        f = jobfmt_parse(o->format ? o->format
                         : o->start ? FMT_START
                         : o->longfmt ? FMT_LONG
                         : env1 ? env1 : FMT_DEFAULT,
                         JOBFMT_PERCENT, squeue_fields, &e);
    if (!f)
        cmd_die("%s", e.text);
    return f;
}

/* -p NAME: a job submitted to queue NAME, or one that may run (pending: any
 * partition of its queue) or runs in partition NAME. */
static int part_match(const json_t *parts, const json_t *j)
{
    json_t *v;
    size_t i;
    json_array_foreach(parts, i, v) {
        const char *want = json_string_value(v), *p = cmd_str(j, "partition");
        size_t n = strlen(want);
        if (!strcmp(want, cmd_str(j, "queue")))
            return 1;
        for (; *p; p += strcspn(p, ","), p += *p == ',')
            if (!strncmp(p, want, n) && (p[n] == ',' || !p[n]))
                return 1;
    }
    return 0;
}

/* The jobs to show: filters the controller does not apply (name, partition
 * or queue, --start's pending only) are applied here. */
static json_t *jobs_select(const struct squeue_opts *o, json_t *jobs)
{
    json_t *out = json_array(), *j, *names = json_array();
    size_t i;
    if (o->name)
        cmd_list_strs(o->name, names);
    json_array_foreach(jobs, i, j) {
        int keep = !o->start || strcmp(cmd_str(j, "slurm_state"), "PENDING") == 0;
        if (keep && o->parts)
            keep = part_match(o->parts, j);
        if (keep && o->name) {
            json_t *nm;
            size_t k;
            keep = 0;
            json_array_foreach(names, k, nm)
                keep |= strcmp(json_string_value(nm), cmd_str(j, "name")) == 0;
        }
        if (keep)
            json_array_append(out, j);
    }
    json_decref(names);
    return out;
}

struct print_ctx {
    jobfmt_t *f;
    struct squeue_ctx ctx;
};

static void print_row(const json_t *row, void *arg)
{
    struct print_ctx *p = arg;
    jobfmt_print_row(p->f, row, &p->ctx, stdout);
}

static void collect_row(const json_t *row, void *arg)
{
    json_array_append_new(arg, json_deep_copy(row));
}

struct start_row {
    json_t *row;
    size_t pos;     /* id order, for ties */
};

/* --start: soonest expected start first, jobs with none ("N/A") last; ties
 * keep id order. */
static int start_cmp(const void *a, const void *b)
{
    const struct start_row *x = a, *y = b;
    int64_t sx = cmd_int(x->row, "expected_start"), sy = cmd_int(y->row, "expected_start");
    if ((sx <= 0) != (sy <= 0))
        return (sx <= 0) - (sy <= 0);
    if (sx > 0 && sx != sy)
        return (sx > sy) - (sx < sy);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static void print_by_start(struct print_ctx *p, const json_t *jobs, int expand)
{
    json_t *rows = json_array();
    size_t n;
    struct start_row *v;
    jobarray_rows(jobs, expand, collect_row, rows);
    n = json_array_size(rows);
    if ((v = malloc((n ? n : 1) * sizeof(*v)))) {
        for (size_t i = 0; i < n; i++)
            v[i] = (struct start_row){ json_array_get(rows, i), i };
        qsort(v, n, sizeof(*v), start_cmp);
        for (size_t i = 0; i < n; i++)
            print_row(v[i].row, p);
        free(v);
    }
    json_decref(rows);
}

/* Rows in array (or job) id order, pending array tasks folded unless -r;
 * with --start, in order of expected start. */
static void print_table(const struct squeue_opts *o, jobfmt_t *f, json_t *jobs)
{
    struct print_ctx p = { f, { (int64_t)time(NULL) } };
    if (o->longfmt) {
        char when[64];
        time_t now = (time_t)p.ctx.now;
        strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", localtime(&now));
        printf("%s\n", when);
    }
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    if (o->start)
        print_by_start(&p, jobs, o->expand);
    else
        jobarray_rows(jobs, o->expand, print_row, &p);
}

/* Every record key the fields and the array folding read. */
static const char *const record_keys[] = {
    "job_id", "array_job_id", "array_task_id", "array_tasks_pending", "array_throttle",
    "array_tasks_cancelled", "slurm_state", "state", "reason", "reason_detail", "user", "uid",
    "gid", "name", "account", "partition", "queue", "qos", "share", "sched_priority", "nice",
    "nodes", "nodes_min", "num_nodes", "num_cpus", "num_tasks", "cpus_per_task", "mem_mb",
    "time_limit", "start_time", "submit_time", "end_time", "expected_start", "exit_code",
    "exit_signal", "exclusive", "dependency", "priority", "cwd", "command", "comment",
    "stdout", "stderr", "stdin", NULL,
};

int main(int argc, char **argv)
{
    struct squeue_opts o = { .req = json_object() };
    json_t *reply, *jobs, *ids;
    jobfmt_t *f;
    cmd_init("squeue");
    opts_parse(&o, argc, argv);
    f = opts_format(&o);   /* a bad format is reported before connecting */
    ids = json_object_get(o.req, "job_ids");
    /* Only what squeue reads: at 100,000 jobs full records would be ~100 MB. */
    if (!o.json) {
        json_t *keys = json_array();
        for (size_t i = 0; record_keys[i]; i++)
            json_array_append_new(keys, json_string(record_keys[i]));
        json_object_set_new(o.req, "fields", keys);
    }
    reply = cmd_call("job_list", json_incref(o.req));
    jobs = jobs_select(&o, json_object_get(reply, "jobs"));
    if (json_array_size(ids) == 1 && json_array_size(jobs) == 0 && !o.name && !o.parts)
        cmd_die("Invalid job id specified");
    if (o.json) {
        json_t *doc = json_pack("{s:O}", "jobs", jobs);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(doc);
    } else {
        print_table(&o, f, jobs);
    }
    jobfmt_destroy(f);
    json_decref(jobs);
    json_decref(reply);
    json_decref(o.req);
    json_decref(o.parts);
    cmd_fini();
    return 0;
}
