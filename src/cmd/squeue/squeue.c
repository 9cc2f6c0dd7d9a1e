/* squeue: show the jobs in the queue. */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "jobarray.h"
#include "squeue.h"

#define FMT_DEFAULT "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"
#define FMT_LONG "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R"
#define FMT_START "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R"


static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'h' },   { "user", required_argument, NULL, 'u' },
    { "jobs", required_argument, NULL, 'j' }, { "states", required_argument, NULL, 't' },
    { "partition", required_argument, NULL, 'p' },
    { "account", required_argument, NULL, 'A' },
    { "format", required_argument, NULL, 'o' },
    { "Format", required_argument, NULL, 'O' }, { "name", required_argument, NULL, 'n' },
    { "long", no_argument, NULL, 'l' },       { "all", no_argument, NULL, 'a' },
    { "array", no_argument, NULL, 'r' },      { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, 'J' },       { "yaml", no_argument, NULL, 'Y' },       { "start", no_argument, NULL, 'z' },
    { "steps", optional_argument, NULL, 's' }, { "me", no_argument, NULL, 'M' },
    { "nodelist", required_argument, NULL, 'w' }, { "sort", required_argument, NULL, 'S' },
    { "iterate", required_argument, NULL, 'i' }, { "qos", required_argument, NULL, 'q' },
    { "reservation", required_argument, NULL, 'R' },
    { "licenses", required_argument, NULL, 'L' },
    { "help", no_argument, NULL, 'H' },       { "usage", no_argument, NULL, 'U' },
    { "version", no_argument, NULL, 'V' },    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: squeue [-h] [-l] [-r] [--start] [--json|--yaml] [-j jobs] [-u users] [-t states]\n"
          "              [-p partitions] [-n names] [-o format | -O fields]\n"
          "\n"
          "  -A, --account=accounts comma separated list of accounts to view\n"
          "  -h, --noheader         no headers on output\n"
          "  -i, --iterate=seconds  the report again every seconds, until interrupted\n"
          "  -j, --jobs=job(s)      comma separated list of jobs IDs to view\n"
          "  -l, --long             long report\n"
          "  -L, --licenses=names   jobs asking for any of these licenses\n"
          "  -q, --qos=qos          jobs of these QOS (no --qos given: normal)\n"
          "  -R, --reservation=name jobs in this reservation\n"
          "  -n, --name=job_name(s) comma separated list of job names to view\n"
          "  -w, --nodelist=hosts   jobs on any of these nodes\n"
          "  -o, --format=format    format specification (%.18i %.9P %j ...)\n"
          "  -O, --Format=format    format specification by field name (JobID,Name:20)\n"
          "  -p, --partition=part(s) comma separated list of partitions or queues to view\n"
          "  -r, --array            one line per array task (pending tasks too)\n"
          "  -s, --steps[=steps]    running job steps (123.0, or a job's: 123) instead of jobs\n"
          "      --start            print expected start times of pending jobs\n"
          "  -t, --states=state(s)  comma separated list of states to view, or all\n"
          "  -u, --user=user_name(s) comma separated list of users to view\n"
          "      --me               equivalent to --user=<my username>\n"
          "      --json             the jobs as JSON (Slurm's shape)\n"
          "      --yaml             the same as YAML\n"
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
    while ((c = getopt_long(argc, argv, ":hu:j:t:p:A:o:O:n:w:S:larvVs::i:q:R:L:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->noheader = 1; break;
        case 'u': req_list(o->req, "users", optarg, cmd_list_users); break;
        case 'M': req_list(o->req, "users", cmd_username(), cmd_list_users); break;
        case 'j': req_list(o->req, "job_ids", optarg, cmd_list_ids); break;
        case 'A':
            if (!o->accounts)
                o->accounts = json_array();
            cmd_list_strs(optarg, o->accounts);
            break;
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
        case 'S':
            if (cmd_sort_parse(&o->sort, optarg, squeue_fields, 0, &e) < 0)
                cmd_die("%s", e.text);
            break;
        case 'w': {
            sl_error_t he;
            if (!o->nodes)
                o->nodes = hostlist_create();
            if (hostlist_push(o->nodes, optarg, &he) < 0)
                cmd_die("Invalid node list: %s", he.text);
            break;
        }
        case 'l': o->longfmt = 1; break;
        case 'i': o->iterate = cmd_iterate_parse(optarg); break;
        case 'q': cmd_list_strs(optarg, o->qos ? o->qos : (o->qos = json_array())); break;
        case 'R': o->resv = optarg; break;
        case 'L':
            cmd_list_strs(optarg, o->licenses ? o->licenses : (o->licenses = json_array()));
            break;
        case 'J': o->json = 1; break;
        case 'Y': o->json = 2; break;
        case 'z': o->start = 1; break;
        case 'r': o->expand = 1; break;
        case 's': o->steps = 1; o->step_list = optarg; break;
        case 'a': case 'v': break;   /* accepted; nothing to change */
        case 'H': usage(stdout); cmd_fini(); exit(0);
        case 'U': fputs("Usage: squeue [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
    if (o->all_states)   /* every state, the recently finished included */
        json_object_set_new(o->req, "states", json_pack("[s]", "all"));
    else if (!json_object_get(o->req, "states"))
        /* Without -t, Slurm's squeue shows the jobs not yet finished, with
         * or without -j: a finished job only with -t all or its state
         * named, so that `while [ -n "$(squeue -h -j ID)" ]` ends. */
        json_object_set_new(o->req, "states", json_pack("[s,s,s,s]", "PENDING", "CONFIGURING",
                                                        "RUNNING", "COMPLETING"));
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
    if (!f) {
        char why[256];
        cmd_die("%s", squeue_refused(e.text, why, sizeof(why)) ? why : e.text);
    }
    return f;
}

struct print_ctx {
    jobfmt_t *f;
    struct squeue_ctx ctx;
};

static void print_row(const struct sq_row *row, void *arg)
{
    struct print_ctx *p = arg;
    jobfmt_print_cells(p->f, squeue_cell, row, &p->ctx, stdout);
}

struct start_rows {
    struct sq_row *v;
    size_t n, cap;
};

static void collect_row(const struct sq_row *row, void *arg)
{
    struct start_rows *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        if (!(s->v = realloc(s->v, s->cap * sizeof(*s->v))))
            cmd_die("out of memory");
    }
    s->v[s->n++] = *row;
}

struct start_key {
    int64_t start;
    size_t pos;     /* id order, for ties */
};

/* --start: soonest expected start first, jobs with none ("N/A") last; ties
 * keep id order. */
static int start_cmp(const void *a, const void *b)
{
    const struct start_key *x = a, *y = b;
    int64_t sx = x->start, sy = y->start;
    if ((sx <= 0) != (sy <= 0))
        return (sx <= 0) - (sy <= 0);
    if (sx > 0 && sx != sy)
        return (sx > sy) - (sx < sy);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static void print_by_start(struct print_ctx *p, const struct sq_rows *rs, int expand)
{
    struct start_rows s = { NULL, 0, 0 };
    struct start_key *keys;
    sq_rows_each(rs, expand, collect_row, &s);
    if (!(keys = malloc((s.n + 1) * sizeof(*keys))))
        cmd_die("out of memory");
    for (size_t i = 0; i < s.n; i++)
        keys[i] = (struct start_key){ sq_int(&s.v[i], K_EXPECTED_START), i };
    qsort(keys, s.n, sizeof(*keys), start_cmp);
    for (size_t i = 0; i < s.n; i++)
        print_row(&s.v[keys[i].pos], p);
    free(keys);
    free(s.v);
}

/* -S: in its order (cmdsort.c); ties keep id order. */
static void print_sorted(const struct squeue_opts *o, struct print_ctx *p,
                         const struct sq_rows *rs)
{
    struct start_rows s = { NULL, 0, 0 };
    size_t nk = jobfmt_ncols(o->sort.keys);
    sq_rows_each(rs, o->expand, collect_row, &s);
    size_t *order = malloc((s.n + 1) * sizeof(*order));
    char (*vals)[CMD_SORT_VAL] = malloc((s.n * nk + 1) * sizeof(*vals));
    if (!order || !vals)
        cmd_die("out of memory");
    for (size_t i = 0; i < s.n; i++)
        for (size_t k = 0; k < nk; k++)
            squeue_cell(jobfmt_col_field(o->sort.keys, k), &s.v[i], &p->ctx, vals[i * nk + k],
                        CMD_SORT_VAL);
    cmd_sort_order(&o->sort, vals, s.n, order);
    for (size_t i = 0; i < s.n; i++)
        print_row(&s.v[order[i]], p);
    free(vals);
    free(order);
    free(s.v);
}

/* Rows in array (or job) id order, pending array tasks folded unless -r;
 * with --start, in order of expected start; with -S, in its order. */
static void print_table(const struct squeue_opts *o, jobfmt_t *f, const struct sq_rows *rs)
{
    struct print_ctx p = { f, { (int64_t)time(NULL) } };
    if (o->longfmt || (o->iterate && !o->noheader))
        cmd_print_date(stdout);
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    if (o->start)
        print_by_start(&p, rs, o->expand);
    else if (o->sort.keys)
        print_sorted(o, &p, rs);
    else
        sq_rows_each(rs, o->expand, print_row, &p);
}

/* The keys squeue reads: the format's, the array id's (every row is
 * ordered and folded by it), and the filters'. */
static sq_keys_t keys_needed(const struct squeue_opts *o, const jobfmt_t *f)
{
    sq_keys_t keys = squeue_format_keys(f) | SQ_ARRAY_KEYS;
    if (o->sort.keys)
        keys |= squeue_format_keys(o->sort.keys);
    if (o->name)
        keys |= KB(K_NAME);
    if (o->parts)
        keys |= KB(K_PARTITION) | KB(K_QUEUE);
    if (o->accounts)
        keys |= KB(K_ACCOUNT);
    if (o->qos)
        keys |= KB(K_QOS);
    if (o->resv)
        keys |= KB(K_RESERVATION);
    if (o->licenses)
        keys |= KB(K_LICENSES);
    if (o->start)
        keys |= KB(K_SLURM_STATE) | KB(K_EXPECTED_START);
    if (o->nodes)
        keys |= KB(K_NODES);
    return keys;
}

/* The controller says "Invalid job id specified" when the ids name no job
 * it knows; Slurm says so only for one id (slurm_load_job), several unknown
 * ones list nothing. */
static int unknown_ids(const struct squeue_opts *o)
{
    return !strcmp(client_last_code(cmd_client()), "ENOENT") &&
           json_array_size(json_object_get(o->req, "job_ids")) > 1;
}

/* Ask for those keys only, as columns; SLUICE_JOB_LIST=records asks for
 * records instead (the reply older controllers give; kept comparable). */
static size_t list_rows(const struct squeue_opts *o, sq_keys_t keys, struct sq_rows *rs)
{
    const char *mode = getenv("SLUICE_JOB_LIST");
    json_t *names = json_array();
    sl_error_t e;
    size_t body;
    for (int k = 0; k < K_COUNT; k++)
        if (keys & KB(k))
            json_array_append_new(names, json_string(sq_key_name((enum sq_key)k)));
    json_object_set_new(o->req, mode && !strcmp(mode, "records") ? "fields" : "columns",
                        names);
    body = client_call_tape(cmd_client(), "job_list", json_incref(o->req), &rs->tape, &e);
    if (body == JT_NONE && unknown_ids(o))
        return 0;
    if (body == JT_NONE || sq_rows_load(rs, body, keys, &e) < 0)
        cmd_die("%s", e.text);
    squeue_rows_select(o, rs);
    return rs->n;
}

/* One report: ask the controller, print, forget. */
static void squeue_report(struct squeue_opts *o, jobfmt_t *f)
{
    struct sq_rows rs = { { NULL, NULL, 0, 0 }, NULL, NULL, 0 };
    json_t *reply = NULL, *jobs;
    if (o->json) {
        sl_error_t e;
        reply = cmd_try("job_list", json_incref(o->req), &e);
        if (!reply && !unknown_ids(o))
            cmd_die("%s", e.text);
        jobs = squeue_json_select(o, json_object_get(reply, "jobs"));
        squeue_json(jobs, o->json == 2);
        json_decref(jobs);
    } else {
        list_rows(o, keys_needed(o, f), &rs);
        print_table(o, f, &rs);
    }
    fflush(stdout);
    sq_rows_free(&rs);
    json_decref(reply);
}

static void opts_free(struct squeue_opts *o)
{
    cmd_sort_free(&o->sort);
    json_decref(o->req);
    json_decref(o->parts);
    hostlist_destroy(o->nodes);
    json_decref(o->accounts);
    json_decref(o->qos);
    json_decref(o->licenses);
}

int main(int argc, char **argv)
{
    struct squeue_opts o = { .req = json_object() };
    static char outbuf[1 << 20];
    jobfmt_t *f;
    cmd_init("squeue");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    if (o.steps) {
        if (o.json || o.Format || o.start || o.longfmt)
            cmd_die("--steps takes -o formats only (not --json, --yaml, -O, --start or -l)");
        for (;;) {
            if (o.iterate && !o.noheader)
                cmd_print_date(stdout);
            json_t *req = json_deep_copy(o.req);   /* it adds --steps' jobs to it */
            squeue_steps(o.step_list, req, o.noheader, o.format);
            json_decref(req);
            if (!o.iterate)
                break;
            cmd_iterate_wait(o.iterate);
        }
        opts_free(&o);
        cmd_fini();
        return 0;
    }
    f = opts_format(&o);   /* a bad format is reported before connecting */
    /* 100,000 rows are a million small writes: buffer them in large
     * blocks and skip stdio's per-call locking (one thread). */
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    __fsetlocking(stdout, FSETLOCKING_BYCALLER);
    for (;;) {   /* -i: again every o.iterate seconds, as Slurm, until killed */
        squeue_report(&o, f);
        if (!o.iterate)
            break;
        cmd_iterate_wait(o.iterate);
    }
    jobfmt_destroy(f);
    opts_free(&o);
    cmd_fini();
    return 0;
}
