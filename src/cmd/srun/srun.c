/* srun: run a parallel job step.  Inside an allocation (SLURM_JOB_ID set:
 * a batch job or salloc) it asks the controller for a step of it; outside
 * one it first gets an allocation of its own (an alloc_only job) and ends
 * it with the step.  Then it launches the step on each node's sluiced and
 * serves the tasks' I/O until they are done (srun.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobspec.h"
#include "srun.h"
#include "srun_io.h"

extern char **environ;

static int in_alloc;

/* Inside an allocation the job's own variables describe the job, not this
 * step: SLURM_JOB_NAME is the batch job's name, SLURM_MEM_PER_NODE its
 * memory (as Slurm, a step does not take them as -J and --mem). */
static const char *srun_getenv(const char *name)
{
    static const char *const job_only[] = { "SLURM_JOB_NAME", "SLURM_MEM_PER_NODE",
                                            "SLURM_MEM_PER_CPU", NULL };
    if (in_alloc)
        for (const char *const *k = job_only; *k; k++)
            if (strcmp(name, *k) == 0)
                return NULL;
    if (strcmp(name, "SLURM_EXPORT_ENV") == 0 && getenv("SRUN_EXPORT_ENV"))
        return getenv("SRUN_EXPORT_ENV");
    return getenv(name);
}

static int plugin_present(const char *type)
{
    conf_t *c = cmd_conf_try();
    char *dirs = c && c->plugin_dir ? strdup(c->plugin_dir) : NULL, *save = NULL;
    int found = 0;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/mpi_%s.so", d, type);
        found = access(path, R_OK) == 0;
    }
    free(dirs);
    return found;
}

/* --mpi=list, as Slurm prints it: the types this cluster has plugins for. */
static void mpi_list(void)
{
    printf("MPI plugin types are...\n\tnone\n");
    for (const char *const *t = jobopt_mpi_types(); *t; t++)
        if (strcmp(*t, "none") && strcmp(*t, "pmix_v4") && plugin_present(*t))
            printf("\t%s\n", *t);
    if (plugin_present("pmix"))
        printf("specific pmix plugin versions available: pmix_v4\n");
}

static int early_exit(const jobopt_t *o)
{
    const char *mpi = jobopt_str(o, "mpi");
    if (jobopt_flag(o, "help"))
        jobopt_help(o, stdout);
    else if (jobopt_flag(o, "usage"))
        jobopt_usage(o, stdout);
    else if (jobopt_flag(o, "version"))
        cmd_version();
    else if (mpi && strcmp(mpi, "list") == 0)
        mpi_list();
    else
        return 0;
    return 1;
}

static int usage_error(const char *text)
{
    fprintf(stderr, "srun: error: %s\n", text);
    if (!strncmp(text, "option ", 7) || !strncmp(text, "unrecognized option", 19) ||
        !strncmp(text, "invalid option", 14))
        fputs("Try \"srun --help\" for more information\n", stderr);
    return 1;
}

/* -i: "all", "none", a rank, or a file pattern (then the node reads it). */
static int stdin_task(const jobopt_t *o)
{
    const char *in = jobopt_str(o, "input");
    char *end;
    long v;
    if (!in)   /* from a terminal only in the foreground: in the background
                * reading it would stop srun (SIGTTIN), as Slurm avoids too */
        return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp() ? -2 : 0;
    if (!strcasecmp(in, "all"))
        return -1;
    if (!strcasecmp(in, "none"))
        return -2;
    v = strtol(in, &end, 10);
    return *end || v < 0 ? -3 : (int)v;
}

