/* conf.c: read sluice.conf: lines, quoting, comments and Include; hand each
 * line to the global, node or partition keys (conf_keys.c, conf_node.c,
 * conf_part.c). */
#include "conf_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Deepest chain of Include a file may start. */
#define CONF_INCLUDE_MAX 16

/* The files being read, outermost first, as real paths: a file that
 * appears twice is an Include loop. */
struct reader {
    struct conf_parser *p;
    char *open[CONF_INCLUDE_MAX + 1];
    int depth;
};

static int read_file(struct reader *r, const char *path, const struct conf_where *from,
                     sl_error_t *e);

const char *conf_default_path(void)
{
    const char *env = getenv("SLUICE_CONF");
    return env && *env ? env : SYSCONFDIR "/sluice/sluice.conf";
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* *s is at an opening quote: take the text up to the closing one. */
static int take_quoted(char **s, char **out)
{
    char *q = strchr(*s + 1, '"');
    if (!q)
        return -1;
    *q = '\0';
    *out = *s + 1;
    *s = q + 1;
    return 0;
}

/* Split a line into Key=Value pairs (val NULL for a bare word), in place.
 * kv has room for every word the line could hold. */
static int line_split(char *s, struct conf_pair *kv, size_t *n, const struct conf_where *w,
                      sl_error_t *e)
{
    *n = 0;
    for (;;) {
        struct conf_pair *pr = &kv[*n];
        while (is_blank(*s))
            s++;
        if (!*s || *s == '#')
            return 0;
        pr->key = s;
        pr->val = NULL;
        if (*s == '"') {
            if (take_quoted(&s, &pr->key) < 0)
                return sl_errprintf(e, "%s:%d: unterminated quote", w->file, w->line);
        } else {
            s += strcspn(s, "= \t\r\n#\"");
            if (*s == '=') {
                *s++ = '\0';
                if (!*pr->key)
                    return sl_errprintf(e, "%s:%d: missing key before '='", w->file, w->line);
                if (*s == '"' ? take_quoted(&s, &pr->val) < 0
                              : (pr->val = s, s += strcspn(s, " \t\r\n#\""), 0))
                    return sl_errprintf(e, "%s:%d: unterminated quote", w->file, w->line);
            }
        }
        if (*s && !is_blank(*s) && *s != '#')
            return sl_errprintf(e, "%s:%d: unexpected '%c' after '%.*s'", w->file, w->line,
                                *s, (int)(s - pr->key), pr->key);
        (*n)++;
        if (*s == '#' || !*s) {
            *s = '\0';
            return 0;
        }
        *s++ = '\0';
    }
}

/* Include PATH or Include=PATH; PATH is relative to the including file. */
static int include_line(struct reader *r, const struct conf_where *w,
                        const struct conf_pair *kv, size_t n, sl_error_t *e)
{
    const char *rel = kv[0].val ? kv[0].val : n > 1 && !kv[1].val ? kv[1].key : NULL;
    const char *slash = strrchr(w->file, '/');
    size_t dirlen;
    char *path;
    int rc;

    if (!rel || !*rel || n > (kv[0].val ? 1u : 2u))
        return sl_errprintf(e, "%s:%d: Include takes one file name", w->file, w->line);
    if (r->depth > CONF_INCLUDE_MAX)
        return sl_errprintf(e, "%s:%d: Include nested more than %d deep", w->file, w->line,
                            CONF_INCLUDE_MAX);
    dirlen = rel[0] == '/' || !slash ? 0 : (size_t)(slash - w->file) + 1;
    if (!(path = malloc(dirlen + strlen(rel) + 1)))
        return sl_errprintf(e, "out of memory");
    memcpy(path, w->file, dirlen);
    strcpy(path + dirlen, rel);
    rc = read_file(r, path, w, e);
    free(path);
    return rc;
}

static int global_line(struct reader *r, const struct conf_where *w,
                       const struct conf_pair *kv, size_t n, sl_error_t *e)
{
    static const char *const record_keys[] = { "NodeName", "PartitionName", "QueueName",
                                               "SchedulingPolicyName", "Include" };

    for (size_t i = 0; i < n; i++) {
        int rc = conf_global_set(r->p->c, kv[i].key, kv[i].val, e);
        if (rc < 0)
            return sl_errprefix(e, "%s:%d", w->file, w->line);
        if (rc == 0 && strcasecmp(kv[i].key, "NodeTimeout") == 0)
            r->p->node_timeout_at = *w;
        if (rc == 0 && strcasecmp(kv[i].key, "HeartbeatInterval") == 0)
            r->p->heartbeat_at = *w;
        if (rc == 0)
            continue;
        for (size_t j = 0; j < sizeof(record_keys) / sizeof(record_keys[0]); j++)
            if (strcasecmp(kv[i].key, record_keys[j]) == 0)
                return sl_errprintf(e, "%s:%d: %s must start its line", w->file, w->line,
                                    record_keys[j]);
        if (conf_node_is_key(kv[i].key) || conf_part_is_key(kv[i].key))
            return sl_errprintf(e, "%s:%d: unknown key '%s' (it belongs on a %s line)",
                                w->file, w->line, kv[i].key,
                                conf_node_is_key(kv[i].key) ? "NodeName" : "PartitionName");
        return sl_errprintf(e, "%s:%d: unknown key '%s'", w->file, w->line, kv[i].key);
    }
    return 0;
}

static int line_parse(struct reader *r, const struct conf_where *w, char *line,
                      sl_error_t *e)
{
    struct conf_pair *kv = calloc(strlen(line) / 2 + 1, sizeof(*kv));
    size_t n;
    int rc = -1;

    if (!kv)
        return sl_errprintf(e, "out of memory");
    if (line_split(line, kv, &n, w, e) < 0)
        goto out;
    rc = 0;
    if (n == 0)
        goto out;
    if (strcasecmp(kv[0].key, "Include") == 0) {
        rc = include_line(r, w, kv, n, e);
        goto out;
    }
    rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (!kv[i].val) {
            sl_errprintf(e, "%s:%d: missing '=' after '%s'", w->file, w->line, kv[i].key);
            goto out;
        }
    }
    if (strcasecmp(kv[0].key, "NodeName") == 0)
        rc = conf_node_line(r->p, w, kv, n, e);
    else if (strcasecmp(kv[0].key, "PartitionName") == 0)
        rc = conf_part_line(r->p, w, kv, n, e);
    else if (strcasecmp(kv[0].key, "QueueName") == 0 ||
             strcasecmp(kv[0].key, "SchedulingPolicyName") == 0)
        rc = conf_queue_line(r->p, w, kv, n, e);
    else
        rc = global_line(r, w, kv, n, e);
out:
    free(kv);
    return rc;
}

