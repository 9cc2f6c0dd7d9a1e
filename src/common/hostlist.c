/* hostlist.c: expand and compress Slurm-style host lists.
 *
 * Expansion accepts items separated by commas or blanks.  An item is text
 * with any number of bracket groups, each a comma list of N or N-M:
 * "n[1-3,7]", "rack[1-2]-a", "r[1-2]n[01-04]" (groups multiply out, the
 * leftmost varying slowest).  A range is as wide as its start as written,
 * so "n[08-10]" keeps the zero.
 *
 * Compression splits each name into prefix, number (the last run of digits)
 * and suffix; names sharing prefix and suffix collect into one bracket
 * group, in the order the groups first appear, numbers kept in list order
 * so that a sorted list gives the shortest result. */
#include "hostlist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number a range may hold; keeps arithmetic far from overflow. */
#define HL_MAX_DIGITS 18

struct hostlist {
    char **names;
    size_t n, cap;
};

hostlist_t *hostlist_create(void)
{
    return calloc(1, sizeof(hostlist_t));
}

void hostlist_destroy(hostlist_t *hl)
{
    if (!hl)
        return;
    for (size_t i = 0; i < hl->n; i++)
        free(hl->names[i]);
    free(hl->names);
    free(hl);
}

static int hostlist_append(hostlist_t *hl, char *name)
{
    if (hl->n == hl->cap) {
        size_t cap = hl->cap ? hl->cap * 2 : 16;
        char **p = realloc(hl->names, cap * sizeof(*p));
        if (!p)
            return -1;
        hl->names = p;
        hl->cap = cap;
    }
    hl->names[hl->n++] = name;
    return 0;
}

int hostlist_push_host(hostlist_t *hl, const char *name)
{
    char *copy = strdup(name);
    if (!copy || hostlist_append(hl, copy) < 0) {
        free(copy);
        return -1;
    }
    return 0;
}

/* Expansion state for one item of an expression. */
struct expand {
    hostlist_t *hl;
    const char *item;     /* the whole item, for messages */
    size_t limit;         /* names the list may hold at most */
    sl_error_t *e;
};

static int parse_number(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > HL_MAX_DIGITS)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* One element of a bracket list: "7" or "10-12". */
struct range {
    uint64_t lo, hi;
    int width;
};

static int range_parse(struct expand *x, const char *s, size_t len, struct range *r)
{
    const char *dash = memchr(s, '-', len);
    size_t lolen = dash ? (size_t)(dash - s) : len;

    if (len == 0)
        return sl_errprintf(x->e, "empty range in host list '%s'", x->item);
    if (parse_number(s, lolen, &r->lo) < 0
        || (dash && parse_number(dash + 1, len - lolen - 1, &r->hi) < 0))
        return sl_errprintf(x->e, "bad range '%.*s' in host list '%s'", (int)len, s,
                            x->item);
    if (!dash)
        r->hi = r->lo;
    if (r->hi < r->lo)
        return sl_errprintf(x->e, "reversed range '%.*s' in host list '%s'", (int)len,
                            s, x->item);
    if (r->hi - r->lo >= HOSTLIST_MAX)
        return sl_errprintf(x->e, "too many hosts in host list '%s' (at most %d)",
                            x->item, HOSTLIST_MAX);
    r->width = (int)lolen;
    return 0;
}

static int expand_rest(struct expand *x, const char *head, size_t hlen, const char *rest);

/* Expand every number of the bracket list [open+1, close) in turn. */
static int expand_group(struct expand *x, const char *head, size_t hlen,
                        const char *open, const char *close)
{
    const char *p = open + 1;

    if (p == close)
        return sl_errprintf(x->e, "empty range in host list '%s'", x->item);
    while (p <= close) {
        const char *end = memchr(p, ',', (size_t)(close - p));
        struct range r = { 0, 0, 0 };
        if (!end)
            end = close;
        if (range_parse(x, p, (size_t)(end - p), &r) < 0)
            return -1;
        for (uint64_t v = r.lo; v <= r.hi; v++) {
            char num[HL_MAX_DIGITS + 2];
            int nlen = snprintf(num, sizeof(num), "%0*" PRIu64, r.width, v);
            char *buf = malloc(hlen + (size_t)nlen + 1);
            int rc;
            if (!buf)
                return sl_errprintf(x->e, "out of memory");
            memcpy(buf, head, hlen);
            memcpy(buf + hlen, num, (size_t)nlen + 1);
            rc = expand_rest(x, buf, hlen + (size_t)nlen, close + 1);
            free(buf);
            if (rc < 0)
                return -1;
        }
        p = end + 1;
    }
    return 0;
}

