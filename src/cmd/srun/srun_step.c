/* srun_step.c: the step request (step_create's body) from the options and
 * the allocation, Slurm's defaults for what the options leave out, the
 * retries while the step does not fit yet, and --multi-prog's check. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "idset.h"
#include "jobspec.h"
#include "parse.h"
#include "srun.h"

static int spec_int(const jobopt_t *o, const char *key)
{
    return (int)json_integer_value(json_object_get(o->spec, key));
}

static int env_int(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : 0;
}

static int hostlist_size(const char *expr)
{
    hostlist_t *hl = expr ? hostlist_expand(expr, NULL) : NULL;
    int n = hl ? (int)hostlist_count(hl) : 0;
    hostlist_destroy(hl);
    return n;
}

/* Slurm's defaults: -n alone spreads over the fewest nodes (the
 * controller's choice); -N alone runs one task per node; neither runs the
 * allocation's task count (SLURM_NTASKS, inside a job that has one) or one
 * task on each of its nodes. */
static void step_shape(const jobopt_t *o, const struct srun_alloc_info *ai, int in_alloc,
                       int *ntasks, int *nnodes)
{
    int tpn = spec_int(o, "ntasks_per_node");
    int listed = hostlist_size(json_string_value(json_object_get(o->spec, "nodelist")));
    *ntasks = spec_int(o, "ntasks");
    *nnodes = spec_int(o, "nodes_min");
    if (!*nnodes && listed)
        *nnodes = listed;
    if (*ntasks)
        return;
    if (tpn) {
        if (!*nnodes)
            *nnodes = ai->num_nodes > 0 ? ai->num_nodes : 1;
        *ntasks = *nnodes * tpn;
    } else if (*nnodes) {
        *ntasks = *nnodes;
    } else if (in_alloc && env_int("SLURM_NTASKS") > 0) {
        *ntasks = env_int("SLURM_NTASKS");
    } else {
        *nnodes = ai->num_nodes > 0 ? ai->num_nodes : 1;
        *ntasks = *nnodes;
    }
}

/* As Slurm: a program without '/' is looked up in srun's own PATH, so that
 * every node runs the same file (the nodes share the file system) even
 * when --export leaves PATH out of the tasks' environment. */
static char *program_path(const char *prog, json_t *env)
{
    const char *path = getenv("PATH");
    if (!path)
        path = json_string_value(json_object_get(env, "PATH"));
    char *copy, *save = NULL, *found = NULL;
    if (strchr(prog, '/') || !path || !(copy = strdup(path)))
        return strdup(prog);
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *cand;
        if (asprintf(&cand, "%s/%s", *d ? d : ".", prog) < 0)
            break;
        if (access(cand, X_OK) == 0 && cand[0] == '/')
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found ? found : strdup(prog);
}

static void body_copy(json_t *body, const json_t *spec, const char *from, const char *to)
{
    json_t *v = json_object_get(spec, from);
    if (v)
        json_object_set(body, to, v);
}