/* Keep the file's name for the life of the parse: messages point at it. */
static const char *file_remember(struct conf_parser *p, const char *path)
{
    char **files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));
    if (!files)
        return NULL;
    p->files = files;
    if (!(files[p->nfiles] = strdup(path)))
        return NULL;
    return files[p->nfiles++];
}

static int lines_read(struct reader *r, FILE *f, const char *file, sl_error_t *e)
{
    struct conf_where w = { file, 0 };
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    ssize_t len;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        w.line++;
        /* The text after a NUL would be dropped without a word. */
        if (memchr(line, '\0', (size_t)len))
            rc = sl_errprintf(e, "%s:%d: the line holds a NUL byte", file, w.line);
        else
            rc = line_parse(r, &w, line, e);
    }
    if (rc == 0 && ferror(f))
        rc = sl_errprintf(e, "%s: read error: %s", file, strerror(errno));
    free(line);
    return rc;
}

static int read_file(struct reader *r, const char *path, const struct conf_where *from,
                     sl_error_t *e)
{
    FILE *f = fopen(path, "r");
    const char *file;
    char *real;
    int rc;

    if (!f) {
        if (from)
            return sl_errprintf(e, "%s:%d: cannot open %s: %s", from->file, from->line, path,
                                strerror(errno));
        return sl_errprintf(e, "cannot open %s: %s", path, strerror(errno));
    }
    real = realpath(path, NULL);
    for (int i = 0; real && i < r->depth; i++) {
        if (strcmp(r->open[i], real) == 0) {
            free(real);
            fclose(f);
            return sl_errprintf(e, "%s:%d: Include loop: %s is already being read",
                                from->file, from->line, path);
        }
    }
    if (!real || !(file = file_remember(r->p, path))) {
        free(real);
        fclose(f);
        return sl_errprintf(e, "%s: %s", path, real ? "out of memory" : strerror(errno));
    }
    r->open[r->depth++] = real;
    rc = lines_read(r, f, file, e);
    free(r->open[--r->depth]);
    fclose(f);
    return rc;
}

static void parser_free(struct conf_parser *p)
{
    conf_node_state_free(p);
    conf_part_state_free(p);
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
}

conf_t *conf_load(const char *path, sl_error_t *e)
{
    conf_t *c = calloc(1, sizeof(*c));
    struct conf_parser p = { c, NULL, 0, 0, 0, NULL, NULL, { NULL, 0 }, { NULL, 0 } };
    struct reader r = { &p, { NULL }, 0 };
    int rc;

    if (!c || conf_strset(&c->path, path) < 0) {
        free(c);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    rc = conf_globals_default(c, e);
    if (rc == 0)
        rc = read_file(&r, path, NULL, e);
    if (rc == 0)
        rc = conf_globals_finish(&p, e);
    if (rc == 0)
        rc = conf_elastic_finish(&p, e);
    if (rc == 0)
        rc = conf_nodes_finish(&p, e);
    if (rc == 0)
        rc = conf_parts_finish(&p, e);
    if (rc == 0)
        rc = conf_queues_finish(&p, e);
    parser_free(&p);
    if (rc < 0) {
        conf_destroy(c);
        return NULL;
    }
    return c;
}

void conf_destroy(conf_t *c)
{
    if (!c)
        return;
    conf_globals_free(c);
    for (size_t i = 0; i < c->nnodes; i++)
        conf_node_free(&c->nodes[i]);
    free(c->nodes);
    free(c->node_slots);
    for (size_t i = 0; i < c->nparts; i++)
        conf_part_free(&c->parts[i]);
    free(c->parts);
    for (size_t i = 0; i < c->nqueues; i++)
        conf_queue_free(&c->queues[i]);
    free(c->queues);
    for (size_t i = 0; i < c->npolicies; i++)
        conf_policy_free(&c->policies[i]);
    free(c->policies);
    free(c->path);
    free(c);
}

const struct conf_node *conf_node_find(const conf_t *c, const char *name)
{
    long i = conf_node_idx(c, name);
    return i >= 0 ? &c->nodes[i] : NULL;
}

const struct conf_node *conf_part_node(const conf_t *c, const struct conf_partition *p,
                                       size_t k)
{
    return &c->nodes[p->node_idx[k]];
}

const struct conf_partition *conf_part_find(const conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (strcmp(c->parts[i].name, name) == 0)
            return &c->parts[i];
    return NULL;
}

const struct conf_partition *conf_part_default(const conf_t *c)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].is_default)
            return &c->parts[i];
    return NULL;
}

int conf_is_operator(const conf_t *c, const char *user)
{
    for (size_t i = 0; i < c->noperators; i++)
        if (strcmp(c->operators[i], user) == 0)
            return 1;
    return 0;
}
