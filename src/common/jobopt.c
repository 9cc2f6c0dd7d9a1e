/* jobopt.c: the job option table and its parsers (see jobopt.h). */
#define _GNU_SOURCE
#include "jobopt.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hostlist.h"
#include "parse.h"

struct jobopt_def;
typedef int (*jobopt_setter)(jobopt_t *o, const struct jobopt_def *d,
                             const char *arg, sl_error_t *e);

enum jo_arg { JO_NONE = no_argument, JO_REQ = required_argument,
              JO_OPT = optional_argument };

#define JO_ALL (JOBOPT_SBATCH | JOBOPT_SRUN | JOBOPT_SALLOC)
#define JO_BATCH JOBOPT_SBATCH

struct jobopt_def {
    const char *name;       /* long name */
    int letter;             /* short option, 0 if none */
    enum jo_arg arg;
    unsigned cmds;          /* JOBOPT_* bits of the commands that accept it */
    jobopt_setter set;
    const char *field;      /* spec field (or o->local key when local) */
    int local;              /* field lives in o->local, not the job spec */
    const char *env;        /* input variable suffix: SBATCH_<env> */
    const char *metavar;    /* help: --name=<metavar> */
    const char *help;
};

/* getopt_long's val for long-only options: past every short letter. */
#define JO_LONG_BASE 0x100

static json_t *jo_target(jobopt_t *o, const struct jobopt_def *d)
{
    return d->local ? o->local : o->spec;
}

static int jo_invalid(const struct jobopt_def *d, const char *arg, sl_error_t *e)
{
    return sl_errprintf(e, "Invalid --%s specification: '%s'", d->name, arg ? arg : "");
}

static int set_str(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                   sl_error_t *e)
{
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    json_object_set_new(jo_target(o, d), d->field, json_string(arg));
    return 0;
}

/* Free text that may be empty (--comment=""). */
static int set_text(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                    sl_error_t *e)
{
    json_object_set_new(jo_target(o, d), d->field, json_string(arg ? arg : ""));
    return 0;
}

static int set_true(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                    sl_error_t *e)
{
    json_object_set_new(jo_target(o, d), d->field, json_true());
    return 0;
}

static int set_false(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                     sl_error_t *e)
{
    json_object_set_new(jo_target(o, d), d->field, json_false());
    return 0;
}