/* head (hlen bytes) is already expanded; rest is what follows in the item. */
static int expand_rest(struct expand *x, const char *head, size_t hlen, const char *rest)
{
    const char *open = strchr(rest, '[');
    const char *close = strchr(rest, ']');
    char *name;

    if (!open) {
        if (close)
            return sl_errprintf(x->e, "unbalanced brackets in host list '%s'", x->item);
        if (x->hl->n >= x->limit)
            return sl_errprintf(x->e, "too many hosts in host list '%s' (at most %d)",
                                x->item, HOSTLIST_MAX);
        name = malloc(hlen + strlen(rest) + 1);
        if (!name)
            return sl_errprintf(x->e, "out of memory");
        memcpy(name, head, hlen);
        strcpy(name + hlen, rest);
        if (hostlist_append(x->hl, name) < 0) {
            free(name);
            return sl_errprintf(x->e, "out of memory");
        }
        return 0;
    }
    if (!close || close < open || memchr(open + 1, '[', (size_t)(close - open - 1)))
        return sl_errprintf(x->e, "unbalanced brackets in host list '%s'", x->item);
    {
        size_t plen = (size_t)(open - rest);
        char *buf = malloc(hlen + plen + 1);
        int rc;
        if (!buf)
            return sl_errprintf(x->e, "out of memory");
        memcpy(buf, head, hlen);
        memcpy(buf + hlen, rest, plen);
        buf[hlen + plen] = '\0';
        rc = expand_group(x, buf, hlen + plen, open, close);
        free(buf);
        return rc;
    }
}

