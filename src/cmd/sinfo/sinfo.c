/* sinfo: show partitions and nodes.  Nodes fold into one line when every
 * field shown (other than counts and lists) is the same for them. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmdsort.h"
#include "cmdutil.h"
#include "hostlist.h"
#include "sinfo.h"

#define FMT_DEFAULT "%9P %.5a %.10l %.6D %.6t %N"
#define FMT_LONG "%9P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N"
#define FMT_NODES "%-10N %.6D %.9P %-6t"
#define FMT_NODES_LONG "%-10N %.6D %.9P %.11T %-4c %.8z %.6m %.8d %.6w %.8f %-20E"
#define FMT_REASONS "%-20E %-9u %-19H %N"
#define FMT_SUMMARIZE "%9P %.5a %.10l %.16F %N"

struct sinfo_opts {
    int noheader, node_mode, reasons, longfmt, queues, summarize, exact;
    int resv;           /* -T: the reservations instead */
    int responding;     /* -r 1: responding nodes only; -d -1: not responding only */
    int json;   /* 1 --json, 2 --yaml */
    int iterate;    /* -i: seconds between reports, 0: one report */
    struct cmd_sort sort;   /* -S (sort.keys NULL: partitions as configured) */
    const char *format, *Format;
    json_t *parts;      /* -p names, or NULL for all */
    hostlist_t *nodes;  /* -n names, or NULL for all */
    json_t *states;     /* -t state names, or NULL for all */
};

static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'h' },  { "Node", no_argument, NULL, 'N' },
    { "list-reasons", no_argument, NULL, 'R' }, { "long", no_argument, NULL, 'l' },
    { "format", required_argument, NULL, 'o' }, { "Format", required_argument, NULL, 'O' },
    { "partition", required_argument, NULL, 'p' },
    { "nodes", required_argument, NULL, 'n' }, { "all", no_argument, NULL, 'a' },
    { "states", required_argument, NULL, 't' }, { "responding", no_argument, NULL, 'r' },
    { "dead", no_argument, NULL, 'd' },
    { "verbose", no_argument, NULL, 'v' },   { "help", no_argument, NULL, 'H' },
    { "queues", no_argument, NULL, 'Q' },     { "summarize", no_argument, NULL, 's' },
    { "exact", no_argument, NULL, 'e' },      { "json", no_argument, NULL, 'J' },
    { "yaml", no_argument, NULL, 'Y' },       { "iterate", required_argument, NULL, 'i' },
    { "sort", required_argument, NULL, 'S' }, { "reservation", no_argument, NULL, 'T' },
    { "usage", no_argument, NULL, 'U' },     { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: sinfo [-ehNRlsQ] [--json|--yaml] [-p partitions] [-n nodes] [-o format | -O fields]\n"
          "  -e, --exact           group nodes only when their CPUs, memory... are the same\n"
          "  -h, --noheader        no headers on output\n"
          "  -i, --iterate=SECONDS the report again every SECONDS, until interrupted\n"
          "  -l, --long            long output: state names in full\n"
          "  -n, --nodes=NODES     report on these nodes only\n"
          "  -N, --Node            node-centric format\n"
          "  -o, --format=format   format specification (%P %a %l %D %t %N ...)\n"
          "  -O, --Format=fields   format by field name (Partition,NodeList:30)\n"
          "  -t, --states=STATES   nodes in these states only (idle, alloc, mix, drain,...)\n"
          "  -r, --responding      responding nodes only\n"
          "  -d, --dead            nodes not responding only\n"
          "  -p, --partition=PART  report on these partitions only (with -Q: the queues\n"
          "                        that feed them)\n"
          "  -Q, --queues          queue-centric format: priority, state, partitions, jobs\n"
          "  -R, --list-reasons    list reasons nodes are down or drained\n"
          "  -s, --summarize       report state summary only\n"
          "  -T, --reservation     the reservations: name, state, start, end, duration, nodes\n"
          "  -S, --sort=[+|-]letter[,...] rows in this order (the -o letters; #P: as configured)\n"
          "      --json            the nodes as JSON (Slurm's shape)\n"
          "      --yaml            the same as YAML\n"
          "  -V, --version         output version information and exit\n"
          "      --help            show this help message\n", out);
}

