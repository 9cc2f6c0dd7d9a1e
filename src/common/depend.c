#include "depend.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_names[] = {
    "after", "afterany", "afterok", "afternotok", "aftercorr", "singleton", "sequential",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *depend_type_name(enum dep_type t)
{
    return type_names[t];
}

static int parse_u32(const char **p, uint32_t *out)
{
    char *end;
    if (!isdigit((unsigned char)**p))
        return -1;
    errno = 0;
    unsigned long v = strtoul(*p, &end, 10);
    if (errno || v == 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    *p = end;
    return 0;
}

static int dep_add(struct deplist *d, struct dep dep, sl_error_t *e)
{
    if (d->n >= DEPEND_MAX_IDS)
        return sl_errprintf(e, "too many dependencies: at most %d job ids", DEPEND_MAX_IDS);
    struct dep *grown = realloc(d->items, (d->n + 1) * sizeof(*grown));
    if (!grown)
        return sl_errprintf(e, "out of memory");
    d->items = grown;
    d->items[d->n++] = dep;
    return 0;
}

/* ID[_TASK][+MIN] */
static int parse_id(const char **p, enum dep_type t, struct dep *dep, sl_error_t *e)
{
    const char *start = *p;
    *dep = (struct dep){ t, 0, DEPEND_WHOLE, 0 };
    if (parse_u32(p, &dep->job_id) < 0)
        return sl_errprintf(e, "expected a job id at '%s'", start);
    if (**p == '_') {
        /* Task indices start at 0 (which parse_u32 refuses) and must fit
         * task_id, whose -1 means the whole array. */
        char *end = NULL;
        unsigned long task;
        (*p)++;
        errno = 0;
        task = isdigit((unsigned char)**p) ? strtoul(*p, &end, 10) : ULONG_MAX;
        if (errno || task > INT32_MAX)
            return sl_errprintf(e, "expected an array task index after '_' in '%s'", start);
        dep->task_id = (int32_t)task;
        *p = end;
    }
    if (**p == '+') {
        (*p)++;
        if (t != DEP_AFTER)
            return sl_errprintf(e, "'+minutes' is only allowed with after:");
        if (parse_u32(p, &dep->minutes) < 0)
            return sl_errprintf(e, "expected minutes after '+' in '%s'", start);
    }
    return 0;
}

static int parse_item(const char **p, struct deplist *d, sl_error_t *e)
{
    size_t len = strcspn(*p, ":,?");
    enum dep_type t = NTYPES;
    for (size_t i = 0; i < NTYPES; i++) {
        if (strlen(type_names[i]) == len && strncmp(*p, type_names[i], len) == 0)
            t = (enum dep_type)i;
    }
    if (t == NTYPES)
        return sl_errprintf(e, "unknown dependency type '%.*s'", (int)len, *p);
    *p += len;
    if (t == DEP_SINGLETON || t == DEP_SEQUENTIAL) {
        if (**p == ':')
            return sl_errprintf(e, "%s takes no job ids", type_names[t]);
        return dep_add(d, (struct dep){ t, 0, DEPEND_WHOLE, 0 }, e);
    }
    if (**p != ':')
        return sl_errprintf(e, "%s needs at least one job id (%s:ID)", type_names[t],
                            type_names[t]);
    while (**p == ':') {
        struct dep dep;
        (*p)++;
        if (parse_id(p, t, &dep, e) < 0 || dep_add(d, dep, e) < 0)
            return -1;
    }
    return 0;
}

int depend_parse(const char *expr, struct deplist *out, sl_error_t *e)
{
    const char *p = expr;
    char sep = 0;
    memset(out, 0, sizeof(*out));
    if (!*p) {
        sl_errprintf(e, "empty dependency");
        goto fail;
    }
    while (*p) {
        if (parse_item(&p, out, e) < 0)
            goto fail;
        if (!*p)
            break;
        if ((*p != ',' && *p != '?') || (sep && *p != sep)) {
            sl_errprintf(e, *p == ',' || *p == '?' ? "',' and '?' cannot be mixed"
                                                   : "unexpected '%c'", *p);
            goto fail;
        }
        sep = *p++;
        if (!*p) {
            sl_errprintf(e, "nothing after the last '%c'", sep);
            goto fail;
        }
    }
    out->any = sep == '?';
    return 0;
fail:
    sl_errprefix(e, "invalid dependency '%s'", expr);
    depend_free(out);
    return -1;
}

void depend_free(struct deplist *d)
{
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

char *depend_format(const struct deplist *d)
{
    size_t cap = 32 + d->n * 48;
    char *out = malloc(cap);
    size_t len = 0;
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const struct dep *x = &d->items[i];
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? (d->any ? "?" : ",") : "",
                                type_names[x->type]);
        if (x->job_id)
            len += (size_t)snprintf(out + len, cap - len, ":%u", x->job_id);
        if (x->task_id != DEPEND_WHOLE)
            len += (size_t)snprintf(out + len, cap - len, "_%d", x->task_id);
        if (x->minutes)
            len += (size_t)snprintf(out + len, cap - len, "+%u", x->minutes);
    }
    return out;
}