static int alloc_from_env(struct srun_alloc_info *ai)
{
    const char *id = getenv("SLURM_JOB_ID"), *nodes = getenv("SLURM_JOB_NODELIST");
    const char *nn = getenv("SLURM_JOB_NUM_NODES");
    if (!id || !*id)
        id = getenv("SLURM_JOBID");
    if (!nn)
        nn = getenv("SLURM_NNODES");
    if (!nodes)
        nodes = getenv("SLURM_NODELIST");
    if (!id || !*id)
        return -1;
    ai->job_id = strtoll(id, NULL, 10);
    ai->num_nodes = nn ? atoi(nn) : 0;
    snprintf(ai->nodes, sizeof(ai->nodes), "%s", nodes ? nodes : "");
    return ai->job_id > 0 ? 0 : -1;
}

/* --jobid=ID: a step in that running job, as from inside it. */
static int alloc_from_job(const char *id, struct srun_alloc_info *ai, sl_error_t *e)
{
    char *end;
    long long n = strtoll(id, &end, 10);
    if (end == id || *end || n <= 0)
        return sl_errprintf(e, "Invalid --jobid specification: '%s'", id);
    json_t *reply = cmd_try("job_show", json_pack("{s:I}", "job_id", (json_int_t)n), e);
    if (!reply)
        return -1;
    json_t *j = json_object_get(reply, "job");
    const char *st = cmd_str(j, "slurm_state");
    int rc = 0;
    if (strcmp(st, "RUNNING") != 0)
        rc = sl_errprintf(e, "Unable to create step for job %lld: Job is not running (%s)", n,
                          st);
    ai->job_id = n;
    ai->num_nodes = (int)cmd_int(j, "num_nodes");
    snprintf(ai->nodes, sizeof(ai->nodes), "%s", cmd_str(j, "nodes"));
    json_decref(reply);
    return rc;
}

char *multiprog_read(const char *path, sl_error_t *e)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *m;
    char buf[8192];
    size_t n;
    if (!f) {
        sl_errprintf(e, "Unable to open configuration file %s: %s", path, strerror(errno));
        return NULL;
    }
    if ((m = open_memstream(&text, &len))) {
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, m);
        fclose(m);
    }
    fclose(f);
    if (text && utf8_check(text, "the --multi-prog file", e)) {
        free(text);
        return NULL;
    }
    return text;
}

/* step_launch's body (doc/protocol.md), less the node. */
static json_t *launch_body(const jobopt_t *o, const json_t *grant, const json_t *step,
                           json_t *env, srun_io_t *io, int stdin_t, const char *mp_text)
{
    const char *out = jobopt_str(o, "output"), *err = jobopt_str(o, "error");
    const char *in = jobopt_str(o, "input");
    json_t *b = json_pack("{s:O, s:O, s:O, s:O, s:s, s:i, s:s, s:i, s:b, s:b, s:b}",
                          "cred", json_object_get(grant, "cred"),
                          "argv", json_object_get(step, "argv"), "env", env,
                          "cwd", json_object_get(step, "cwd"), "io_host", io_host(io),
                          "io_port", io_port(io), "io_key", io_key(io),
                          "stdin_task", stdin_t < -2 ? -2 : stdin_t,
                          "label", jobopt_flag(o, "label"),
                          "unbuffered", jobopt_flag(o, "unbuffered") || jobopt_flag(o, "pty"),
                          "kill_on_bad_exit", jobopt_flag(o, "kill_on_bad_exit"));
    if (!b)
        return NULL;
    if (out && strcasecmp(out, "none") != 0)
        json_object_set_new(b, "stdout", json_string(out));
    if (err || (out && strcasecmp(out, "none") != 0))   /* stderr follows -o, as Slurm */
        json_object_set_new(b, "stderr", json_string(err ? err : out));
    if (stdin_t == -3)
        json_object_set_new(b, "stdin", json_string(in));
    if (mp_text)
        json_object_set_new(b, "multi_prog", json_string(mp_text));
    /* Each node binds its tasks within the CPUs the grant gives it. */
    if (jobopt_str(o, "cpu_bind"))
        json_object_set_new(b, "cpu_bind", json_string(jobopt_str(o, "cpu_bind")));
    if (jobopt_str(o, "distribution"))
        json_object_set_new(b, "distribution", json_string(jobopt_str(o, "distribution")));
    return b;
}

