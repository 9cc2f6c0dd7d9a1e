/* sbatch: submit a batch script.  The options come from jobopt (shared with
 * srun and salloc); this file reads the script, completes the job spec and
 * submits it. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobopt.h"
#include "hetsplit.h"
#include "jobspec.h"
#include "parse.h"
#include "sbatch.h"

extern char **environ;

/* As Slurm does for --wrap. */
#define WRAP_FMT "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n%s\n"

static char *script_read(const char *path, size_t *len, sl_error_t *e)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    char *text = NULL;
    FILE *m;
    char buf[8192];
    size_t n;
    *len = 0;
    if (!f) {
        sl_errprintf(e, "Unable to open file %s", path);
        return NULL;
    }
    if (!(m = open_memstream(&text, len))) {
        sl_errprintf(e, "out of memory");
    } else {
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, m);
        fclose(m);
        if (ferror(f)) {
            sl_errprintf(e, "Unable to read file %s", path ? path : "(stdin)");
            free(text);
            text = NULL;
        }
    }
    if (path)
        fclose(f);
    return text;
}

static long line_of(const char *text, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

/* The script travels as a JSON string: a NUL byte would cut it short and
 * bytes that are not UTF-8 cannot travel at all, so both are refused rather
 * than altered. */
static int script_check(const char *text, size_t len, sl_error_t *e)
{
    const char *nul = memchr(text, '\0', len);
    long bad;
    if (nul)
        return sl_errprintf(e, "script contains a NUL byte at offset %zu (line %ld)",
                            (size_t)(nul - text), line_of(text, (size_t)(nul - text)));
    if ((bad = utf8_invalid_at(text, len)) >= 0)
        return sl_errprintf(e, "script is not valid UTF-8 at line %ld (byte 0x%02X at offset "
                               "%ld): Sluice sends scripts as UTF-8 text and never alters "
                               "them; convert it (e.g. iconv -t UTF-8)",
                            line_of(text, (size_t)bad), (unsigned char)text[bad], bad);
    return 0;
}

static char *script_get(const jobopt_t *o, int argc, char **argv, int idx, sl_error_t *e)
{
    const char *wrap = jobopt_str(o, "wrap");
    char *text;
    if (wrap) {
        if (idx < argc) {
            sl_errprintf(e, "Script arguments not permitted with --wrap option");
            return NULL;
        }
        if (asprintf(&text, WRAP_FMT, wrap) < 0)
            text = NULL;
        return text;
    }
    size_t len;
    if (!(text = script_read(idx < argc ? argv[idx] : NULL, &len, e)))
        return NULL;
    if (script_check(text, len, e) < 0) {
        /* refused above */
    } else if (len == 0) {
        sl_errprintf(e, "Batch script is empty!");
    } else if (strncmp(text, "#!", 2) != 0) {
        sl_errprintf(e, "This does not look like a batch script. The first line must "
                        "start with #! followed by the path to an interpreter.");
    } else {
        return text;
    }
    free(text);
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int spec_env(jobopt_t *o, sl_error_t *e)
{
    json_t *env = jobopt_env(o, environ, e);
    if (!env)
        return -1;
    if (jobopt_rlimits_env(o, cmd_conf_try(), env, e) < 0) {
        json_decref(env);
        return -1;
    }
    /* As Slurm's sbatch: its nice value (the job's own is --nice), and
     * SLURM_GET_USER_ENV=1 when --export is given. */
    char prio[16];
    snprintf(prio, sizeof(prio), "%d", getpriority(PRIO_PROCESS, 0));
    json_object_set_new(env, "SLURM_PRIO_PROCESS", json_string(prio));
    if (jobopt_str(o, "export"))
        json_object_set_new(env, "SLURM_GET_USER_ENV", json_string("1"));
    /* -m: the steps' default, as Slurm's sbatch passes it to srun. */
    if (jobopt_str(o, "distribution"))
        json_object_set_new(env, "SLURM_DISTRIBUTION", json_string(jobopt_str(o, "distribution")));
    json_object_set_new(o->spec, "env", env);
    return 0;
}

static void spec_env_overrides(jobopt_t *o)
{
    const char *list = jobopt_str(o, "export");
    char *copy = list ? strdup(list) : NULL, *save = NULL;
    json_t *over = json_object();
    for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(over, it, json_string(eq + 1));
        }
    }
    free(copy);
    if (json_object_size(over))
        json_object_set_new(o->spec, "env_overrides", over);
    else
        json_decref(over);
}

/* Where the job is submitted from and runs: facts, not defaults, so they
 * are sent with a job definition too. */
