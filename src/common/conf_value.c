/* conf_value.c: set and show a configuration key's value by its type. */
#include "conf_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "parse.h"

const struct conf_key *conf_key_find(const struct conf_key *tab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(tab[i].name, name) == 0)
            return &tab[i];
    return NULL;
}

int conf_strset(char **dst, const char *src)
{
    char *copy = NULL;
    if (src && !(copy = strdup(src)))
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

/* Seconds as a plain number, or in time syntax when the value has a ':' or
 * '-' (a bare number there would mean minutes). */
static int seconds_parse(const char *val, int64_t min, int64_t max, int64_t *out,
                         sl_error_t *e)
{
    uint64_t u;
    int64_t t;

    if (!strpbrk(val, ":-")) {
        if (parse_u64(val, (uint64_t)min, (uint64_t)max, NULL, &u, e) < 0)
            return -1;
        *out = (int64_t)u;
        return 0;
    }
    if (parse_time_limit(val, &t, NULL) < 0)
        return sl_errprintf(e, "'%s' is neither seconds nor a time such as M:S or H:M:S", val);
    if (t == TIME_INFINITE || t < min || t > max)
        return sl_errprintf(e, "'%s' is out of range (%" PRId64 "-%" PRId64 " seconds)", val,
                            min, max);
    *out = t;
    return 0;
}

static int choice_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char known[256] = "";
    for (size_t i = 0; k->choices[i]; i++) {
        if (strcasecmp(val, k->choices[i]) == 0)
            return conf_strset(CONF_FIELD(obj, k, char *), k->choices[i]) < 0
                ? sl_errprintf(e, "out of memory") : 0;
        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                 i ? ", " : "", k->choices[i]);
    }
    return sl_errprintf(e, "'%s' is not one of %s", val, known);
}

/* The parse step for each type, writing the field on success. */
static int value_parse(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    uint64_t u;
    long l;
    int64_t t;

    switch (k->type) {
    case CT_STRING:
        if (!*val)
            return sl_errprintf(e, "empty value");
        /* fall through */
    case CT_OPT_STRING:
        if (conf_strset(CONF_FIELD(obj, k, char *), *val ? val : NULL) < 0)
            return sl_errprintf(e, "out of memory");
        return 0;
    case CT_INT:
        if (parse_int(val, k->min, k->max, NULL, &l, e) < 0)
            return -1;
        *CONF_FIELD(obj, k, int) = (int)l;
        return 0;
    case CT_U32:
        if (parse_u64(val, (uint64_t)k->min, (uint64_t)k->max, NULL, &u, e) < 0)
            return -1;
        *CONF_FIELD(obj, k, uint32_t) = (uint32_t)u;
        return 0;
    case CT_SECONDS:
        if (seconds_parse(val, k->min, k->max, &t, e) < 0)
            return -1;
        *CONF_FIELD(obj, k, int) = (int)t;
        return 0;
    case CT_SECONDS64:
        return seconds_parse(val, k->min, k->max, CONF_FIELD(obj, k, int64_t), e);
    case CT_TIME:
        return parse_time_limit(val, CONF_FIELD(obj, k, int64_t), e);
    case CT_MEM:
        return parse_mem_mb(val, CONF_FIELD(obj, k, uint64_t), e);
    case CT_BOOL:
        return parse_bool(val, CONF_FIELD(obj, k, int), e);
    case CT_CHOICE:
        return choice_set(k, obj, val, e);
    case CT_CUSTOM:
        return k->set(k, obj, val, e);
    }
    return sl_errprintf(e, "key has no type");
}

int conf_key_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    if (value_parse(k, obj, val, e) < 0)
        return sl_errprefix(e, "bad value for %s", k->name);
    return 0;
}

const char *conf_key_show(const struct conf_key *k, const void *obj, char *buf, size_t len)
{
    const char *s;

    switch (k->type) {
    case CT_STRING:
    case CT_OPT_STRING:
    case CT_CHOICE:
        s = *CONF_FIELD(obj, k, char *const);
        snprintf(buf, len, "%s", s ? s : "(null)");
        break;
    case CT_INT:
    case CT_SECONDS:
        snprintf(buf, len, "%d", *CONF_FIELD(obj, k, const int));
        break;
    case CT_U32:
        snprintf(buf, len, "%" PRIu32, *CONF_FIELD(obj, k, const uint32_t));
        break;
    case CT_SECONDS64:
        snprintf(buf, len, "%" PRId64, *CONF_FIELD(obj, k, const int64_t));
        break;
    case CT_TIME:
        format_duration(*CONF_FIELD(obj, k, const int64_t), buf, len);
        break;
    case CT_MEM:
        snprintf(buf, len, "%" PRIu64, *CONF_FIELD(obj, k, const uint64_t));
        break;
    case CT_BOOL:
        snprintf(buf, len, "%s", *CONF_FIELD(obj, k, const int) ? "YES" : "NO");
        break;
    case CT_CUSTOM:
        return k->show(k, obj, buf, len);
    }
    return buf;
}

void conf_key_free(const struct conf_key *k, void *obj)
{
    if (k->type == CT_STRING || k->type == CT_OPT_STRING || k->type == CT_CHOICE) {
        char **p = CONF_FIELD(obj, k, char *);
        free(*p);
        *p = NULL;
    }
}

int conf_keys_apply(const struct conf_key *tab, size_t ntab, void *obj, unsigned *set,
                    const struct conf_where *w, const struct conf_pair *kv, size_t n,
                    sl_error_t *e)
{
    for (size_t i = 1; i < n; i++) {
        const struct conf_key *k = conf_key_find(tab, ntab, kv[i].key);
        if (!k)
            return sl_errprintf(e, "%s:%d: unknown key '%s'", w->file, w->line, kv[i].key);
        if (conf_key_set(k, obj, kv[i].val, e) < 0)
            return sl_errprefix(e, "%s:%d", w->file, w->line);
        *set |= 1u << (k - tab);
    }
    return 0;
}