static const char *step_state(const struct io_result *r)
{
    if (r->cancelled)
        return "CANCELLED";
    if (r->lost)
        return "NODE_FAIL";
    return r->exit_code ? "FAILED" : "COMPLETED";
}

static void step_end(int64_t job_id, int step_id, const struct io_result *r, int quiet)
{
    sl_error_t e;
    char code[32];
    /* A new connection: the controller may have restarted while the step ran. */
    json_t *body = json_pack("{s:I, s:i, s:i, s:i, s:s}", "job_id", (json_int_t)job_id,
                             "step_id", step_id, "exit_code", r->max_code & 0xff, "signal",
                             r->signal, "state", step_state(r));
    if (r->usage)
        json_object_set(body, "usage", r->usage);
    json_t *rep = alloc_call_fresh("step_complete", body, code, sizeof(code), &e);
    /* A step of a job that has ended is recorded with the job's end. */
    if (!rep && !quiet && strcmp(code, "EINVAL") != 0)
        fprintf(stderr, "srun: error: step_complete of StepId=%lld.%d: %s\n",
                (long long)job_id, step_id, e.text);
    json_decref(rep);
}

/* A component of a heterogeneous step, its step made: tell the parent its
 * layout, get the whole step's (for the launch: the MPI plugin's view). */
static json_t *het_layout(const struct het_link *h, const json_t *grant, int64_t job_id,
                          int step_id)
{
    json_t *mine = json_pack("{s:I, s:i, s:O, s:O}", "job_id", (json_int_t)job_id, "step_id",
                             step_id, "node_names", json_object_get(grant, "node_names"),
                             "tasks_per_node", json_object_get(grant, "tasks_per_node"));
    char *text = mine ? json_dumps(mine, JSON_COMPACT) : NULL;
    unsigned char *d = NULL;
    uint32_t type, seq, len;
    json_t *all = NULL;
    json_decref(mine);
    if (text && hetmsg_send(h->wfd, HETMSG_LAYOUT, 0, text, (uint32_t)strlen(text)) == 0 &&
        hetmsg_recv(h->rfd, &type, &seq, &d, &len) == 0 && type == HETMSG_LAYOUT)
        all = json_loadb((const char *)d, len, 0, NULL);
    free(text);
    free(d);
    return all;   /* NULL: another component failed (it said why) */
}

/* Run the step of body in the allocation: create, launch, serve.  Returns
 * srun's exit status; *r says how the tasks ended. */
static int step_run(const jobopt_t *o, json_t *body, json_t *env, int stdin_t,
                    const char *mp_text, int sigfd, const struct het_link *h,
                    struct io_result *r)
{
    struct io_opts opts = { jobopt_flag(o, "label"),
                            jobopt_flag(o, "unbuffered") || jobopt_flag(o, "pty"),
                            jobopt_flag(o, "kill_on_bad_exit"), jobopt_flag(o, "quiet"),
                            h ? h->offset : 0, h ? h->total : 0, h ? h->rfd : -1,
                            h ? h->wfd : -1,
                            (int)json_integer_value(json_object_get(o->local, "wait")),
                            stdin_t < -2 ? -2 : stdin_t, jobopt_flag(o, "pty") };
    int64_t job_id = cmd_int(body, "job_id");
    int interrupted, step_id;
    json_t *step = json_incref(body), *grant, *launch, *layout = NULL;
    sl_error_t e;
    srun_io_t *io;