static int spec_place(jobopt_t *o, char *cwd, size_t cwdlen, sl_error_t *e)
{
    json_t *spec = o->spec;
    char host[256];
    if (!getcwd(cwd, cwdlen))
        return sl_errprintf(e, "cannot get the current directory: %s", strerror(errno));
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    if (utf8_invalid_at(cwd, strlen(cwd)) >= 0) {
        char shown[300], what[340];
        text_escape(cwd, strlen(cwd), shown, sizeof(shown));
        snprintf(what, sizeof(what), "the working directory %s", shown);
        utf8_check(cwd, what, e);
        return -1;
    }
    if (utf8_check(host, "the host name", e))
        return -1;
    json_object_set_new(spec, "submit_dir", json_string(cwd));
    json_object_set_new(spec, "submit_host", json_string(host));
    const char *chdir_to = json_string_value(json_object_get(spec, "cwd"));
    if (!chdir_to) {
        json_object_set_new(spec, "cwd", json_string(cwd));
    } else if (chdir_to[0] != '/') {
        /* --chdir is relative to the submit directory, as in Slurm. */
        char abs[PATH_MAX * 2];
        snprintf(abs, sizeof(abs), "%s/%s", cwd, chdir_to);
        json_object_set_new(spec, "cwd", json_string(abs));
    }
    return 0;
}

/* Arguments after the script (or the command replacing a definition's). */
static int args_add(json_t *args, char **argv, int from, int argc, sl_error_t *e)
{
    for (int i = from; i < argc; i++) {
        char what[64];
        snprintf(what, sizeof(what), "script argument %d", i - from + 1);
        if (utf8_check(argv[i], what, e))
            return -1;
        json_array_append_new(args, json_string(argv[i]));
    }
    return 0;
}

/* What the options leave to the command: script, argv, environment,
 * directories, host and the default name. */
static int spec_complete(jobopt_t *o, const char *script, int argc, char **argv,
                         int idx, sl_error_t *e)
{
    json_t *spec = o->spec, *args = json_array();
    char cwd[PATH_MAX];
    if (spec_place(o, cwd, sizeof(cwd), e) < 0 || spec_env(o, e) < 0) {
        json_decref(args);
        return -1;
    }
    if (idx < argc && utf8_check(argv[idx], "the script's path", e)) {
        json_decref(args);
        return -1;
    }
    if (args_add(args, argv, idx + 1, argc, e) < 0) {
        json_decref(args);
        return -1;
    }
    json_object_set_new(spec, "script", json_string(script));
    json_object_set_new(spec, "argv", args);
    if (jobopt_str(o, "wrap")) {
        json_object_set_new(spec, "command", json_string("wrap"));
    } else if (idx < argc) {
        char abs[PATH_MAX * 2];
        if (argv[idx][0] == '/')
            snprintf(abs, sizeof(abs), "%s", argv[idx]);
        else
            snprintf(abs, sizeof(abs), "%s/%s", cwd, argv[idx]);
        json_object_set_new(spec, "command", json_string(abs));
    }
    if (!json_object_get(spec, "name"))
        json_object_set_new(spec, "name",
                            json_string(jobopt_str(o, "wrap") ? "wrap"
                                        : idx < argc ? base_name(argv[idx]) : "sbatch"));
    return 0;
}

/* With --job-definition the controller fills from the definition whatever
 * the submission leaves out, so only what the user gave is sent: no script,
 * no default name, and the environment only with --export.  Arguments after
 * the options replace the definition's command. */
static int spec_jobdef(jobopt_t *o, int argc, char **argv, int idx, sl_error_t *e)
{
    char cwd[PATH_MAX];
    if (jobopt_str(o, "wrap"))
        return sl_errprintf(e, "--wrap cannot be used with --job-definition (give the "
                               "command after the options instead)");
    if (spec_place(o, cwd, sizeof(cwd), e) < 0)
        return -1;
    /* The environment is the job's base, as for any job; VAR=value items of
     * --export are explicit and win over the definition's environment. */
    if (spec_env(o, e) < 0)
        return -1;
    spec_env_overrides(o);
    if (idx < argc) {
        json_t *cmd = json_array();
        if (args_add(cmd, argv, idx, argc, e) < 0) {
            json_decref(cmd);
            return -1;
        }
        json_object_set_new(o->spec, "command_override", cmd);
    }
    return 0;
}

/* Options that only print something: handled before any script is read. */
static int early_exit(const jobopt_t *o)
{
    if (jobopt_flag(o, "help"))
        jobopt_help(o, stdout);
    else if (jobopt_flag(o, "usage"))
        jobopt_usage(o, stdout);
    else if (jobopt_flag(o, "version"))
        cmd_version();
    else
        return 0;
    return 1;
}

static void test_only_report(const jobopt_t *o, const json_t *reply)
{
    char when[64];
    int64_t cpus = cmd_int(reply, "num_cpus");
    if (cpus <= 0) {   /* the reply may not carry it: estimate as requested */
        int64_t tasks = cmd_int(o->spec, "ntasks");
        int64_t cpt = cmd_int(o->spec, "cpus_per_task");
        cpus = (tasks > 0 ? tasks : 1) * (cpt > 0 ? cpt : 1);
    }
    format_datetime(cmd_int(reply, "start_time"), when, sizeof(when));
    fprintf(stderr, "%s: Job %lld to start at %s using %lld processors on nodes %s "
            "in partition %s\n", cmd_prog(), (long long)cmd_int(reply, "job_id"), when,
            (long long)cpus, cmd_str(reply, "nodes"), cmd_str(reply, "partition"));
}

