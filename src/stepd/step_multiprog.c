#include "step_multiprog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct words {
    char **v;
    size_t n, cap;
};

static void words_push(struct words *w, char *s)
{
    if (w->n + 2 > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->v = realloc(w->v, w->cap * sizeof(*w->v));
        if (!w->v)
            abort();
    }
    w->v[w->n++] = s;
    w->v[w->n] = NULL;
}

void multiprog_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* Does ranks ("0,2-4", "*") hold rank?  *offset: its index in the list.
 * -1: malformed. */
static int ranks_match(const char *spec, uint32_t rank, uint32_t *offset)
{
    uint32_t seen = 0;
    const char *p = spec;

    if (!strcmp(spec, "*")) {
        *offset = rank;
        return 1;
    }
    while (*p) {
        char *end;
        unsigned long lo = strtoul(p, &end, 10), hi;
        if (end == p || !isdigit((unsigned char)*p))
            return -1;
        hi = lo;
        p = end;
        if (*p == '-') {
            hi = strtoul(p + 1, &end, 10);
            if (end == p + 1 || hi < lo)
                return -1;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
        if (rank >= lo && rank <= hi) {
            *offset = seen + (uint32_t)(rank - lo);
            return 1;
        }
        seen += (uint32_t)(hi - lo + 1);
    }
    return 0;
}

/* One word of a line, quotes removed, %t and %o replaced. */
static char *word_take(const char **pp, uint32_t rank, uint32_t offset)
{
    const char *p = *pp;
    size_t cap = 64, n = 0;
    char *out = malloc(cap), quote = 0;

    if (!out)
        abort();
    for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
        char tmp[16];
        const char *add = NULL;
        if (!quote && (*p == '\'' || *p == '"')) {
            quote = *p;
            continue;
        }
        if (quote && *p == quote) {
            quote = 0;
            continue;
        }
        if (p[0] == '%' && (p[1] == 't' || p[1] == 'o')) {
            snprintf(tmp, sizeof(tmp), "%u", p[1] == 't' ? rank : offset);
            add = tmp;
            p++;
        }
        size_t len = add ? strlen(add) : 1;
        if (n + len + 1 > cap) {
            cap = (n + len + 1) * 2;
            out = realloc(out, cap);
            if (!out)
                abort();
        }
        memcpy(out + n, add ? add : p, len);
        n += len;
    }
    out[n] = '\0';
    *pp = p;
    return out;
}

static char **line_argv(const char *p, uint32_t rank, uint32_t offset)
{
    struct words w = { 0 };

    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        words_push(&w, word_take(&p, rank, offset));
    }
    return w.v;
}

char **multiprog_argv(const char *text, uint32_t rank, sl_error_t *e)
{
    const char *line = text;
    unsigned lineno = 0;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *copy = strndup(line, len), *p = copy, *spec;
        uint32_t offset = 0;
        int m;

        if (!copy)
            abort();
        lineno++;
        line = nl ? nl + 1 : NULL;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#') {
            free(copy);
            continue;
        }
        spec = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
        m = ranks_match(spec, rank, &offset);
        if (m < 0) {
            sl_errprintf(e, "multi-prog line %u: invalid task list '%s'", lineno, spec);
            free(copy);
            return NULL;
        }
        if (m == 1) {
            char **argv = line_argv(p, rank, offset);
            free(copy);
            if (!argv)
                sl_errprintf(e, "multi-prog line %u: no program for task %u", lineno, rank);
            return argv;
        }
        free(copy);
    }
    sl_errprintf(e, "multi-prog: no program for task %u", rank);
    return NULL;
}