json_t *step_body(jobopt_t *o, const struct srun_alloc_info *ai, int in_alloc, int argc,
                  char **argv, int idx, json_t *env, sl_error_t *e)
{
    int ntasks, nnodes, cpt = spec_int(o, "cpus_per_task");
    json_t *body, *args = json_array();
    char cwd[PATH_MAX], *prog;
    const char *name;

    if (idx >= argc) {
        json_decref(args);
        sl_errprintf(e, "No command given to execute.");
        return NULL;
    }
    /* A step takes GPUs from the job's (--gpus, --gpus-per-node,
     * --gpus-per-task, --gres); the options that size a job by its GPUs or
     * threads do not divide among steps, so they are refused, not ignored. */
    static const char *const job_only[] = { "cpus_per_gpu", "mem_per_gpu_mb",
                                            "threads_per_core" };
    for (size_t i = 0; in_alloc && i < sizeof(job_only) / sizeof(job_only[0]); i++) {
        if (json_object_get(o->spec, job_only[i])) {
            json_decref(args);
            sl_errprintf(e, "--cpus-per-gpu, --mem-per-gpu, --hint and --threads-per-core "
                            "apply to a job, not to a step inside an allocation: its steps "
                            "use the job's CPUs (a step's GPUs: --gpus, --gpus-per-node, "
                            "--gpus-per-task)");
            return NULL;
        }
    }
    if (in_alloc && json_object_get(o->spec, "min_cpus")) {
        json_decref(args);
        sl_errprintf(e, "--mincpus applies to a job, not to a step inside an allocation: its "
                        "steps use the job's CPUs (a step's: --ntasks, --cpus-per-task)");
        return NULL;
    }
    step_shape(o, ai, in_alloc, &ntasks, &nnodes);
    if (!cpt)
        cpt = env_int("SRUN_CPUS_PER_TASK");
    if (!cpt && in_alloc)
        cpt = env_int("SLURM_CPUS_PER_TASK");
    prog = jobopt_flag(o, "multi_prog") ? strdup(argv[idx]) : program_path(argv[idx], env);
    json_array_append_new(args, json_string(prog ? prog : argv[idx]));
    free(prog);
    for (int i = idx + 1; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    if (!getcwd(cwd, sizeof(cwd)))
        snprintf(cwd, sizeof(cwd), "/");
    if (!(name = json_string_value(json_object_get(o->spec, "name")))) {
        const char *slash = strrchr(argv[idx], '/');
        name = slash ? slash + 1 : argv[idx];
    }
    body = json_pack("{s:I, s:s, s:i, s:i, s:o, s:s}", "job_id", (json_int_t)ai->job_id,
                     "name", name, "ntasks", ntasks, "cpus_per_task", cpt > 0 ? cpt : 1,
                     "argv", args, "cwd",
                     json_string_value(json_object_get(o->spec, "cwd")) ?: cwd);
    if (!body) {
        sl_errprintf(e, "a value given is not valid UTF-8");
        return NULL;
    }
    if (nnodes)
        json_object_set_new(body, "nnodes", json_integer(nnodes));
    body_copy(body, o->spec, "ntasks_per_node", "ntasks_per_node");
    body_copy(body, o->spec, "mem_mb", "mem_mb");
    if (!json_object_get(body, "mem_mb") && spec_int(o, "mem_per_cpu_mb") > 0) {
        /* per node, as the step asks it: the CPUs of its fullest node */
        int n = nnodes > 0 ? nnodes : 1, per = (ntasks + n - 1) / n;
        json_object_set_new(body, "mem_mb", json_integer((json_int_t)per * (cpt > 0 ? cpt : 1)
                                                         * spec_int(o, "mem_per_cpu_mb")));
    }
    body_copy(body, o->spec, "nodelist", "nodelist");
    body_copy(body, o->spec, "exclude", "exclude");
    body_copy(body, o->spec, "exclusive", "exclusive");
    body_copy(body, o->spec, "time_limit", "time_limit");
    body_copy(body, o->local, "overlap", "overlap");
    body_copy(body, o->local, "mpi", "mpi");
    if (in_alloc) {
        body_copy(body, o->spec, "gpus", "gpus");
        body_copy(body, o->spec, "gpus_per_node", "gpus_per_node");
        body_copy(body, o->spec, "gpus_per_task", "gpus_per_task");
        body_copy(body, o->spec, "gpu_type", "gpu_type");
    } else {
        /* the new job holds exactly the step's GPUs: only the per-task
         * binding of --gpus-per-task is left to say */
        body_copy(body, o->spec, "gpus_per_task", "gpu_bind_per_task");
    }
    return body;
}

/* Sleep up to ms, or less when a signal that ends srun comes. */
static int step_pause(int sigfd, int ms)
{
    struct pollfd p = { sigfd, POLLIN, 0 };
    struct signalfd_siginfo si;
    if (sigfd < 0 || poll(&p, 1, ms) <= 0)
        return 0;
    if (read(sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return 0;
    return si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP ||
           si.ssi_signo == SIGQUIT;
}

json_t *step_create(json_t *body, int quiet, int sigfd, int *interrupted)
{
    int said = 0, delay = 200;
    *interrupted = 0;
    for (;;) {
        sl_error_t e;
        json_t *grant = cmd_try("step_create", json_incref(body), &e);
        const char *code = client_last_code(cmd_client());
        if (grant) {
            if (said && !quiet)
                fprintf(stderr, "srun: Step created for StepId=%lld.%lld\n",
                        (long long)cmd_int(body, "job_id"), (long long)cmd_int(grant, "step_id"));
            json_decref(body);
            return grant;
        }
        if (strcmp(code, "EAGAIN") != 0) {
            fprintf(stderr, "srun: error: Unable to create step for job %lld: %s\n",
                    (long long)cmd_int(body, "job_id"), e.text);
            json_decref(body);
            return NULL;
        }
        if (!said && !quiet) {
            if (strstr(e.text, "temporarily disabled"))
                fprintf(stderr, "srun: Job step creation temporarily disabled, retrying\n");
            else
                fprintf(stderr, "srun: Job step creation temporarily disabled, retrying (%s)\n",
                        e.text);
        }
        said = 1;
        if (step_pause(sigfd, delay)) {
            fprintf(stderr, "srun: Cancelled pending job step\n");
            *interrupted = 1;
            json_decref(body);
            return NULL;
        }
        delay = delay < 3000 ? delay * 2 : delay;
    }
}

/* Each line: RANKS PROGRAM [ARGS]; RANKS is '*' or a list of ranks and
 * ranges (0-3,5).  Every rank of the step must be named exactly once. */
int multiprog_check(const char *text, const char *path, int ntasks, sl_error_t *e)
{
    idset_t *seen = idset_create((uint32_t)ntasks);
    const char *p = text;
    int lineno = 0, star = 0, rc = 0;
    while (p && *p && rc == 0) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[4096], ranks[1024], prog[2048];
        lineno++;
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1),
                 p);
        p = end ? end + 1 : NULL;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        if (sscanf(s, "%1023s %2047s", ranks, prog) != 2) {
            rc = sl_errprintf(e, "Line %d of configuration file %s invalid", lineno, path);
            break;
        }
        if (strcmp(ranks, "*") == 0) {
            star = 1;
            continue;
        }
        uint32_t thr;
        sl_error_t ie;
        idset_t *ids = idset_decode(ranks, (uint32_t)ntasks, &thr, &ie);
        if (!ids) {
            rc = sl_errprintf(e, "Line %d of configuration file %s invalid: task ids '%s' "
                                 "(the step has %d tasks)", lineno, path, ranks, ntasks);
            break;
        }
        for (uint32_t id = idset_first(ids); id != IDSET_NONE; id = idset_next(ids, id))
            idset_set(seen, id);
        idset_destroy(ids);
    }
    if (rc == 0 && !star && (int)idset_count(seen) < ntasks) {
        idset_t *missing = idset_create((uint32_t)ntasks);
        for (int i = 0; i < ntasks; i++)
            if (!idset_test(seen, (uint32_t)i))
                idset_set(missing, (uint32_t)i);
        char *m = idset_encode(missing);
        rc = sl_errprintf(e, "Missing task ID(s) in configuration file %s: %s", path,
                          m ? m : "?");
        free(m);
        idset_destroy(missing);
    }
    idset_destroy(seen);
    return rc;
}
