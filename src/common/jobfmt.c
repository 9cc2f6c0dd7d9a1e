/* jobfmt.c: state names, the column engine and Key=Value records. */
#define _GNU_SOURCE
#include "jobfmt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name, *code; } job_states[] = {
    { "PENDING", "PD" },      { "CONFIGURING", "CF" }, { "RUNNING", "R" },
    { "COMPLETING", "CG" },   { "COMPLETED", "CD" },   { "FAILED", "F" },
    { "CANCELLED", "CA" },    { "TIMEOUT", "TO" },     { "NODE_FAIL", "NF" },
    { "OUT_OF_MEMORY", "OOM" }, { "REQUEUED", "RQ" },
    { "DEADLINE", "DL" },
};
#define NJOB_STATES (sizeof(job_states) / sizeof(job_states[0]))

const char *jobfmt_state_code(const char *slurm_state)
{
    for (size_t i = 0; slurm_state && i < NJOB_STATES; i++)
        if (strcmp(job_states[i].name, slurm_state) == 0)
            return job_states[i].code;
    return "?";
}

const char *jobfmt_state_parse(const char *s)
{
    for (size_t i = 0; s && i < NJOB_STATES; i++)
        if (!strcasecmp(job_states[i].name, s) || !strcasecmp(job_states[i].code, s))
            return job_states[i].name;
    return NULL;
}

static const struct { const char *state, *code, *longname; } node_states[] = {
    { "IDLE", "idle", "idle" },       { "ALLOCATED", "alloc", "allocated" },
    { "MIXED", "mix", "mixed" },      { "DOWN", "down", "down" },
    { "DRAINED", "drain", "drained" }, { "DRAINING", "drng", "draining" },
    { "COMPLETING", "comp", "completing" }, { "UNKNOWN", "unk", "unknown" },
};

char *jobfmt_node_state(const char *state, int responding, int longform, char *buf,
                        size_t len)
{
    const char *name = longform ? "unknown" : "unk";
    for (size_t i = 0; state && i < sizeof(node_states) / sizeof(node_states[0]); i++)
        if (strcasecmp(node_states[i].state, state) == 0)
            name = longform ? node_states[i].longname : node_states[i].code;
    snprintf(buf, len, "%s%s", name, responding ? "" : "*");
    return buf;
}

char *jobfmt_hms(int64_t secs, char *buf, size_t len)
{
    int64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
    if (secs < 0)
        snprintf(buf, len, "UNLIMITED");
    else if (d)
        snprintf(buf, len, "%lld-%02lld:%02lld:%02lld", (long long)d, (long long)h,
                 (long long)m, (long long)s);
    else
        snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)h, (long long)m,
                 (long long)s);
    return buf;
}

void jobfmt_value(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.2f", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%d", json_is_true(v));
    else
        snprintf(buf, len, "%s", "");
}

struct jobfmt_col {
    char *prefix;                   /* literal text before the field */
    const struct jobfmt_field *f;
    int width;                      /* 0: as wide as the value */
    int right;
    char *after;                    /* -O's suffix ("JobID:10|"), or NULL */
};

struct jobfmt {
    enum jobfmt_style style;
    struct jobfmt_col *cols;
    size_t n;
    char *suffix;                   /* literal text after the last field */
    char *sep;                      /* parsable separator, or NULL */
    int trailing;                   /* sep after the last value too */
    int exact;                      /* JOBFMT_MINPLUS fields are group keys */
};

void jobfmt_destroy(jobfmt_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->cols[i].prefix);
        free(f->cols[i].after);
    }
    free(f->cols);
    free(f->suffix);
    free(f->sep);
    free(f);
}

static int fmt_add(jobfmt_t *f, char *prefix, const struct jobfmt_field *fd, int width,
                   int right)
{
    struct jobfmt_col *c = realloc(f->cols, (f->n + 1) * sizeof(*c));
    if (!c) {
        free(prefix);
        return -1;
    }
    f->cols = c;
    f->cols[f->n++] = (struct jobfmt_col){ prefix, fd, width, right, NULL };
    return 0;
}

static const struct jobfmt_field *fmt_by_letter(const struct jobfmt_field *t, char c)
{
    for (; t->name; t++)
        if (t->letter == c)
            return t;
    return NULL;
}