static int submit(jobopt_t *o)
{
    sl_error_t e;
    if (jobspec_check(o->spec, &e) < 0) {   /* the controller checks too */
        fprintf(stderr, "sbatch: error: %s\n", e.text);
        return 1;
    }
    jobopt_warn(o, stderr);
    json_t *reply = cmd_call("job_submit", json_incref(o->spec));
    int64_t id = cmd_int(reply, "job_id");
    int rc = 0;
    if (jobopt_flag(o, "quiet"))
        ;   /* -Q: as Slurm, no job id (errors still go to stderr) */
    else if (json_is_true(json_object_get(o->spec, "test_only")))
        test_only_report(o, reply);
    else if (jobopt_flag(o, "parsable"))
        printf("%lld\n", (long long)id);
    else
        printf("Submitted batch job %lld\n", (long long)id);
    fflush(stdout);
    json_decref(reply);
    if (jobopt_flag(o, "wait") && !json_is_true(json_object_get(o->spec, "test_only")))
        rc = sbatch_wait(id);
    return rc;
}

/* A batch script, maybe heterogeneous: component 0 from the environment,
 * its script group and argv group; the others from theirs (sbatch_het.c). */
static int submit_script(jobopt_t *cli, jobopt_t *o, int argc, char **argv, int idx,
                         const int *starts, size_t nseg)
{
    sl_error_t e;
    char *script = script_get(cli, argc, argv, idx, &e), *part0 = NULL;
    size_t n = script ? hetsplit_script_count(script) : 1;
    int rc = 1;
    if (n < nseg)
        n = nseg;
    if (script && n > 1 && !(part0 = hetsplit_script_part(script, 0)))
        sl_errprintf(&e, "out of memory");
    if (!script || (n > 1 && !part0)
        || jobopt_load(o, n > 1 && nseg > 1 ? starts[1] : argc, argv, n > 1 ? part0 : script,
                       &e) < 0
        || spec_complete(o, script, argc, argv, idx, &e) < 0
        || (n > 1 && sbatch_het_add(o, argc, argv, starts, nseg, idx, script, n, &e) < 0))
        fprintf(stderr, "sbatch: error: %s\n", e.text);
    else {
        /* As Slurm's sbatch: -Q only from the command line; an #SBATCH -Q
         * does not hide the job id that the submitting tool reads. */
        json_object_set_new(o->local, "quiet", json_boolean(jobopt_flag(cli, "quiet")));
        rc = submit(o);
    }
    free(part0);
    free(script);
    return rc;
}

int main(int argc, char **argv)
{
    sl_error_t e;
    jobopt_t *cli = jobopt_create(JOBOPT_SBATCH), *o = jobopt_create(JOBOPT_SBATCH);
    int idx, rc = 1, starts[HETSPLIT_ARGV_MAX];
    size_t nseg = 1;
    cmd_init("sbatch");
    if (!cli || !o)
        cmd_die("out of memory");
    cmd_submit_line(o->spec, argc, argv);
    if (cmd_conf_try())   /* for the early --array check; the controller checks too */
        cli->max_array_size = o->max_array_size = cmd_conf_try()->max_array_size;
    /* The command line first alone: it names the script and may ask for
     * help; then every source in precedence order.  ":" words split it
     * into heterogeneous job components; the first group is sbatch's. */
    if ((idx = hetsplit_argv(JOBOPT_SBATCH, argc, argv, starts, HETSPLIT_ARGV_MAX, &nseg, &e)) < 0
        || jobopt_parse_argv(cli, nseg > 1 ? starts[1] : argc, argv, &e) < 0) {
        fprintf(stderr, "sbatch: error: %s\n", e.text);
        if (!strncmp(e.text, "option ", 7) || !strncmp(e.text, "unrecognized option", 19)
            || !strncmp(e.text, "invalid option", 14))   /* misused, not a bad value */
            fputs("Try \"sbatch --help\" for more information\n", stderr);
    } else if (early_exit(cli)) {
        rc = 0;
    } else if (json_object_get(cli->spec, "job_definition")) {
        if (nseg > 1)
            fprintf(stderr, "sbatch: error: --job-definition cannot be used with a "
                            "heterogeneous job\n");
        else if (jobopt_load(o, argc, argv, NULL, &e) < 0 || spec_jobdef(o, argc, argv, idx, &e) < 0)
            fprintf(stderr, "sbatch: error: %s\n", e.text);
        else
            rc = submit(o);
    } else {
        rc = submit_script(cli, o, argc, argv, idx, starts, nseg);
    }
    jobopt_destroy(cli);
    jobopt_destroy(o);
    cmd_fini();
    return rc;
}