    memset(r, 0, sizeof(*r));
    r->exit_code = r->max_code = 1;   /* until the tasks say otherwise */
    if (!(grant = step_create(body, opts.quiet, sigfd, &interrupted))) {
        json_decref(step);
        return 1;
    }
    step_id = (int)cmd_int(grant, "step_id");
    if (h && !(layout = het_layout(h, grant, job_id, step_id))) {
        /* called off: the step ends unlaunched */
    } else if (stdin_t >= (int)cmd_int(grant, "ntasks")) {
        fprintf(stderr, "srun: error: --input=%d: the step has no task %d\n", stdin_t, stdin_t);
    } else if (!(io = io_create(grant, job_id, step_id, &opts, sigfd, &e))) {
        fprintf(stderr, "srun: error: %s\n", e.text);
    } else {
        if (json_integer_value(json_object_get(o->local, "verbose")) > 0 && !opts.quiet)
            fprintf(stderr, "srun: StepId=%lld.%d: %lld tasks on nodes %s; I/O at %s:%d\n",
                    (long long)job_id, step_id, (long long)cmd_int(grant, "ntasks"),
                    cmd_str(grant, "nodes"), io_host(io), io_port(io));
        launch = launch_body(o, grant, step, env, io, stdin_t, mp_text);
        if (launch && h) {
            json_object_update_new(launch, json_pack("{s:i, s:i, s:i}", "het_task_offset",
                                                     (int)h->offset, "het_ntasks",
                                                     (int)h->total, "het_size", (int)h->size));
            json_object_update(launch, layout);
        }
        if (launch && launch_nodes(grant, launch, job_id, step_id) == 0)
            io_run(io, r);
        else if (h)   /* this part never ran: the others' end too, as one step */
            (void)hetmsg_send(h->wfd, HETMSG_KILL, 0, NULL, 0);
        r->usage = io_usage(io);
        json_decref(launch);
        io_destroy(io);
    }
    step_end(job_id, step_id, r, opts.quiet);
    json_decref(layout);
    json_decref(r->usage);
    r->usage = NULL;
    json_decref(grant);
    json_decref(step);
    return r->exit_code;
}

/* Outside any allocation: get one of the step's size (the options are the
 * job's), and fill ai from it. */
static int alloc_own(jobopt_t *o, const char *prog, struct srun_alloc_info *ai)
{
    json_t *spec = json_deep_copy(o->spec), *rep;
    const char *slash = strrchr(prog, '/');
    sl_error_t e;
    if (alloc_spec_place(spec, slash ? slash + 1 : prog, &e) < 0) {
        json_decref(spec);
        fprintf(stderr, "srun: error: %s\n", e.text);
        return -1;
    }
    if (!(rep = alloc_get(spec, "srun", jobopt_flag(o, "quiet"), &ai->job_id)))
        return -1;
    ai->num_nodes = (int)cmd_int(rep, "num_nodes");
    snprintf(ai->nodes, sizeof(ai->nodes), "%s", cmd_str(rep, "nodes"));
    json_decref(rep);
    return 0;
}

/* --pty asks the stepd for a pty through the step's environment, with the
 * variables Slurm's tasks see (SLURM_PTY_WIN_ROW/COL), and passes TERM
 * even under --export=NONE.  Without --pty, inherited ones are dropped. */
/* As Slurm's srun: SLURM_UMASK, its umask, which the step's tasks take;
 * SLURM_PRIO_PROCESS, its nice value; SRUN_DEBUG, its log level (info, 3,
 * +1 a -v, -1 with -Q); SLURM_DISTRIBUTION, -m when given. */
static void process_env(const jobopt_t *o, json_t *env)
{
    char buf[16];
    mode_t m = umask(0);
    json_int_t level = 3 + json_integer_value(json_object_get(o->local, "verbose")) -
                       (jobopt_flag(o, "quiet") ? 1 : 0);

    umask(m);
    snprintf(buf, sizeof(buf), "%04o", (unsigned)m);
    json_object_set_new(env, "SLURM_UMASK", json_string(buf));
    snprintf(buf, sizeof(buf), "%d", getpriority(PRIO_PROCESS, 0));
    json_object_set_new(env, "SLURM_PRIO_PROCESS", json_string(buf));
    snprintf(buf, sizeof(buf), "%lld", (long long)level);
    json_object_set_new(env, "SRUN_DEBUG", json_string(buf));
    if (jobopt_str(o, "distribution"))
        json_object_set_new(env, "SLURM_DISTRIBUTION", json_string(jobopt_str(o, "distribution")));
}