static const struct jobfmt_field *fmt_by_name(const struct jobfmt_field *t,
                                              const char *name, size_t len)
{
    for (; t->name; t++)
        if (strlen(t->name) == len && strncasecmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

/* "%[.|-][width]letter" with literal text between fields. */
static int fmt_parse_percent(jobfmt_t *f, const char *s, const struct jobfmt_field *t,
                             sl_error_t *e)
{
    const char *lit = s;
    while (*s) {
        const struct jobfmt_field *fd;
        int right = 0, width = 0;
        const char *start = s;
        if (*s != '%') {
            s++;
            continue;
        }
        s++;
        if (*s == '.' || *s == '-')
            right = *s++ == '.';
        while (isdigit((unsigned char)*s))
            width = width * 10 + (*s++ - '0');
        if (!*s || !(fd = fmt_by_letter(t, *s)))
            return sl_errprintf(e, "Invalid format field '%.*s'", (int)(s - start) + !!*s,
                                start);
        if (fmt_add(f, strndup(lit, (size_t)(start - lit)), fd, width, right) < 0)
            return sl_errprintf(e, "out of memory");
        lit = ++s;
    }
    f->suffix = strdup(lit);
    return 0;
}

/* "Name[:[.][width][suffix]]" (squeue -O, sinfo -O: as Slurm, columns are
 * exactly their width, with no blank between them unless a suffix says so)
 * or "Name[%width]" (sacct), comma-separated. */
static int fmt_parse_names(jobfmt_t *f, const char *s, const struct jobfmt_field *t,
                           sl_error_t *e)
{
    char mark = f->style == JOBFMT_SACCT ? '%' : ':';
    while (*s) {
        size_t len = strcspn(s, ",");
        size_t nlen = strcspn(s, ",:%");
        const struct jobfmt_field *fd = fmt_by_name(t, s, nlen);
        int right, width;
        char *end = NULL;
        if (!fd)
            return f->style == JOBFMT_SACCT
                       ? sl_errprintf(e, "Invalid field requested: \"%.*s\"", (int)nlen, s)
                       : sl_errprintf(e, "Invalid job format specification: %.*s", (int)nlen,
                                      s);
        right = fd->right;
        width = fd->width;
        if (nlen < len) {
            const char *w = s + nlen + 1;
            long v;
            if (s[nlen] != mark)
                return sl_errprintf(e, "Invalid field specification: \"%.*s\"", (int)len, s);
            if (*w == '.')
                right = 1, w++;
            else if (*w == '-' && f->style == JOBFMT_SACCT)
                right = 0, w++;   /* sacct/sacctmgr "Name%-20": left-justified */
            v = isdigit((unsigned char)*w) ? strtol(w, &end, 10) : (end = (char *)w, 0);
            if ((f->style == JOBFMT_SACCT && end != s + len) || v < 0 || v > 1000)
                return sl_errprintf(e, "Invalid field width: \"%.*s\"", (int)len, s);
            width = (int)v;
        }
        if (fmt_add(f, NULL, fd, width, right) < 0)
            return sl_errprintf(e, "out of memory");
        if (end && f->style != JOBFMT_SACCT && end < s + len &&
            !(f->cols[f->n - 1].after = strndup(end, (size_t)(s + len - end))))
            return sl_errprintf(e, "out of memory");
        s += len;
        if (*s == ',')
            s++;
    }
    if (f->n == 0)
        return sl_errprintf(e, "No fields requested");
    return 0;
}

jobfmt_t *jobfmt_parse(const char *spec, enum jobfmt_style style,
                       const struct jobfmt_field *table, sl_error_t *e)
{
    jobfmt_t *f = calloc(1, sizeof(*f));
    int rc;
    if (!f) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    f->style = style;
    rc = style == JOBFMT_PERCENT ? fmt_parse_percent(f, spec, table, e)
                                 : fmt_parse_names(f, spec, table, e);
    if (rc < 0) {
        jobfmt_destroy(f);
        return NULL;
    }
    return f;
}

void jobfmt_set_parsable(jobfmt_t *f, const char *sep, int trailing)
{
    free(f->sep);
    f->sep = sep ? strdup(sep) : NULL;
    f->trailing = trailing;
}

/* Blanks to pad cells with, without printf. */
static void fmt_pad(size_t n, FILE *out)
{
    static const char blanks[] = "                                                ";
    for (size_t k; n > 0; n -= k) {
        k = n < sizeof(blanks) - 1 ? n : sizeof(blanks) - 1;
        fwrite(blanks, 1, k, out);
    }
}

static void fmt_cell(const jobfmt_t *f, const struct jobfmt_col *c, const char *v,
                     FILE *out)
{
    size_t len = strlen(v), w = c->width > 0 ? (size_t)c->width : 0;
    if (c->prefix)
        fputs(c->prefix, out);
    if (f->sep) {
        int last = c == &f->cols[f->n - 1];
        fprintf(out, "%s%s", v, !last || f->trailing ? f->sep : "");
        return;
    }
    if (w && len > w) {
        /* sacct marks a cut value with '+'; squeue and sinfo just cut. */
        fwrite(v, 1, f->style == JOBFMT_SACCT ? w - 1 : w, out);
        if (f->style == JOBFMT_SACCT)
            fputc('+', out);
    } else {
        if (c->right)
            fmt_pad(w > len ? w - len : 0, out);
        fwrite(v, 1, len, out);
        if (!c->right)
            fmt_pad(w > len ? w - len : 0, out);
    }
    if (f->style == JOBFMT_SACCT)
        fputc(' ', out);
    else if (c->after)
        fputs(c->after, out);
}

static void fmt_end(const jobfmt_t *f, FILE *out)
{
    if (f->suffix)
        fputs(f->suffix, out);
    fputc('\n', out);
}

void jobfmt_print_header(const jobfmt_t *f, FILE *out)
{
    for (size_t i = 0; i < f->n; i++)
        fmt_cell(f, &f->cols[i], f->cols[i].f->header, out);
    fmt_end(f, out);
    if (f->style != JOBFMT_SACCT || f->sep)
        return;
    /* sacct underlines each column with dashes. */
    for (size_t i = 0; i < f->n; i++) {
        int w = f->cols[i].width;
        for (int k = 0; k < w; k++)
            fputc('-', out);
        fputc(' ', out);
    }
    fputc('\n', out);
}

static void fmt_get(const struct jobfmt_field *fd, const json_t *rec, const void *ctx,
                    char *buf)
{
    buf[0] = '\0';
    if (fd->get)
        fd->get(rec, ctx, buf, JOBFMT_VALMAX);
    else
        jobfmt_value(json_object_get(rec, fd->key), buf, JOBFMT_VALMAX);
}

void jobfmt_print_row(const jobfmt_t *f, const json_t *rec, const void *ctx, FILE *out)
{
    char *buf = malloc(JOBFMT_VALMAX);
    if (!buf)
        return;
    for (size_t i = 0; i < f->n; i++) {
        fmt_get(f->cols[i].f, rec, ctx, buf);
        fmt_cell(f, &f->cols[i], buf, out);
    }
    fmt_end(f, out);
    free(buf);
}

void jobfmt_print_cells(const jobfmt_t *f, jobfmt_cell_fn fn, const void *row,
                        const void *ctx, FILE *out)
{
    char buf[JOBFMT_VALMAX];
    for (size_t i = 0; i < f->n; i++) {
        buf[0] = '\0';
        fn(f->cols[i].f, row, ctx, buf, sizeof(buf));
        fmt_cell(f, &f->cols[i], buf, out);
    }
    fmt_end(f, out);
}

void jobfmt_set_exact(jobfmt_t *f, int exact)
{
    f->exact = exact;
}

size_t jobfmt_ncols(const jobfmt_t *f)
{
    return f->n;
}

const struct jobfmt_field *jobfmt_col_field(const jobfmt_t *f, size_t i)
{
    return f->cols[i].f;
}

char *jobfmt_row_key(const jobfmt_t *f, const json_t *rec, const void *ctx)
{
    char *buf = malloc(JOBFMT_VALMAX);
    char *key = NULL;
    size_t klen = 0;
    FILE *m;
    if (!buf || !(m = open_memstream(&key, &klen))) {
        free(buf);
        return NULL;
    }
    for (size_t i = 0; i < f->n; i++) {
        unsigned fl = f->cols[i].f->flags;
        if ((fl & JOBFMT_AGGREGATE) || ((fl & JOBFMT_MINPLUS) && !f->exact))
            continue;
        fmt_get(f->cols[i].f, rec, ctx, buf);
        fprintf(m, "%s%c", buf, '\x1f');
    }
    fclose(m);
    free(buf);
    return key;
}

void jobfmt_print_kv(const struct jobfmt_kv *tab, size_t n, const json_t *rec,
                     const void *ctx, int oneline, FILE *out)
{
    char *buf = malloc(JOBFMT_VALMAX);
    int first = 1;
    if (!buf)
        return;
    for (size_t i = 0; i < n; i++) {
        buf[0] = '\0';
        if (tab[i].get)
            tab[i].get(rec, ctx, buf, JOBFMT_VALMAX);
        else {
            jobfmt_value(json_object_get(rec, tab[i].key), buf, JOBFMT_VALMAX);
            if (!buf[0])
                snprintf(buf, JOBFMT_VALMAX, "(null)");
        }
        if (!buf[0])
            continue;
        if (!first)
            fputs(!oneline && (tab[i].flags & JOBFMT_KV_NEWLINE) ? "\n   " : " ", out);
        fprintf(out, "%s=%s", tab[i].name, buf);
        first = 0;
    }
    fputc('\n', out);
    free(buf);
}
