#include "outpath.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launch.h"

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

static void sbuf_num(struct sbuf *b, unsigned long long v, int width)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%0*llu", width, v);
    sbuf_add(b, tmp, (size_t)n);
}

/* One %-sequence; returns 0 if c is not a known pattern letter. */
static int outpath_field(struct sbuf *b, const struct launch *l, char c, int width)
{
    int is_array = l->array_task_id >= 0;
    char tmp[64];

    switch (c) {
    case 'j': sbuf_num(b, l->job_id, width); break;
    case 'A': sbuf_num(b, is_array ? (uint64_t)l->array_job_id : l->job_id, width); break;
    case 'a':
        if (is_array)
            sbuf_num(b, (uint64_t)l->array_task_id, width);
        else
            sbuf_str(b, LAUNCH_NO_ARRAY_TASK);
        break;
    case 'J':
        if (l->step_id >= 0)
            snprintf(tmp, sizeof(tmp), "%llu.%lld", (unsigned long long)l->job_id,
                     (long long)l->step_id);
        else
            snprintf(tmp, sizeof(tmp), "%llu.batch", (unsigned long long)l->job_id);
        sbuf_str(b, tmp);
        break;
    case 's':
        if (l->step_id >= 0)
            sbuf_num(b, (uint64_t)l->step_id, width);
        else
            sbuf_str(b, "batch");
        break;
    case 'n': sbuf_num(b, (uint64_t)l->node_index, width); break;
    case 't': sbuf_num(b, (uint64_t)l->task_id, width); break;
    case 'x': sbuf_str(b, l->name); break;
    case 'u': sbuf_str(b, l->user); break;
    case 'N': sbuf_str(b, l->node_name); break;
    default: return 0;
    }
    return 1;
}

char *outpath_expand(const struct launch *l, const char *pattern)
{
    struct sbuf b = { 0 };
    const char *p = pattern;

    if (pattern[0] != '/') {
        sbuf_str(&b, l->cwd);
        if (b.len == 0 || b.p[b.len - 1] != '/')
            sbuf_add(&b, "/", 1);
    }
    while (*p) {
        const char *start = p;
        int width = 0;

        if (*p != '%') {
            sbuf_add(&b, p++, 1);
            continue;
        }
        p++;
        if (*p == '%') {
            sbuf_add(&b, "%", 1);
            p++;
            continue;
        }
        while (isdigit((unsigned char)*p) && width < 10)
            width = width * 10 + (*p++ - '0');
        if (*p && outpath_field(&b, l, *p, width)) {
            p++;
            continue;
        }
        sbuf_add(&b, start, (size_t)(p - start));   /* unknown: keep as written */
    }
    if (!b.p)
        sbuf_add(&b, "", 0);
    return b.p;
}