static int pty_env(const jobopt_t *o, json_t *env)
{
    uint16_t rows, cols;
    char buf[16];
    const char *term = getenv("TERM");

    json_object_del(env, "SLURM_PTY_WIN_ROW");
    json_object_del(env, "SLURM_PTY_WIN_COL");
    if (!jobopt_flag(o, "pty"))
        return 0;
    /* Slurm's check: task 0's files are the terminal. */
    if (jobopt_str(o, "input") || jobopt_str(o, "output") || jobopt_str(o, "error")) {
        fprintf(stderr, "srun: error: --error/--input/--output are incompatible with --pty\n");
        return 1;
    }
    (void)pty_winsize(&rows, &cols);
    snprintf(buf, sizeof(buf), "%u", (unsigned)rows);
    json_object_set_new(env, "SLURM_PTY_WIN_ROW", json_string(buf));
    snprintf(buf, sizeof(buf), "%u", (unsigned)cols);
    json_object_set_new(env, "SLURM_PTY_WIN_COL", json_string(buf));
    if (term && *term)
        json_object_set_new(env, "TERM", json_string(term));
    return 0;
}

/* Options, their checks, and the environment: all before any allocation,
 * so that bad input leaves nothing behind. */
static int srun_prepare(jobopt_t *o, int argc, char **argv, int *idx, json_t **env,
                        char **mp_text, int *stdin_t)
{
    sl_error_t e;
    if (jobopt_parse_env(o, srun_getenv, &e) < 0 ||
        (*idx = jobopt_parse_argv(o, argc, argv, &e)) < 0)
        return usage_error(e.text);
    jobopt_warn(o, stderr);
    if (*idx >= argc) {
        fprintf(stderr, "srun: fatal: No command given to execute.\n");
        return 1;
    }
    if ((*stdin_t = stdin_task(o)) == -3 && strchr(jobopt_str(o, "input"), '/') == NULL &&
        access(jobopt_str(o, "input"), R_OK) != 0 && !strchr(jobopt_str(o, "input"), '%')) {
        fprintf(stderr, "srun: error: Invalid --input specification: '%s' (all, none, a "
                "task number or a readable file)\n", jobopt_str(o, "input"));
        return 1;
    }
    if (jobopt_flag(o, "multi_prog") && !(*mp_text = multiprog_read(argv[*idx], &e))) {
        fprintf(stderr, "srun: error: %s\n", e.text);
        return 1;
    }
    if (!(*env = jobopt_env(o, environ, &e)) || jobopt_rlimits_env(o, cmd_conf_try(), *env, &e) < 0) {
        fprintf(stderr, "srun: error: %s\n", e.text);
        return 1;
    }
    if (jobopt_flag(o, "pty"))
        *stdin_t = 0;   /* even from the background: the shell needs its input */
    process_env(o, *env);
    return pty_env(o, *env);
}

/* A component of a heterogeneous step: say the task count, learn where
 * this component's ranks start.  0, or -1 when the parent called it off
 * (another component's request failed: it said why). */
static int het_handshake(struct het_link *h, int ntasks)
{
    uint32_t in[4];
    if (write(h->wfd, &ntasks, sizeof(ntasks)) != (ssize_t)sizeof(ntasks) ||
        read(h->rfd, in, sizeof(in)) != (ssize_t)sizeof(in))
        return -1;
    h->offset = in[0];
    h->total = in[1];
    h->size = in[2];
    h->step_min = in[3];
    return 0;
}

/* stdin_t of the whole heterogeneous step, as this component's: a rank of
 * another component reads nothing here; "all" reaches every component (the
 * parent gave each its own copy of srun's stdin). */