static void opts_parse(struct sinfo_opts *o, int argc, char **argv)
{
    sl_error_t e;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hNRlQseo:O:p:n:t:rdavVi:S:T", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->noheader = 1; break;
        case 'N': o->node_mode = 1; break;
        case 'R': o->reasons = 1; break;
        case 'l': o->longfmt = 1; break;
        case 'T': o->resv = 1; break;
        case 'i': o->iterate = cmd_iterate_parse(optarg); break;
        case 'S':
            if (cmd_sort_parse(&o->sort, optarg, sinfo_fields, 1, &e) < 0)
                cmd_die("%s", e.text);
            break;
        case 'Q': o->queues = 1; break;
        case 's': o->summarize = 1; break;
        case 'e': o->exact = 1; break;
        case 'J': o->json = 1; break;
        case 'Y': o->json = 2; break;
        case 'o': o->format = optarg; break;
        case 'O': o->Format = optarg; break;
        case 'p':
            if (!o->parts)
                o->parts = json_array();
            cmd_list_strs(optarg, o->parts);
            break;
        case 'n':
            if (!o->nodes)
                o->nodes = hostlist_create();
            if (hostlist_push(o->nodes, optarg, &e) < 0)
                cmd_die("Invalid node list: %s", e.text);
            break;
        case 't':
            if (!o->states)
                o->states = json_array();
            cmd_list_strs(optarg, o->states);
            break;
        case 'r': o->responding = 1; break;
        case 'd': o->responding = -1; break;
        case 'a': case 'v': break;
        case 'H': usage(stdout); exit(0);
        case 'U': fputs("Usage: sinfo [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
}

static jobfmt_t *opts_format(const struct sinfo_opts *o)
{
    sl_error_t e;
    jobfmt_t *f;
    if (o->Format)
        f = jobfmt_parse(o->Format, JOBFMT_NAMES, sinfo_fields, &e);
    else
        f = jobfmt_parse(o->format ? o->format
                         : o->summarize ? FMT_SUMMARIZE
                         : o->reasons ? FMT_REASONS
                         : o->node_mode ? (o->longfmt ? FMT_NODES_LONG : FMT_NODES)
                         : o->longfmt ? FMT_LONG : FMT_DEFAULT,
                         JOBFMT_PERCENT, sinfo_fields, &e);
    if (!f)
        cmd_die("%s", e.text);
    jobfmt_set_exact(f, o->exact);
    return f;
}

int sinfo_name_in(const json_t *names, const char *name)
{
    json_t *v;
    size_t i;
    json_array_foreach(names, i, v)
        if (strcmp(json_string_value(v), name) == 0)
            return 1;
    return 0;
}

static json_t *rec_find(const json_t *nodes, const char *name)
{
    json_t *n;
    size_t i;
    json_array_foreach(nodes, i, n)
        if (strcmp(cmd_str(n, "name"), name) == 0)
            return n;
    return NULL;
}

/* Add node n (of partition p) to rows: to the row with the same key, or a
 * new one.  keys parallels rows. */
static void rows_add(json_t *rows, json_t *keys, const jobfmt_t *f, json_t *p, json_t *n,
                     const char *extra)
{
    json_t *row = json_pack("{s:O,s:[O]}", "node", n, "nodes", n), *k, *fullkey;
    char *key;
    size_t i;
    if (p)
        json_object_set(row, "part", p);
    key = jobfmt_row_key(f, row, NULL);
    fullkey = json_sprintf("%s|%s", key ? key : "", extra);
    free(key);
    json_array_foreach(keys, i, k) {
        if (json_equal(k, fullkey)) {
            /* A node in several partitions shows once on a line without %P. */
            json_t *have = json_object_get(json_array_get(rows, i), "nodes"), *x;
            size_t m;
            int dup = 0;
            json_array_foreach(have, m, x) dup |= json_equal(x, n);
            if (!dup)
                json_array_append(have, n);
            json_decref(row);
            json_decref(fullkey);
            return;
        }
    }
    json_array_append_new(rows, row);
    json_array_append_new(keys, fullkey);
}

/* -R: nodes with a reason, whatever their partitions. */
static json_t *rows_reasons(const jobfmt_t *f, const json_t *nodes, const hostlist_t *sel)
{
    json_t *rows = json_array(), *keys = json_array(), *n;
    size_t i;
    json_array_foreach(nodes, i, n)
        if (*cmd_str(n, "reason") && (!sel || hostlist_find(sel, cmd_str(n, "name")) >= 0))
            rows_add(rows, keys, f, NULL, n, "");
    json_decref(keys);
    return rows;
}

/* -t: a node whose state, compact or long ("drain" also the draining and
 * drained), is one of those listed. */
static int state_selected(const struct sinfo_opts *o, const json_t *n)
{
    char shortst[64], longst[64];
    json_t *v;
    size_t i;
    int responding = !json_is_false(json_object_get(n, "responding"));
    if (o->responding && (o->responding > 0) != responding)
        return 0;
    if (!o->states)
        return 1;
    jobfmt_node_state(cmd_str(n, "state"), responding, 0, shortst, sizeof(shortst));
    jobfmt_node_state(cmd_str(n, "state"), responding, 1, longst, sizeof(longst));
    shortst[strcspn(shortst, "*~#%!$@^-+")] = longst[strcspn(longst, "*~#%!$@^-+")] = '\0';
    json_array_foreach(o->states, i, v) {
        const char *want = json_string_value(v);
        if (!strcasecmp(want, shortst) || !strcasecmp(want, longst) ||
            (!strcasecmp(want, "drain") && !strncasecmp(longst, "drain", 5)) ||
            (!strcasecmp(want, "no_respond") && !responding))
            return 1;
    }
    return 0;
}

static json_t *rows_build(const struct sinfo_opts *o, const jobfmt_t *f,
                          const json_t *parts, const json_t *nodes)
{
    json_t *rows = json_array(), *keys = json_array(), *p, *nm;
    size_t i, k;
    json_array_foreach(parts, i, p) {
        size_t before = json_array_size(rows);
        if (o->parts && !sinfo_name_in(o->parts, cmd_str(p, "name")))
            continue;
        json_array_foreach(json_object_get(p, "node_names"), k, nm) {
            json_t *n = rec_find(nodes, json_string_value(nm));
            if (!n || (o->nodes && hostlist_find(o->nodes, cmd_str(n, "name")) < 0) ||
                !state_selected(o, n))
                continue;
            /* -N shows each node on its own line. */
            rows_add(rows, keys, f, p, n, o->node_mode ? cmd_str(n, "name") : "");
        }
        if (json_array_size(rows) == before && !o->nodes && !o->node_mode)
            json_array_append_new(rows, json_pack("{s:O,s:[]}", "part", p, "nodes"));
    }
    json_decref(keys);
    return rows;
}

static int sinfo_queues_main(struct sinfo_opts *o)
{
    struct sinfo_queue_opts q = { o->noheader, o->longfmt, o->format, o->Format, o->parts };
    if (o->node_mode || o->reasons || o->nodes)
        cmd_die("--queues cannot be combined with -N, -R or -n");
    sinfo_queues(&q);
    json_decref(o->parts);
    cmd_fini();
    return 0;
}

static int sinfo_json_main(struct sinfo_opts *o)
{
    json_t *nreply;
    if (o->format || o->Format || o->node_mode || o->reasons || o->summarize || o->longfmt)
        cmd_die("--%s cannot be combined with -o, -O, -N, -R, -s or -l",
                o->json == 2 ? "yaml" : "json");
    nreply = cmd_call("node_list", json_object());
    sinfo_json(json_object_get(nreply, "nodes"), o->parts, o->nodes, o->json == 2);
    json_decref(nreply);
    json_decref(o->parts);
    hostlist_destroy(o->nodes);
    cmd_fini();
    return 0;
}

/* -S: the rows in its order (cmdsort.c), each key's value as printed. */
static json_t *rows_sort(const struct cmd_sort *s, json_t *rows)
{
    size_t n = json_array_size(rows), nk = jobfmt_ncols(s->keys);
    size_t *order = malloc((n + 1) * sizeof(*order));
    char (*vals)[CMD_SORT_VAL] = malloc((n * nk + 1) * sizeof(*vals));
    json_t *out = json_array();
    if (!order || !vals)
        cmd_die("out of memory");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < nk; k++) {
            const struct jobfmt_field *fd = jobfmt_col_field(s->keys, k);
            const json_t *row = json_array_get(rows, i);
            char *v = vals[i * nk + k];
            v[0] = '\0';
            if (fd->get)
                fd->get(row, NULL, v, CMD_SORT_VAL);
            else
                jobfmt_value(json_object_get(row, fd->key), v, CMD_SORT_VAL);
        }
    }
    cmd_sort_order(s, vals, n, order);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, json_array_get(rows, order[i]));
    free(vals);
    free(order);
    json_decref(rows);
    return out;
}

