/* sshare: each fair-share identifier's weight, decayed usage and fair-share
 * factor, from the controller's share_list. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "sshare.h"

#define FIELDS_DEFAULT "Policy,Share,Weight,RawUsage,EffectvUsage,FairShare,RunCPUs,Pending"

struct sshare_opts {
    int noheader, json, parsable, trailing;
    const char *format;
    json_t *policies;   /* --policy names, or NULL for all */
};

static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'h' },   { "parsable", no_argument, NULL, 'p' },
    { "parsable2", no_argument, NULL, 'P' },  { "format", required_argument, NULL, 'o' },
    { "policy", required_argument, NULL, 'q' }, { "json", no_argument, NULL, 'J' },
    { "help", no_argument, NULL, 'H' },       { "usage", no_argument, NULL, 'U' },
    { "version", no_argument, NULL, 'V' },    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: sshare [-h] [-p|-P] [-o fields] [--policy=names] [--json]\n"
          "  -h, --noheader          no headers on output\n"
          "  -o, --format=fields     fields to show (Policy,Share,Weight,NormShares,RawUsage,\n"
          "                          EffectvUsage,FairShare,RunCPUs,Pending; Name%width)\n"
          "  -p, --parsable          '|' separated, with a trailing '|'\n"
          "  -P, --parsable2         '|' separated, no trailing '|'\n"
          "      --policy=names      shares of these scheduling policies only\n"
          "                          ((cluster) for the cluster-wide shares)\n"
          "      --json              print the share records as JSON\n"
          "  -V, --version           output version information and exit\n"
          "      --help              show this help message\n"
          "\n"
          "FairShare = 2^(-EffectvUsage / NormShares), NormShares = (1/Weight) divided by\n"
          "the sum of 1/Weight over the shares of the same policy.\n", out);
}

static void opts_parse(struct sshare_opts *o, int argc, char **argv)
{
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hpPo:V", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->noheader = 1; break;
        case 'p': o->parsable = o->trailing = 1; break;
        case 'P': o->parsable = 1; o->trailing = 0; break;
        case 'o': o->format = optarg; break;
        case 'q':
            if (!o->policies)
                o->policies = json_array();
            cmd_list_strs(optarg, o->policies);
            break;
        case 'J': o->json = 1; break;
        case 'H': usage(stdout); exit(0);
        case 'U': fputs("Usage: sshare [OPTIONS]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind < argc)
        cmd_die("unrecognized argument '%s'", argv[optind]);
}

static int policy_wanted(const struct sshare_opts *o, const json_t *rec)
{
    json_t *v;
    size_t i;
    if (!o->policies)
        return 1;
    json_array_foreach(o->policies, i, v)
        if (!strcmp(json_string_value(v), cmd_str(rec, "policy")))
            return 1;
    return 0;
}

static void print(const struct sshare_opts *o, jobfmt_t *f, json_t *shares)
{
    json_t *r;
    size_t i;
    if (o->json) {
        json_t *doc = json_pack("{s:O}", "shares", shares);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
        putchar('\n');
        json_decref(doc);
        return;
    }
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(shares, i, r)
        jobfmt_print_row(f, r, NULL, stdout);
}

int main(int argc, char **argv)
{
    struct sshare_opts o = { 0 };
    json_t *reply, *all, *shown = json_array(), *r;
    sl_error_t e;
    jobfmt_t *f;
    size_t i;
    cmd_init("sshare");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    if (!(f = jobfmt_parse(o.format ? o.format : FIELDS_DEFAULT, JOBFMT_SACCT, sshare_fields,
                           &e)))
        cmd_die("%s", e.text);
    if (o.parsable)
        jobfmt_set_parsable(f, "|", o.trailing);
    reply = cmd_call("share_list", json_object());
    all = json_object_get(reply, "shares");
    sshare_fairshare(all);   /* over every share of a policy, shown or not */
    json_array_foreach(all, i, r)
        if (policy_wanted(&o, r))
            json_array_append(shown, r);
    sshare_sort(shown);
    print(&o, f, shown);
    json_decref(shown);
    json_decref(reply);
    json_decref(o.policies);
    jobfmt_destroy(f);
    cmd_fini();
    return 0;
}
