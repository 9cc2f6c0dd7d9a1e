/* scancel: cancel or signal jobs.  Selection and permission checks are the
 * controller's; this reports what it did per job. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "jobfmt.h"
#include "parse.h"

struct scancel_opts {
    int verbose, quiet, signal;
    json_t *req;    /* the job_cancel body */
    json_t *steps;  /* [job, step] of each JOBID.STEP given: one job_cancel each */
};

static const struct option long_opts[] = {
    { "user", required_argument, NULL, 'u' },  { "name", required_argument, NULL, 'n' },
    { "jobname", required_argument, NULL, 'n' }, { "me", no_argument, NULL, 'M' },
    { "state", required_argument, NULL, 't' }, { "states", required_argument, NULL, 't' },
    { "partition", required_argument, NULL, 'p' },
    { "signal", required_argument, NULL, 's' }, { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'Q' },       { "batch", no_argument, NULL, 'b' },
    { "full", no_argument, NULL, 'f' },        { "help", no_argument, NULL, 'H' },
    { "usage", no_argument, NULL, 'U' },       { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: scancel [OPTIONS] [job_id[_task | _[tasks] | .step]...]\n"
          "  job ids: 123 (a job, or a whole array), 123_7 (one array task),\n"
          "           '123_[1-3,9]' (some tasks; quote the brackets from the shell),\n"
          "           123.4 (one job step: srun's)\n"
          "  -n, --name=job_name     act only on jobs with this name\n"
          "  -p, --partition=part    act only on jobs in this partition\n"
          "  -Q, --quiet             disable warnings\n"
          "  -s, --signal=SIGNAL     signal to send to the jobs (they are not cancelled)\n"
          "  -t, --state=states      act only on jobs in these states\n"
          "  -u, --user=user_name    act only on jobs of this user\n"
          "      --me                act only on your own jobs (as -u $USER)\n"
          "  -v, --verbose           report each job acted on\n"
          "  -V, --version           output version information and exit\n"
          "      --help              show this help message\n", out);
}

static void opt_user(json_t *req, const char *arg)
{
    sl_error_t e;
    json_t *users = json_array();
    if (cmd_list_users(arg, users, &e) < 0)
        cmd_die("%s", e.text);
    if (json_array_size(users) != 1)
        cmd_die("Invalid user: %s", arg);
    json_object_set(req, "user", json_array_get(users, 0));
    json_decref(users);
}

static void opt_states(json_t *req, const char *arg)
{
    sl_error_t e;
    json_t *states = json_array();
    int all = 0;
    if (cmd_list_states(arg, states, &all, &e) < 0)
        cmd_die("%s", e.text);
    json_object_set_new(req, "states", states);
    if (all)
        json_object_del(req, "states");
}

/* JOBID.STEP: 1 when arg names a step (kept in o->steps), 0 otherwise. */
static int opt_step(struct scancel_opts *o, const char *arg)
{
    const char *dot = strchr(arg, '.');
    char *end;
    if (!dot)
        return 0;
    long long job = strtoll(arg, &end, 10), step = strtoll(dot + 1, NULL, 10);
    if (end != dot || job <= 0 || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
        cmd_die("Invalid job step id %s (JOBID.STEP, STEP a number)", arg);
    json_array_append_new(o->steps, json_pack("[I, I, s]", (json_int_t)job, (json_int_t)step,
                                              arg));
    return 1;
}

static void opts_parse(struct scancel_opts *o, int argc, char **argv)
{
    sl_error_t e;
    json_t *ids = json_array();
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":u:n:t:p:s:vQbfV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'u': opt_user(o->req, optarg); break;
        case 'M': opt_user(o->req, cmd_username()); break;
        case 'n': json_object_set_new(o->req, "name", json_string(optarg)); break;
        case 't': opt_states(o->req, optarg); break;
        case 'p': json_object_set_new(o->req, "partition", json_string(optarg)); break;
        case 's':
            if (parse_signal(optarg, &o->signal, &e) < 0 || o->signal <= 0)
                cmd_die("Invalid signal: %s", optarg);
            json_object_set_new(o->req, "signal", json_integer(o->signal));
            break;
        case 'v': o->verbose = 1; break;
        case 'Q': o->quiet = 1; break;
        case 'b': case 'f': break;   /* only the batch shell exists for now */
        case 'H': usage(stdout); exit(0);
        case 'U': fputs("Usage: scancel [OPTIONS] [job_id...]\n", stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
    for (int i = optind; i < argc; i++)
        if (!opt_step(o, argv[i]) && cmd_list_ids(argv[i], ids, &e) < 0)
            cmd_die("Invalid job id %s", argv[i]);
    if (json_array_size(ids))
        json_object_set(o->req, "job_ids", ids);
    json_decref(ids);
    if (json_array_size(o->steps) && (json_object_size(o->req) == 0 ||
                                      (json_object_size(o->req) == 1 &&
                                       json_object_get(o->req, "signal"))))
        return;     /* only steps */
    if (json_array_size(o->steps) && !json_object_get(o->req, "job_ids"))
        cmd_die("a job step (JOBID.STEP) cannot be combined with -u, -n, -t or -p");
    if (json_object_size(o->req) == 0 ||
        (json_object_size(o->req) == 1 && json_object_get(o->req, "signal")))
        cmd_die("No job identification provided");
}

static int report(const struct scancel_opts *o, const json_t *reply)
{
    json_t *v;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(reply, "done"), i, v) {
        char idbuf[64];
        jobfmt_value(v, idbuf, sizeof(idbuf));
        if (o->verbose && o->signal)
            fprintf(stderr, "scancel: Signal %d to job %s\n", o->signal, idbuf);
        else if (o->verbose)
            fprintf(stderr, "scancel: Terminating job %s\n", idbuf);
    }
    json_array_foreach(json_object_get(reply, "errors"), i, v) {
        json_t *id = json_object_get(v, "job_id");
        char idbuf[64];
        jobfmt_value(id, idbuf, sizeof(idbuf));
        if (json_object_get(v, "step"))
            snprintf(idbuf, sizeof(idbuf), "%s", cmd_str(v, "step"));
        fprintf(stderr, "scancel: error: %s job error on %s id %s: %s\n",
                o->signal ? "Signal" : "Kill", json_object_get(v, "step") ? "step" : "job",
                idbuf, cmd_str(v, "message"));
        rc = 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct scancel_opts o = { .req = json_object(), .steps = json_array() };
    json_t *reply, *st;
    size_t i;
    int rc = 0;
    cmd_init("scancel");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    json_array_foreach(o.steps, i, st) {
        json_t *body = json_pack("{s:[O], s:O}", "job_ids", json_array_get(st, 0), "step_id",
                                 json_array_get(st, 1));
        if (o.signal)
            json_object_set_new(body, "signal", json_integer(o.signal));
        reply = cmd_call("job_cancel", body);
        if (o.verbose && json_array_size(json_object_get(reply, "done")))
            fprintf(stderr, "scancel: %s step %s\n", o.signal ? "Signalling" : "Terminating",
                    json_string_value(json_array_get(st, 2)));
        json_t *errs = json_pack("{s:[], s:O}", "done", "errors", json_object_get(reply, "errors"));
        rc |= report(&o, errs);
        json_decref(errs);
        json_decref(reply);
    }
    if (json_object_get(o.req, "job_ids") || json_object_size(o.req) > (o.signal ? 1u : 0u)) {
        reply = cmd_call("job_cancel", json_incref(o.req));
        rc |= report(&o, reply);
        json_decref(reply);
    }
    json_decref(o.steps);
    json_decref(o.req);
    cmd_fini();
    return rc;
}
