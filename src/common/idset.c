#include "idset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct idset {
    uint32_t size;    /* ids 0..size-1 */
    uint32_t count;
    uint64_t *bits;
};

idset_t *idset_create(uint32_t size)
{
    idset_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->size = size;
    s->bits = calloc((size + 63) / 64 + 1, sizeof(uint64_t));
    if (!s->bits) {
        free(s);
        return NULL;
    }
    return s;
}

void idset_destroy(idset_t *s)
{
    if (s) {
        free(s->bits);
        free(s);
    }
}

idset_t *idset_copy(const idset_t *s)
{
    idset_t *c = idset_create(s->size);
    if (c) {
        memcpy(c->bits, s->bits, ((s->size + 63) / 64 + 1) * sizeof(uint64_t));
        c->count = s->count;
    }
    return c;
}

int idset_test(const idset_t *s, uint32_t id)
{
    return id < s->size && (s->bits[id / 64] >> (id % 64)) & 1;
}

void idset_set(idset_t *s, uint32_t id)
{
    if (id < s->size && !idset_test(s, id)) {
        s->bits[id / 64] |= UINT64_C(1) << (id % 64);
        s->count++;
    }
}

void idset_clear(idset_t *s, uint32_t id)
{
    if (idset_test(s, id)) {
        s->bits[id / 64] &= ~(UINT64_C(1) << (id % 64));
        s->count--;
    }
}

uint32_t idset_count(const idset_t *s) { return s->count; }
uint32_t idset_size(const idset_t *s) { return s->size; }

uint32_t idset_next(const idset_t *s, uint32_t id)
{
    uint32_t i = id == IDSET_NONE ? 0 : id + 1;
    while (i < s->size) {
        uint64_t w = s->bits[i / 64] >> (i % 64);
        if (w)
            return i + (uint32_t)__builtin_ctzll(w) < s->size ? i + (uint32_t)__builtin_ctzll(w)
                                                               : IDSET_NONE;
        i = (i / 64 + 1) * 64;
    }
    return IDSET_NONE;
}

uint32_t idset_first(const idset_t *s)
{
    return idset_next(s, IDSET_NONE);
}

uint32_t idset_last(const idset_t *s)
{
    for (uint32_t w = (s->size + 63) / 64; w-- > 0;) {
        if (s->bits[w])
            return w * 64 + 63 - (uint32_t)__builtin_clzll(s->bits[w]);
    }
    return IDSET_NONE;
}

static int parse_num(const char **p, uint32_t *out)
{
    char *end;
    if (!isdigit((unsigned char)**p))
        return -1;
    errno = 0;
    unsigned long v = strtoul(*p, &end, 10);
    if (errno || v > UINT32_MAX - 1)
        return -1;
    *out = (uint32_t)v;
    *p = end;
    return 0;
}

/* One item: N, N-M or N-M:S. */
static int decode_item(idset_t *s, const char **p, uint32_t limit, sl_error_t *e)
{
    const char *start = *p;
    uint32_t lo, hi, step = 1;
    if (parse_num(p, &lo) < 0)
        return sl_errprintf(e, "expected a number at '%s'", start);
    hi = lo;
    if (**p == '-') {
        (*p)++;
        if (parse_num(p, &hi) < 0)
            return sl_errprintf(e, "expected a number after '-' in '%s'", start);
        if (hi < lo)
            return sl_errprintf(e, "range %u-%u runs backwards", lo, hi);
        if (**p == ':') {
            (*p)++;
            if (parse_num(p, &step) < 0 || step == 0)
                return sl_errprintf(e, "step must be a positive number in '%s'", start);
        }
    }
    if (hi >= limit)
        return sl_errprintf(e, "index %u is too large: indices must be below MaxArraySize=%u",
                            hi, limit);
    for (uint64_t i = lo; i <= hi; i += step)
        idset_set(s, (uint32_t)i);
    return 0;
}

idset_t *idset_decode(const char *expr, uint32_t limit, uint32_t *throttle, sl_error_t *e)
{
    const char *p = expr;
    idset_t *s = idset_create(limit);
    if (throttle)
        *throttle = 0;
    if (!s) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    while (*p && *p != '%') {
        if (decode_item(s, &p, limit, e) < 0)
            goto fail;
        if (*p == ',')
            p++;
        else if (*p && *p != '%') {
            sl_errprintf(e, "unexpected '%c'", *p);
            goto fail;
        }
    }
    if (*p == '%') {
        uint32_t t;
        p++;
        if (parse_num(&p, &t) < 0 || *p || t == 0) {
            sl_errprintf(e, "the %% throttle must be a positive number");
            goto fail;
        }
        if (throttle)
            *throttle = t;
    }
    if (idset_count(s) == 0) {
        sl_errprintf(e, "no indices given");
        goto fail;
    }
    return s;
fail:
    sl_errprefix(e, "invalid array specification '%s'", expr);
    idset_destroy(s);
    return NULL;
}

char *idset_encode(const idset_t *s)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (uint32_t lo = idset_first(s); lo != IDSET_NONE;) {
        uint32_t hi = lo;
        while (hi + 1 < s->size && idset_test(s, hi + 1))
            hi++;
        char item[32];
        int n = hi > lo ? snprintf(item, sizeof(item), "%s%u-%u", len ? "," : "", lo, hi)
                        : snprintf(item, sizeof(item), "%s%u", len ? "," : "", lo);
        if (len + (size_t)n + 1 > cap) {
            cap = (len + (size_t)n + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + len, item, (size_t)n + 1);
        len += (size_t)n;
        lo = idset_next(s, hi);
    }
    return out;
}