/* Length of the item starting at s: up to a comma or blank outside brackets. */
static size_t item_length(const char *s)
{
    size_t i = 0;
    int depth = 0;
    for (; s[i]; i++) {
        if (s[i] == '[')
            depth++;
        else if (s[i] == ']')
            depth--;
        else if (depth <= 0 && (s[i] == ',' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
            break;
    }
    return i;
}

int hostlist_push(hostlist_t *hl, const char *expr, sl_error_t *e)
{
    size_t start = hl->n;
    const char *p = expr;

    while (*p) {
        size_t len = item_length(p);
        if (len > 0) {
            char *item = strndup(p, len);
            struct expand x = { hl, item, HOSTLIST_MAX, e };
            int rc = item ? expand_rest(&x, "", 0, item) : sl_errprintf(e, "out of memory");
            free(item);
            if (rc < 0) {
                while (hl->n > start)
                    free(hl->names[--hl->n]);
                return -1;
            }
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

size_t hostlist_count(const hostlist_t *hl)
{
    return hl->n;
}

const char *hostlist_nth(const hostlist_t *hl, size_t i)
{
    return i < hl->n ? hl->names[i] : NULL;
}

long hostlist_find(const hostlist_t *hl, const char *name)
{
    for (size_t i = 0; i < hl->n; i++)
        if (strcmp(hl->names[i], name) == 0)
            return (long)i;
    return -1;
}

/* A name seen as prefix, number and suffix.  nlen is 0 if it has no number
 * (or one too long to be worth treating as one). */
struct hname {
    const char *s;
    size_t plen, nlen;
    uint64_t num;
};

static struct hname hname_split(const char *s)
{
    struct hname h = { s, strlen(s), 0, 0 };
    size_t end = h.plen, start;

    while (end > 0 && (s[end - 1] < '0' || s[end - 1] > '9'))
        end--;
    start = end;
    while (start > 0 && s[start - 1] >= '0' && s[start - 1] <= '9')
        start--;
    if (end > start && parse_number(s + start, end - start, &h.num) == 0) {
        h.plen = start;
        h.nlen = end - start;
    }
    return h;
}

static const char *hname_suffix(const struct hname *h)
{
    return h->s + h->plen + h->nlen;
}

static int hname_same_group(const struct hname *a, const struct hname *b)
{
    return a->nlen && b->nlen && a->plen == b->plen
        && memcmp(a->s, b->s, a->plen) == 0
        && strcmp(hname_suffix(a), hname_suffix(b)) == 0;
}

/* Natural order: prefix, then number, then width, then suffix. */
static int hname_cmp(const void *pa, const void *pb)
{
    struct hname a = hname_split(*(char *const *)pa);
    struct hname b = hname_split(*(char *const *)pb);
    size_t plen = a.plen < b.plen ? a.plen : b.plen;
    int c = memcmp(a.s, b.s, plen);

    if (c)
        return c;
    if (a.plen != b.plen || !a.nlen || !b.nlen)
        return strcmp(a.s, b.s);
    if (a.num != b.num)
        return a.num < b.num ? -1 : 1;
    if (a.nlen != b.nlen)
        return a.nlen < b.nlen ? -1 : 1;
    return strcmp(hname_suffix(&a), hname_suffix(&b));
}

void hostlist_uniq(hostlist_t *hl)
{
    size_t out = 0;
    if (hl->n < 2)
        return;
    qsort(hl->names, hl->n, sizeof(char *), hname_cmp);
    for (size_t i = 0; i < hl->n; i++) {
        if (out > 0 && strcmp(hl->names[out - 1], hl->names[i]) == 0)
            free(hl->names[i]);
        else
            hl->names[out++] = hl->names[i];
    }
    hl->n = out;
}

/* A growing output string. */
struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if (!(p = realloc(b->s, cap))) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Does number v, printed as wide as a range of width w, read as h wrote it? */
static int fits_width(const struct hname *h, int w)
{
    return h->nlen == (size_t)w || (h->nlen > (size_t)w && h->s[h->plen] != '0');
}

/* One range of a bracket group; the first needs no comma before it. */
static void range_emit(struct sbuf *b, int first, uint64_t lo, uint64_t hi, int w)
{
    char num[2 * HL_MAX_DIGITS + 8];
    int len = lo == hi
        ? snprintf(num, sizeof(num), "%s%0*" PRIu64, first ? "" : ",", w, lo)
        : snprintf(num, sizeof(num), "%s%0*" PRIu64 "-%0*" PRIu64, first ? "" : ",", w, lo,
                   w, hi);
    sbuf_add(b, num, (size_t)len);
}

/* Emit the numbers of every name in the group whose first member is
 * names[first], marking them done. */
static void emit_group(struct sbuf *b, char **names, size_t n, size_t first, char *done)
{
    struct hname g = hname_split(names[first]);
    size_t count = 0, open_at;
    uint64_t lo = 0, hi = 0;
    int w = 0;

    sbuf_add(b, g.s, g.plen);
    open_at = b->len;
    for (size_t i = first; i < n; i++) {
        struct hname h = hname_split(names[i]);
        if (done[i] || !hname_same_group(&g, &h))
            continue;
        done[i] = 1;
        if (count && h.num == hi + 1 && fits_width(&h, w)) {
            hi = h.num;
            continue;
        }
        if (count)
            range_emit(b, count == 1, lo, hi, w);
        lo = hi = h.num;
        w = (int)h.nlen;
        count++;
    }
    range_emit(b, count == 1, lo, hi, w);
    /* One lone number needs no brackets. */
    if (!b->failed && (count > 1 || lo != hi)) {
        sbuf_add(b, "[", 1);
        if (!b->failed) {
            memmove(b->s + open_at + 1, b->s + open_at, b->len - open_at - 1);
            b->s[open_at] = '[';
        }
        sbuf_add(b, "]", 1);
    }
    sbuf_add(b, hname_suffix(&g), strlen(hname_suffix(&g)));
}

char *hostlist_ranged_string(const hostlist_t *hl)
{
    struct sbuf b = { NULL, 0, 0, 0 };
    char *done = calloc(hl->n ? hl->n : 1, 1);

    if (!done)
        return NULL;
    sbuf_add(&b, "", 0);
    for (size_t i = 0; i < hl->n; i++) {
        if (done[i])
            continue;
        if (b.len)
            sbuf_add(&b, ",", 1);
        if (hname_split(hl->names[i]).nlen) {
            emit_group(&b, hl->names, hl->n, i, done);
        } else {
            sbuf_add(&b, hl->names[i], strlen(hl->names[i]));
            done[i] = 1;
        }
    }
    free(done);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

hostlist_t *hostlist_expand(const char *expr, sl_error_t *e)
{
    hostlist_t *hl = hostlist_create();
    if (!hl) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    if (hostlist_push(hl, expr, e) < 0) {
        hostlist_destroy(hl);
        return NULL;
    }
    return hl;
}

char *hostlist_compress(const char *expr, sl_error_t *e)
{
    hostlist_t *hl = hostlist_expand(expr, e);
    char *s;
    if (!hl)
        return NULL;
    s = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    if (!s)
        sl_errprintf(e, "out of memory");
    return s;
}