/* One report: ask the controller, print. */
static void sinfo_report(const struct sinfo_opts *o, const jobfmt_t *f)
{
    json_t *preply = cmd_call("part_list", json_object());
    json_t *nreply = cmd_call("node_list", json_object()), *rows, *r;
    size_t i;
    if (o->parts && json_array_size(o->parts) == 1 &&
        !rec_find(json_object_get(preply, "partitions"),
                   json_string_value(json_array_get(o->parts, 0))))
        cmd_die("Invalid partition name specified");
    rows = o->reasons ? rows_reasons(f, json_object_get(nreply, "nodes"), o->nodes)
                      : rows_build(o, f, json_object_get(preply, "partitions"),
                                   json_object_get(nreply, "nodes"));
    if (o->sort.keys)
        rows = rows_sort(&o->sort, rows);
    /* As Slurm's sinfo -l and -i: the time of the report first. */
    if (!o->noheader && (o->longfmt || o->iterate))
        cmd_print_date(stdout);
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(rows, i, r)
        jobfmt_print_row(f, r, NULL, stdout);
    fflush(stdout);
    json_decref(rows);
    json_decref(preply);
    json_decref(nreply);
}

int main(int argc, char **argv)
{
    struct sinfo_opts o = { 0 };
    jobfmt_t *f;
    cmd_init("sinfo");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    if (o.iterate && (o.queues || o.json))
        cmd_die("--iterate cannot be combined with --queues, --json or --yaml");
    if (o.resv && (o.queues || o.json))
        cmd_die("--reservation cannot be combined with --queues, --json or --yaml");
    if (o.queues)
        return sinfo_queues_main(&o);
    if (o.json)
        return sinfo_json_main(&o);
    f = opts_format(&o);
    for (;;) {   /* -i: again every o.iterate seconds, as Slurm, until killed */
        if (o.resv)
            sinfo_reservations(o.noheader);   /* as Slurm: the other options aside */
        else
            sinfo_report(&o, f);
        if (!o.iterate)
            break;
        cmd_iterate_wait(o.iterate);
    }
    json_decref(o.parts);
    json_decref(o.states);
    hostlist_destroy(o.nodes);
    cmd_sort_free(&o.sort);
    jobfmt_destroy(f);
    cmd_fini();
    return 0;
}
