/* sprio: each pending job's priority and the weighted factors it is made
 * of, from the controller's prio_list. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "sprio.h"

#define FMT_DEFAULT "%.15i %9r %.10Y %.10A %.10F %.10J %.10P %.10N"
#define FMT_LONG "%.15i %9r %.9u %.10s %.10Y %.10A %.10F %.10J %.10P %.10N"
#define FMT_NORM "%.15i %9r %.12y %.10a %.10f %.10j %.10p %.10n"
#define FMT_NORM_LONG "%.15i %9r %.9u %.10s %.12y %.10a %.10f %.10j %.10p %.10n"

struct sprio_opts {
    int noheader, json, longfmt, norm, weights;
    const char *format;
    json_t *ids, *users;   /* -j, -u: NULL for all */
};

static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'h' },   { "jobs", required_argument, NULL, 'j' },
    { "user", required_argument, NULL, 'u' }, { "weights", no_argument, NULL, 'w' },
    { "norm", no_argument, NULL, 'n' },       { "long", no_argument, NULL, 'l' },
    { "format", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'J' },
    { "help", no_argument, NULL, 'H' },       { "usage", no_argument, NULL, 'U' },
    { "version", no_argument, NULL, 'V' },    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: sprio [-h] [-l] [-n] [-w] [-j jobs] [-u users] [-o format] [--json]\n"
          "  -h, --noheader          no headers on output\n"
          "  -j, --jobs=job(s)       comma separated list of jobs to show\n"
          "  -l, --long              also show the user and the share of each job\n"
          "  -n, --norm              normalized factors (0 to 1) instead of weighted\n"
          "  -o, --format=format     format specification (%.15i %9r %.10Y %.10A ...)\n"
          "  -u, --user=user(s)      comma separated list of users whose jobs to show\n"
          "  -w, --weights           show the configured weights only\n"
          "      --json              print the priority records as JSON\n"
          "  -V, --version           output version information and exit\n"
          "      --help              show this help message\n", out);
}

static json_t *list_add(json_t *arr, const char *arg,
                        int (*fn)(const char *, json_t *, sl_error_t *))
{
    sl_error_t e;
    if (!arr)
        arr = json_array();
    if (fn(arg, arr, &e) < 0)
        cmd_die("%s", e.text);
    return arr;
}

static void opts_parse(struct sprio_opts *o, int argc, char **argv)
{
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hj:u:wnlo:V", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->noheader = 1; break;
        case 'j': o->ids = list_add(o->ids, optarg, cmd_list_ids); break;
        case 'u': o->users = list_add(o->users, optarg, cmd_list_users); break;
        case 'w': o->weights = 1; break;
        case 'n': o->norm = 1; break;
        case 'l': o->longfmt = 1; break;
        case 'o': o->format = optarg; break;
        case 'J': o->json = 1; break;
        case 'H': usage(stdout); exit(0);
        case 'U': fputs("Usage: sprio [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
}

static jobfmt_t *opts_format(const struct sprio_opts *o)
{
    sl_error_t e;
    const char *spec = o->format ? o->format
                     : o->norm ? (o->longfmt ? FMT_NORM_LONG : FMT_NORM)
                     : o->longfmt ? FMT_LONG : FMT_DEFAULT;
    jobfmt_t *f = jobfmt_parse(spec, JOBFMT_PERCENT, sprio_fields, &e);
    if (!f)
        cmd_die("%s", e.text);
    return f;
}

/* -j: a job id, or the leading id of "123_4" (pending tasks are part of
 * their array's record). */
static int id_wanted(const json_t *ids, json_int_t id)
{
    json_t *v;
    size_t i;
    json_array_foreach(ids, i, v) {
        json_int_t want = json_is_integer(v) ? json_integer_value(v)
                                             : strtoll(json_string_value(v), NULL, 10);
        if (want == id)
            return 1;
    }
    return 0;
}

static int user_wanted(const json_t *users, const char *user)
{
    json_t *v;
    size_t i;
    json_array_foreach(users, i, v)
        if (strcmp(json_string_value(v), user) == 0)
            return 1;
    return 0;
}

static json_t *jobs_select(const struct sprio_opts *o, const json_t *jobs)
{
    json_t *out = json_array(), *j;
    size_t i;
    json_array_foreach(jobs, i, j) {
        if (o->ids && !id_wanted(o->ids, json_integer_value(json_object_get(j, "job_id"))))
            continue;
        if (o->users && !user_wanted(o->users, cmd_str(j, "user")))
            continue;
        json_array_append(out, j);
    }
    return out;
}

static void print_table(const struct sprio_opts *o, const json_t *reply, json_t *jobs)
{
    struct sprio_ctx ctx;
    jobfmt_t *f = opts_format(o);
    json_t *j;
    size_t i;
    sprio_ctx_init(&ctx, reply);
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    if (o->weights) {
        json_t *w = json_pack("{s:b}", "weights_row", 1);
        jobfmt_print_row(f, w, &ctx, stdout);
        json_decref(w);
    } else {
        json_array_foreach(jobs, i, j)
            jobfmt_print_row(f, j, &ctx, stdout);
    }
    jobfmt_destroy(f);
}

int main(int argc, char **argv)
{
    struct sprio_opts o = { 0 };
    json_t *reply, *jobs;
    cmd_init("sprio");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    jobfmt_destroy(opts_format(&o));   /* a bad format is reported before connecting */
    reply = cmd_call("prio_list", json_object());
    jobs = jobs_select(&o, json_object_get(reply, "jobs"));
    if (o.ids && json_array_size(jobs) == 0 && !o.weights && !o.json)
        fprintf(stderr, "sprio: Unable to find pending jobs matching the id(s) specified\n");
    if (o.json) {
        json_t *doc = json_pack("{s:O, s:O, s:O}", "priority_type",
                                json_object_get(reply, "priority_type"), "weights",
                                json_object_get(reply, "weights"), "jobs", jobs);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
        putchar('\n');
        json_decref(doc);
    } else {
        print_table(&o, reply, jobs);
    }
    json_decref(jobs);
    json_decref(reply);
    json_decref(o.ids);
    json_decref(o.users);
    cmd_fini();
    return 0;
}
