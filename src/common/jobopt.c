/* jobopt.c: the parsers that apply the option table (jobopt_table.c) to
 * command lines, #SBATCH lines and input variables (see jobopt.h). */
#define _GNU_SOURCE
#include "jobopt.h"

#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jobopt_impl.h"
#include "jobspec.h"

/* getopt_long's val for long-only options: past every short letter. */
#define JO_LONG_BASE 0x100

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
    o->max_array_size = JOBOPT_MAX_ARRAY_SIZE;
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
    for (size_t i = 0; i < jobopt_count; i++)
        if ((jobopt_table[i].cmds & o->cmd) && strcmp(jobopt_table[i].name, name) == 0)
            return &jobopt_table[i];
    return NULL;
}

static const struct jobopt_def *jo_find_val(const jobopt_t *o, int val)
{
    if (val >= JO_LONG_BASE && (size_t)(val - JO_LONG_BASE) < jobopt_count)
        return &jobopt_table[val - JO_LONG_BASE];
    for (size_t i = 0; i < jobopt_count; i++)
        if ((jobopt_table[i].cmds & o->cmd) && jobopt_table[i].letter == val)
            return &jobopt_table[i];
    return NULL;
}

/* Every source of every option passes here: a value that is not UTF-8
 * cannot travel in the JSON job spec, so it is refused, naming the option,
 * rather than dropped. */
static int jo_apply(jobopt_t *o, const struct jobopt_def *d, const char *arg, sl_error_t *e)
{
    char what[64];
    snprintf(what, sizeof(what), "the value of --%s", d->name);
    if (arg && utf8_check(arg, what, e))
        return -1;
    return d->set(o, d, arg, e);
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
    return jo_apply(o, d, arg, e);
}

/* getopt_long's tables for the options o->cmd accepts.  The optstring
 * starts with '+' (stop at the script name) and ':' (report a missing
 * argument apart from an unknown option). */
struct jo_getopt {
    char shorts[2 + 3 * JO_MAX + 1];
    struct option longs[JO_MAX + 1];
};

static void jo_getopt_build(const jobopt_t *o, struct jo_getopt *g)
{
    size_t ns = 0, nl = 0;
    g->shorts[ns++] = '+';
    g->shorts[ns++] = ':';
    for (size_t i = 0; i < jobopt_count; i++) {
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
        if (jo_apply(o, d, optarg, e) < 0)
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
    for (size_t i = 0; i < jobopt_count; i++) {
        const struct jobopt_def *d = &jobopt_table[i];
        char var[64];
        const char *val;
        if (!d->env || !(d->cmds & o->cmd))
            continue;
        snprintf(var, sizeof(var), "%s%s", prefix, d->env);
        if (!(val = getenv_fn(var)))
            continue;
        /* A flag's variable only needs to be set; its value is ignored. */
        if (jo_apply(o, d, d->arg == JO_REQ ? val : NULL, e) < 0)
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

void jobopt_usage(const jobopt_t *o, FILE *out)
{
    fprintf(out, "Usage: %s [OPTIONS...] %s\n", o->prog,
            o->cmd == JOBOPT_SBATCH ? "[script [args...]]"
            : o->cmd == JOBOPT_SALLOC ? "[command [args...]]" : "executable [args...]");
}

void jobopt_help(const jobopt_t *o, FILE *out)
{
    jobopt_usage(o, out);
    fputs("\nOptions:\n", out);
    for (size_t i = 0; i < jobopt_count; i++) {
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
        if (strlen(left) < 36)
            fprintf(out, "%-36s%s\n", left, d->help);
        else   /* a long argument form: its text on a line of its own */
            fprintf(out, "%s\n%-36s%s\n", left, "", d->help);
    }
}