static int het_stdin(const struct het_link *h, int stdin_t, int ntasks)
{
    if (stdin_t < 0)
        return stdin_t;
    if ((uint32_t)stdin_t < h->offset || (uint32_t)stdin_t >= h->offset + (uint32_t)ntasks)
        return stdin_t >= (int)h->total ? stdin_t : -2;
    return stdin_t - (int)h->offset;
}

int srun_one(int argc, char **argv, struct het_link *h)
{
    jobopt_t *o = jobopt_create(JOBOPT_SRUN);
    struct srun_alloc_info ai = { 0, 0, "" };
    struct io_result r = { 0, 0, 0, 0, 0, NULL };
    json_t *env = NULL, *body;
    char *mp_text = NULL;
    int idx = 0, stdin_t = 0, rc = 1, sigfd, own = 0;
    sl_error_t e;

    in_alloc = alloc_from_env(&ai) == 0;
    if (!o || (rc = srun_prepare(o, argc, argv, &idx, &env, &mp_text, &stdin_t)) != 0)
        goto out;
    rc = 1;
    if (jobopt_str(o, "jobid")) {
        if (alloc_from_job(jobopt_str(o, "jobid"), &ai, &e) < 0) {
            fprintf(stderr, "srun: error: %s\n", e.text);
            goto out;
        }
        in_alloc = 1;
    }
    if ((sigfd = alloc_signalfd()) < 0) {
        fprintf(stderr, "srun: error: signalfd: %s\n", strerror(errno));
        goto out;
    }
    if (!(body = step_body(o, &ai, in_alloc, argc, argv, idx, env, &e))) {
        fprintf(stderr, "srun: error: %s\n", e.text);
    } else if (mp_text && !h && multiprog_check(mp_text, argv[idx], (int)cmd_int(body, "ntasks"),
                                          &e) < 0) {
        fprintf(stderr, "srun: error: %s\n", e.text);
        json_decref(body);
    } else if (h && het_handshake(h, (int)cmd_int(body, "ntasks")) < 0) {
        json_decref(body);   /* called off before any step was made */
    } else if (!in_alloc && alloc_own(o, argv[idx], &ai) < 0) {
        json_decref(body);   /* a refused or cancelled allocation is gone */
    } else {
        own = !in_alloc;
        if (h)
            stdin_t = het_stdin(h, stdin_t, (int)cmd_int(body, "ntasks"));
        json_object_set_new(body, "job_id", json_integer((json_int_t)ai.job_id));
        if (h && h->offset == 0)   /* component 0 of the step: the id for all */
            json_object_set_new(body, "het_first", json_true());
        else if (h)
            json_object_set_new(body, "step_id_min", json_integer(h->step_min));
        rc = step_run(o, body, env, stdin_t, mp_text, sigfd, h, &r);
        if (own)
            alloc_release(ai.job_id, r.max_code, r.signal, "srun");
    }
    close(sigfd);
out:
    free(mp_text);
    json_decref(env);
    jobopt_destroy(o);
    return rc;
}

int main(int argc, char **argv)
{
    jobopt_t *o = jobopt_create(JOBOPT_SRUN);
    struct srun_alloc_info ai = { 0, 0, "" };
    int idx, rc = 1;
    sl_error_t e;

    cmd_init("srun");
    if (!o)
        cmd_die("out of memory");
    in_alloc = alloc_from_env(&ai) == 0;
    if ((idx = jobopt_parse_argv(o, argc, argv, &e)) < 0) {
        rc = usage_error(e.text);
    } else if (early_exit(o)) {
        rc = 0;
    } else if (hetstep_wanted(o, argc, argv)) {
        rc = hetstep_run(argc, argv, in_alloc);
    } else if ((rc = srun_het_select(o, argc, argv, idx, in_alloc)) == 0) {
        /* again, every source in precedence order: --het-group may have
         * chosen another allocation */
        rc = srun_one(argc, argv, NULL);
    }
    jobopt_destroy(o);
    cmd_fini();
    return rc;
}
