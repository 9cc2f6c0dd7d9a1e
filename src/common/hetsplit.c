/* hetsplit.c: split a heterogeneous job submission into its components. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "hetsplit.h"
#include "jobopt.h"

#define DIRECTIVE "#SBATCH"

/* The line [p, p+len) is a directive: its options start at *opts. */
static int is_directive(const char *p, size_t len, const char **opts)
{
    size_t dl = strlen(DIRECTIVE);
    if (len <= dl || strncmp(p, DIRECTIVE, dl) || !isspace((unsigned char)p[dl]))
        return 0;
    *opts = p + dl;
    return 1;
}

/* A directive whose only word is hetjob or packjob (a comment may follow). */
static int is_separator(const char *opts, const char *end)
{
    while (opts < end && isspace((unsigned char)*opts))
        opts++;
    size_t w = 0;
    while (opts + w < end && !isspace((unsigned char)opts[w]) && opts[w] != '#')
        w++;
    if (!((w == 6 && !strncmp(opts, "hetjob", 6)) || (w == 7 && !strncmp(opts, "packjob", 7))))
        return 0;
    for (opts += w; opts < end && isspace((unsigned char)*opts); opts++)
        ;
    return opts == end || *opts == '#';
}

/* Walk the directive lines (those before the first command, as
 * jobopt_parse_script reads them): fn gets each with its component. */
typedef void (*line_fn)(char *line, size_t len, int sep, size_t comp, void *arg);
static size_t walk(char *script, line_fn fn, void *arg)
{
    size_t comp = 0;
    for (char *p = script; p && *p;) {
        char *end = strchr(p, '\n'), *q = p;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *opts;
        while (q < p + len && isspace((unsigned char)*q))
            q++;
        if (q < p + len && *q != '#')
            break;
        if (is_directive(p, len, &opts)) {
            int sep = is_separator(opts, p + len);
            if (fn)
                fn(p, len, sep, comp, arg);
            comp += sep;
        }
        p = end ? end + 1 : NULL;
    }
    return comp + 1;
}

size_t hetsplit_script_count(const char *script)
{
    return script ? walk((char *)script, NULL, NULL) : 1;   /* fn NULL: read only */
}

static void blank_other(char *line, size_t len, int sep, size_t comp, void *arg)
{
    if (sep || comp != *(size_t *)arg)
        memset(line + 1, ' ', len - 1);   /* "#" and blanks: a plain comment */
}

char *hetsplit_script_part(const char *script, size_t k)
{
    char *copy = strdup(script ? script : "");
    if (copy)
        walk(copy, blank_other, &k);
    return copy;
}

int hetsplit_argv(unsigned cmd, int argc, char **argv, int *starts, size_t max, size_t *n,
                  sl_error_t *e)
{
    int pos = 0;
    *n = 0;
    for (;;) {
        jobopt_t *o = jobopt_create(cmd);
        if (!o)
            return sl_errprintf(e, "out of memory");
        int idx = jobopt_parse_argv(o, argc - pos, argv + pos, e);
        jobopt_destroy(o);
        if (idx < 0)
            return -1;
        if (*n >= max)
            return sl_errprintf(e, "too many heterogeneous job components: at most %zu", max);
        starts[(*n)++] = pos;
        if (pos + idx >= argc || strcmp(argv[pos + idx], ":"))
            return pos + idx;
        pos += idx;   /* the ":" is the next group's argv[0] */
    }
}

int hetsplit_colon(int argc, char **argv, int *starts, size_t max, size_t *n, sl_error_t *e)
{
    int begin = 0;   /* the group's argv[0]: the program, then each ":" */
    *n = 0;
    for (int i = 1; i <= argc; i++) {
        if (i < argc && strcmp(argv[i], ":") != 0)
            continue;
        if (i == begin + 1)
            return sl_errprintf(e, "an empty heterogeneous step group (nothing between ':' "
                                   "words, or a ':' at the end)");
        if (*n >= max)
            return sl_errprintf(e, "too many heterogeneous components: at most %zu", max);
        starts[(*n)++] = begin;
        begin = i;
    }
    return 0;
}

/* One number of a --het-group expression at *p. */
static int groups_num(const char **p, const char *expr, size_t ncomp, unsigned *v,
                      sl_error_t *e)
{
    char *end;
    if (!isdigit((unsigned char)**p))
        return sl_errprintf(e, "--het-group=%s: not a list of component numbers (e.g. 0,2 "
                               "or 0-1)", expr);
    unsigned long x = strtoul(*p, &end, 10);
    if (x >= ncomp)
        return sl_errprintf(e, "--het-group=%s: component %lu does not exist: the job has "
                               "%zu (0 to %zu)", expr, x, ncomp, ncomp - 1);
    *p = end;
    *v = (unsigned)x;
    return 0;
}

int hetsplit_groups(const char *expr, size_t ncomp, unsigned *out, size_t max, size_t *n,
                    sl_error_t *e)
{
    unsigned char seen[64] = { 0 };
    const char *p = expr;
    *n = 0;
    if (ncomp > sizeof(seen))
        ncomp = sizeof(seen);
    if (!p || !*p)
        return sl_errprintf(e, "--het-group: an empty list");
    while (*p) {
        unsigned lo, hi;
        if (groups_num(&p, expr, ncomp, &lo, e) < 0)
            return -1;
        hi = lo;
        if (*p == '-') {
            p++;
            if (groups_num(&p, expr, ncomp, &hi, e) < 0)
                return -1;
            if (hi < lo)
                return sl_errprintf(e, "--het-group=%s: a range must go upwards", expr);
        }
        for (unsigned k = lo; k <= hi; k++)
            seen[k] = 1;
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return sl_errprintf(e, "--het-group=%s: not a list of component numbers (e.g. "
                                   "0,2 or 0-1)", expr);
    }
    for (size_t k = 0; k < ncomp; k++) {
        if (!seen[k])
            continue;
        if (*n >= max)
            return sl_errprintf(e, "--het-group=%s: too many components", expr);
        out[(*n)++] = (unsigned)k;
    }
    return 0;
}