static int set_count(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                     sl_error_t *e)
{
    uint64_t v;
    if (!arg || parse_u64(arg, 1, INT32_MAX, d->name, &v, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(jo_target(o, d), d->field, json_integer((json_int_t)v));
    return 0;
}

static int set_time(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                    sl_error_t *e)
{
    int64_t secs;
    if (!arg || parse_time_limit(arg, &secs, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->spec, d->field, json_integer(secs));
    return 0;
}

/* --mem and --mem-per-cpu exclude each other; the later one wins. */
static int set_mem(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                   sl_error_t *e)
{
    uint64_t mb;
    if (!arg || parse_mem_mb(arg, &mb, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_del(o->spec, "mem_mb");
    json_object_del(o->spec, "mem_per_cpu_mb");
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)mb));
    return 0;
}

/* -N N or -N min-max. */
static int set_nodes(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                     sl_error_t *e)
{
    char buf[64];
    char *dash;
    uint64_t lo, hi;
    if (!arg || strlen(arg) >= sizeof(buf))
        return jo_invalid(d, arg, e);
    snprintf(buf, sizeof(buf), "%s", arg);
    dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    if (parse_u64(buf, 1, INT32_MAX, "nodes", &lo, NULL) < 0)
        return jo_invalid(d, arg, e);
    hi = lo;
    if (dash && parse_u64(dash + 1, lo, INT32_MAX, "nodes", &hi, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->spec, "nodes_min", json_integer((json_int_t)lo));
    json_object_set_new(o->spec, "nodes_max", json_integer((json_int_t)hi));
    return 0;
}

static int set_hostlist(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                        sl_error_t *e)
{
    sl_error_t err;
    hostlist_t *hl;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    if (!(hl = hostlist_expand(arg, &err)))
        return sl_errprintf(e, "Invalid --%s specification: '%s': %s", d->name, arg,
                            err.text);
    hostlist_destroy(hl);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

/* A relative --chdir is taken from where the command runs. */
static int set_chdir(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                     sl_error_t *e)
{
    char cwd[PATH_MAX];
    char *path;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    if (arg[0] == '/')
        return set_str(o, d, arg, e);
    if (!getcwd(cwd, sizeof(cwd)))
        return sl_errprintf(e, "cannot get the current directory for --chdir");
    if (asprintf(&path, "%s/%s", cwd, arg) < 0)
        return sl_errprintf(e, "out of memory");
    json_object_set_new(o->spec, d->field, json_string(path));
    free(path);
    return 0;
}

static int set_open_mode(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                         sl_error_t *e)
{
    static const char *modes[] = { "append", "truncate" };
    for (size_t i = 0; arg && *arg && i < 2; i++) {
        if (strncasecmp(arg, modes[i], strlen(arg)) == 0) {
            json_object_set_new(o->spec, d->field, json_string(modes[i]));
            return 0;
        }
    }
    return jo_invalid(d, arg, e);
}

/* --exclusive[=user|mcs]: whole nodes only, for now. */
static int set_exclusive(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                         sl_error_t *e)
{
    if (arg)
        return sl_errprintf(e, "--exclusive=%s is not supported yet", arg);
    return set_true(o, d, arg, e);
}

static int set_unsupported(jobopt_t *o, const struct jobopt_def *d, const char *arg,
                           sl_error_t *e)
{
    return sl_errprintf(e, "--%s is not supported yet", d->name);
}

static const struct jobopt_def jobopt_table[] = {
    { "account", 'A', JO_REQ, JO_ALL, set_str, "account", 0, "ACCOUNT",
      "name", "charge job to specified account" },
    { "array", 'a', JO_REQ, JO_BATCH, set_unsupported, NULL, 0, NULL,
      "indexes", "job array index values (not supported yet)" },
    { "begin", 'b', JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "time", "defer job until HH:MM MM/DD/YY (not supported yet)" },
    { "chdir", 'D', JO_REQ, JO_ALL, set_chdir, "cwd", 0, NULL,
      "directory", "set working directory for batch script" },
    { "comment", 0, JO_REQ, JO_ALL, set_text, "comment", 0, NULL,
      "name", "arbitrary comment" },
    { "constraint", 'C', JO_REQ, JO_ALL, set_str, "constraint", 0, "CONSTRAINT",
      "list", "specify a list of constraints" },
    { "cpus-per-task", 'c', JO_REQ, JO_ALL, set_count, "cpus_per_task", 0, NULL,
      "ncpus", "number of cpus required per task" },
    { "dependency", 'd', JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "type:jobid", "defer job until condition on jobid is satisfied (not supported yet)" },
    { "error", 'e', JO_REQ, JO_BATCH, set_str, "stderr", 0, "ERROR",
      "err", "file for batch script's standard error" },
    { "exclude", 'x', JO_REQ, JO_ALL, set_hostlist, "exclude", 0, NULL,
      "hosts...", "exclude a specific list of hosts" },
    { "exclusive", 0, JO_OPT, JO_ALL, set_exclusive, "exclusive", 0, "EXCLUSIVE",
      NULL, "allocate nodes in exclusive mode" },
    { "export", 0, JO_REQ, JO_ALL, set_str, "export", 1, "EXPORT",
      "[ALL|NONE|]VAR[=val],...", "specify environment variables to export" },
    { "gpus", 'G', JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "n", "count of GPUs required for the job (not supported yet)" },
    { "gpus-per-node", 0, JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "n", "number of GPUs required per node (not supported yet)" },
    { "gpus-per-task", 0, JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "n", "number of GPUs required per task (not supported yet)" },
    { "gres", 0, JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "list", "required generic resources (not supported yet)" },
    { "help", 'h', JO_NONE, JO_ALL, set_true, "help", 1, NULL,
      NULL, "show this help message" },
    { "hold", 'H', JO_NONE, JO_ALL, set_true, "hold", 0, NULL,
      NULL, "submit job in held state" },
    { "input", 'i', JO_REQ, JO_BATCH, set_str, "stdin", 0, "INPUT",
      "in", "file for batch script's standard input" },
    { "job-name", 'J', JO_REQ, JO_ALL, set_str, "name", 0, "JOB_NAME",
      "jobname", "name of job" },
    { "mail-type", 0, JO_REQ, JO_ALL, set_str, "mail_type", 1, NULL,
      "type", "notify on state change (accepted, no mail is sent)" },
    { "mail-user", 0, JO_REQ, JO_ALL, set_str, "mail_user", 1, NULL,
      "user", "who to send email notification for job state changes" },
    { "mem", 0, JO_REQ, JO_ALL, set_mem, "mem_mb", 0, "MEM_PER_NODE",
      "MB", "minimum amount of real memory per node" },
    { "mem-per-cpu", 0, JO_REQ, JO_ALL, set_mem, "mem_per_cpu_mb", 0, "MEM_PER_CPU",
      "MB", "maximum amount of real memory per allocated cpu" },
    { "nice", 0, JO_OPT, JO_ALL, set_unsupported, NULL, 0, NULL,
      "value", "decrease scheduling priority by value (not supported yet)" },
    { "no-requeue", 0, JO_NONE, JO_ALL, set_false, "requeue", 0, "NO_REQUEUE",
      NULL, "if set, do not permit the job to be requeued" },
    { "nodelist", 'w', JO_REQ, JO_ALL, set_hostlist, "nodelist", 0, NULL,
      "hosts...", "request a specific list of hosts" },
    { "nodes", 'N', JO_REQ, JO_ALL, set_nodes, "nodes_min", 0, NULL,
      "N", "number of nodes on which to run (N = min[-max])" },
    { "ntasks", 'n', JO_REQ, JO_ALL, set_count, "ntasks", 0, NULL,
      "ntasks", "number of tasks to run" },
    { "ntasks-per-node", 0, JO_REQ, JO_ALL, set_count, "ntasks_per_node", 0, NULL,
      "n", "number of tasks to invoke on each node" },
    { "open-mode", 0, JO_REQ, JO_ALL, set_open_mode, "open_mode", 0, "OPEN_MODE",
      "append|truncate", "open mode for the output and error files" },
    { "output", 'o', JO_REQ, JO_BATCH, set_str, "stdout", 0, "OUTPUT",
      "out", "file for batch script's standard output" },
    { "parsable", 0, JO_NONE, JO_BATCH, set_true, "parsable", 1, NULL,
      NULL, "outputs only the jobid and cluster name (if present)" },
    { "partition", 'p', JO_REQ, JO_ALL, set_str, "partition", 0, "PARTITION",
      "partition", "partition requested" },
    { "qos", 'q', JO_REQ, JO_ALL, set_str, "qos", 0, "QOS",
      "qos", "quality of service" },
    { "requeue", 0, JO_NONE, JO_ALL, set_true, "requeue", 0, "REQUEUE",
      NULL, "if set, permit the job to be requeued" },
    { "signal", 0, JO_REQ, JO_ALL, set_unsupported, NULL, 0, NULL,
      "[B:]num[@time]", "send signal when time limit within time seconds (not supported yet)" },
    { "test-only", 0, JO_NONE, JO_BATCH, set_true, "test_only", 0, NULL,
      NULL, "validate the job and estimate its start, do not submit it" },
    { "time", 't', JO_REQ, JO_ALL, set_time, "time_limit", 0, "TIMELIMIT",
      "minutes", "time limit" },
    { "usage", 0, JO_NONE, JO_ALL, set_true, "usage", 1, NULL,
      NULL, "display brief usage message" },
    { "version", 'V', JO_NONE, JO_ALL, set_true, "version", 1, NULL,
      NULL, "output version information and exit" },
    { "wait", 'W', JO_NONE, JO_BATCH, set_true, "wait", 1, "WAIT",
      NULL, "wait for completion of submitted job" },
    { "wrap", 0, JO_REQ, JO_BATCH, set_str, "wrap", 1, NULL,
      "command string", "wrap command string in a sh script and submit" },
};
#define JO_COUNT (sizeof(jobopt_table) / sizeof(jobopt_table[0]))

static const char *jo_env_prefix(unsigned cmd)
{
    return cmd == JOBOPT_SRUN ? "SLURM_" : cmd == JOBOPT_SALLOC ? "SALLOC_" : "SBATCH_";
}

jobopt_t *jobopt_create(unsigned cmd)
{
    jobopt_t *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->cmd = cmd;
    o->prog = cmd == JOBOPT_SRUN ? "srun" : cmd == JOBOPT_SALLOC ? "salloc" : "sbatch";
    o->spec = json_object();
    o->local = json_object();
    if (!o->spec || !o->local) {
        jobopt_destroy(o);
        return NULL;
    }
    return o;
}

void jobopt_destroy(jobopt_t *o)
{
    if (!o)
        return;
    json_decref(o->spec);
    json_decref(o->local);
    free(o);
}

static const struct jobopt_def *jo_find_name(const jobopt_t *o, const char *name)
{
    for (size_t i = 0; i < JO_COUNT; i++)
        if ((jobopt_table[i].cmds & o->cmd) && strcmp(jobopt_table[i].name, name) == 0)
            return &jobopt_table[i];
    return NULL;
}

static const struct jobopt_def *jo_find_val(const jobopt_t *o, int val)
{
    if (val >= JO_LONG_BASE && (size_t)(val - JO_LONG_BASE) < JO_COUNT)
        return &jobopt_table[val - JO_LONG_BASE];
    for (size_t i = 0; i < JO_COUNT; i++)
        if ((jobopt_table[i].cmds & o->cmd) && jobopt_table[i].letter == val)
            return &jobopt_table[i];
    return NULL;
}

int jobopt_set(jobopt_t *o, const char *name, const char *arg, sl_error_t *e)
{
    const struct jobopt_def *d = jo_find_name(o, name);
    if (!d)
        return sl_errprintf(e, "unrecognized option '--%s'", name);
    if (d->arg == JO_NONE && arg)
        return sl_errprintf(e, "option '--%s' doesn't allow an argument", name);
    if (d->arg == JO_REQ && !arg)
        return sl_errprintf(e, "option '--%s' requires an argument", name);
    return d->set(o, d, arg, e);
}

/* getopt_long's tables for the options o->cmd accepts.  The optstring
 * starts with '+' (stop at the script name) and ':' (report a missing
 * argument apart from an unknown option). */
struct jo_getopt {
    char shorts[2 + 3 * JO_COUNT + 1];
    struct option longs[JO_COUNT + 1];
};

static void jo_getopt_build(const jobopt_t *o, struct jo_getopt *g)
{
    size_t ns = 0, nl = 0;
    g->shorts[ns++] = '+';
    g->shorts[ns++] = ':';
    for (size_t i = 0; i < JO_COUNT; i++) {
        const struct jobopt_def *d = &jobopt_table[i];
        if (!(d->cmds & o->cmd))
            continue;
        g->longs[nl++] = (struct option){ d->name, (int)d->arg, NULL,
                                          JO_LONG_BASE + (int)i };
        if (!d->letter)
            continue;
        g->shorts[ns++] = (char)d->letter;
        for (int k = 0; k < (int)d->arg; k++)   /* ':' required, '::' optional */
            g->shorts[ns++] = ':';
    }
    g->shorts[ns] = '\0';
    g->longs[nl] = (struct option){ NULL, 0, NULL, 0 };
}

static int jo_getopt_error(int c, int argc, char **argv, sl_error_t *e)
{
    const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    int is_long = strncmp(word, "--", 2) == 0;
    if (c == ':' && is_long)
        return sl_errprintf(e, "option '%s' requires an argument", word);
    if (c == ':')
        return sl_errprintf(e, "option requires an argument -- '%c'", optopt);
    if (optopt >= JO_LONG_BASE)
        return sl_errprintf(e, "option '--%s' doesn't allow an argument",
                            jobopt_table[optopt - JO_LONG_BASE].name);
    if (is_long || optopt == 0)
        return sl_errprintf(e, "unrecognized option '%s'", word);
    return sl_errprintf(e, "invalid option -- '%c'", optopt);
}

int jobopt_parse_argv(jobopt_t *o, int argc, char **argv, sl_error_t *e)
{
    struct jo_getopt g;
    int c;
    jo_getopt_build(o, &g);
    opterr = 0;
    optind = 0;   /* glibc: full reinitialisation, so parsing can repeat */
    while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
        const struct jobopt_def *d;
        if (c == '?' || c == ':')
            return jo_getopt_error(c, argc, argv, e);
        if (!(d = jo_find_val(o, c)))
            return sl_errprintf(e, "invalid option -- '%c'", c);
        if (d->set(o, d, optarg, e) < 0)
            return -1;
    }
    return optind;
}

/* Split one #SBATCH line's options into words: blanks separate, quotes
 * group, and a word starting with '#' ends the options (a comment). */
static int jo_split(const char *line, char ***words, int *nwords)
{
    size_t len = strlen(line);
    char **w = calloc(len / 2 + 3, sizeof(*w));
    int n = 0;
    const char *p = line;
    if (!w)
        return -1;
    w[n++] = strdup("#SBATCH");
    while (*p) {
        char *out, *start;
        char quote = 0;
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        start = out = malloc(len + 1);
        if (!start)
            break;
        while (*p && (quote || !isspace((unsigned char)*p))) {
            if (!quote && (*p == '"' || *p == '\''))
                quote = *p;
            else if (quote && *p == quote)
                quote = 0;
            else
                *out++ = *p;
            p++;
        }
        *out = '\0';
        w[n++] = start;
    }
    *words = w;
    *nwords = n;
    return 0;
}

static void jo_words_free(char **w, int n)
{
    for (int i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

static int jo_parse_directive(jobopt_t *o, const char *opts, sl_error_t *e)
{
    char **w;
    int n, rc;
    if (jo_split(opts, &w, &n) < 0)
        return sl_errprintf(e, "out of memory");
    rc = jobopt_parse_argv(o, n, w, e);
    if (rc >= 0 && rc < n)
        rc = sl_errprintf(e, "unexpected argument '%s'", w[rc]);
    jo_words_free(w, n);
    return rc < 0 ? -1 : 0;
}

/* The directive prefix for a command's script lines. */
static const char *jo_directive(unsigned cmd)
{
    return cmd == JOBOPT_SALLOC ? "#SALLOC" : "#SBATCH";
}

int jobopt_parse_script(jobopt_t *o, const char *script, sl_error_t *e)
{
    const char *dir = jo_directive(o->cmd);
    size_t dlen = strlen(dir);
    const char *p = script;
    for (int lineno = 1; p && *p; lineno++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *q = p;
        while (q < p + len && isspace((unsigned char)*q))
            q++;
        if (q < p + len && *q != '#')
            break;   /* the first command ends the directives */
        if (len > dlen && strncmp(p, dir, dlen) == 0 && isspace((unsigned char)p[dlen])) {
            char *opts = strndup(p + dlen, len - dlen);
            int rc;
            if (!opts)
                return sl_errprintf(e, "out of memory");
            rc = jo_parse_directive(o, opts, e);
            free(opts);
            if (rc < 0)
                return sl_errprefix(e, "script line %d", lineno);
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static const char *jo_getenv(const char *name)
{
    return getenv(name);
}

int jobopt_parse_env(jobopt_t *o, const char *(*getenv_fn)(const char *name),
                     sl_error_t *e)
{
    const char *prefix = jo_env_prefix(o->cmd);
    if (!getenv_fn)
        getenv_fn = jo_getenv;
    for (size_t i = 0; i < JO_COUNT; i++) {
        const struct jobopt_def *d = &jobopt_table[i];
        char var[64];
        const char *val;
        if (!d->env || !(d->cmds & o->cmd))
            continue;
        snprintf(var, sizeof(var), "%s%s", prefix, d->env);
        if (!(val = getenv_fn(var)))
            continue;
        /* A flag's variable only needs to be set; its value is ignored. */
        if (d->set(o, d, d->arg == JO_REQ ? val : NULL, e) < 0)
            return sl_errprefix(e, "%s", var);
    }
    return 0;
}

int jobopt_load(jobopt_t *o, int argc, char **argv, const char *script,
                sl_error_t *e)
{
    if (jobopt_parse_env(o, NULL, e) < 0)
        return -1;
    if (script && jobopt_parse_script(o, script, e) < 0)
        return -1;
    return jobopt_parse_argv(o, argc, argv, e);
}

int jobopt_flag(const jobopt_t *o, const char *key)
{
    return json_is_true(json_object_get(o->local, key));
}

const char *jobopt_str(const jobopt_t *o, const char *key)
{
    return json_string_value(json_object_get(o->local, key));
}

static int jo_env_add(json_t *env, const char *entry)
{
    const char *eq = strchr(entry, '=');
    char *name;
    if (!eq || eq == entry)
        return 0;
    if (!(name = strndup(entry, (size_t)(eq - entry))))
        return -1;
    json_object_set_new(env, name, json_string(eq + 1));
    free(name);
    return 0;
}

/* One --export list item: VAR takes its value from envp, VAR=val sets it. */
static int jo_export_item(json_t *env, char **envp, const char *item, sl_error_t *e)
{
    size_t n = strlen(item);
    if (strchr(item, '='))
        return jo_env_add(env, item);
    for (char **p = envp; p && *p; p++)
        if (strncmp(*p, item, n) == 0 && (*p)[n] == '=')
            return jo_env_add(env, *p);
    return 0;   /* as Slurm: a listed variable that is not set is skipped */
}

json_t *jobopt_env(const jobopt_t *o, char **envp, sl_error_t *e)
{
    const char *spec = jobopt_str(o, "export");
    json_t *env = json_object();
    char *list, *save = NULL;
    int all = !spec || strcasecmp(spec, "ALL") == 0;
    if (!env)
        return NULL;
    if (spec && strcasecmp(spec, "NONE") != 0 && !all) {
        if (!(list = strdup(spec)))
            goto oom;
        for (char *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save))
            if (strcasecmp(it, "ALL") == 0)
                all = 1;
        free(list);
    }
    for (char **p = envp; p && *p; p++)
        if ((all || strncmp(*p, "SLURM_", 6) == 0) && jo_env_add(env, *p) < 0)
            goto oom;
    if (!spec || !strcasecmp(spec, "ALL") || !strcasecmp(spec, "NONE"))
        return env;
    if (!(list = strdup(spec)))
        goto oom;
    for (char *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(it, "ALL") != 0 && strcasecmp(it, "NONE") != 0 &&
            jo_export_item(env, envp, it, e) < 0) {
            free(list);
            goto oom;
        }
    }
    free(list);
    return env;
oom:
    json_decref(env);
    sl_errprintf(e, "out of memory");
    return NULL;
}

void jobopt_usage(const jobopt_t *o, FILE *out)
{
    fprintf(out, "Usage: %s [OPTIONS...] %s\n", o->prog,
            o->cmd == JOBOPT_SBATCH ? "[script [args...]]" : "executable [args...]");
}

void jobopt_help(const jobopt_t *o, FILE *out)
{
    jobopt_usage(o, out);
    fputs("\nOptions:\n", out);
    for (size_t i = 0; i < JO_COUNT; i++) {
        const struct jobopt_def *d = &jobopt_table[i];
        char left[64];
        int n;
        if (!(d->cmds & o->cmd))
            continue;
        n = d->letter ? snprintf(left, sizeof(left), "  -%c, --%s", d->letter, d->name)
                      : snprintf(left, sizeof(left), "      --%s", d->name);
        if (d->metavar && n > 0 && (size_t)n < sizeof(left))
            snprintf(left + n, sizeof(left) - (size_t)n, "%s%s",
                     d->arg == JO_OPT ? "[=" : "=", d->metavar);
        if (d->arg == JO_OPT && d->metavar)
            strncat(left, "]", sizeof(left) - strlen(left) - 1);
        fprintf(out, "%-36s%s\n", left, d->help);
    }
}
