/* jtape.c: in-place JSON parsing into a flat token array (see jtape.h). */
#include "jtape.h"

#include <stdlib.h>
#include <string.h>

#define JT_MAX_DEPTH 64

struct jp {
    struct jtape *tp;
    char *p, *end;
    sl_error_t *e;
};

static int jp_fail(struct jp *j, const char *what)
{
    return sl_errprintf(j->e, "malformed JSON at byte %zu: %s",
                        (size_t)(j->p - j->tp->text), what);
}

static void skip_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static size_t tok_new(struct jp *j, enum jt_type type)
{
    struct jtape *tp = j->tp;
    if (tp->n == tp->cap) {
        /* A value takes two bytes of text or more ("0,"): start near there. */
        size_t cap = tp->cap ? tp->cap * 2 : (size_t)(j->end - j->p) / 6 + 64;
        struct jt_tok *t = realloc(tp->t, cap * sizeof(*t));
        if (!t)
            return JT_NONE;
        tp->t = t;
        tp->cap = cap;
    }
    memset(&tp->t[tp->n], 0, sizeof(tp->t[0]));
    tp->t[tp->n].type = (unsigned)type & 7u;
    return tp->n++;
}

static int hex4(const char *s, unsigned *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *out = *out << 4 | (unsigned)d;
    }
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* "\uXXXX" at j->p (after the backslash and 'u'), a surrogate pair joined. */
static int unescape_u(struct jp *j, char **o)
{
    unsigned cp, lo;
    if (j->end - j->p < 4 || hex4(j->p, &cp) < 0)
        return jp_fail(j, "bad \\u escape");
    j->p += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return jp_fail(j, "lone low surrogate");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) < 0
            || lo < 0xdc00 || lo > 0xdfff)
            return jp_fail(j, "unpaired high surrogate");
        j->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    *o = put_utf8(*o, cp);
    return 0;
}

/* The string at j->p (after its quote), unescaped in place; the output is
 * never longer than the input, so it cannot overtake the reader. */
static int parse_str(struct jp *j, size_t k)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char *start = j->p, *o = j->p;
    for (;;) {
        char *q = j->p;
        while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if (o != j->p)
            memmove(o, j->p, (size_t)(q - j->p));
        o += q - j->p;
        j->p = q;
        if (j->p >= j->end)
            return jp_fail(j, "unterminated string");
        if (*j->p == '"')
            break;
        if ((unsigned char)*j->p < 0x20)
            return jp_fail(j, "control character in string");
        const char *f = ++j->p < j->end && *j->p ? strchr(from, *j->p) : NULL;
        if (j->p < j->end && *j->p == 'u') {
            j->p++;
            if (unescape_u(j, &o) < 0)
                return -1;
        } else if (f) {
            *o++ = to[f - from];
            j->p++;
        } else {
            return jp_fail(j, "bad escape");
        }
    }
    j->p++;         /* the closing quote */
    *o = '\0';      /* o <= the quote's position: inside the text */
    j->tp->t[k].v.s = start;
    j->tp->t[k].n = (uint32_t)(o - start);
    return 0;
}

/* Integers are read here (the common case, without a copy); the rest by
 * strtod. */
static int parse_num(struct jp *j, size_t k)
{
    char *q = j->p, *stop;
    int neg = q < j->end && *q == '-', real = 0;
    uint64_t v = 0;
    q += neg;
    if (q >= j->end || *q < '0' || *q > '9')
        return jp_fail(j, "unexpected character");
    for (; q < j->end && *q >= '0' && *q <= '9'; q++) {
        real |= v > (UINT64_MAX - 9) / 10;
        v = v * 10 + (uint64_t)(*q - '0');
    }
    real |= q < j->end && (*q == '.' || *q == 'e' || *q == 'E');
    real |= v > (uint64_t)INT64_MAX + (uint64_t)neg;
    if (!real) {
        j->tp->t[k].v.i = neg ? (int64_t)(0 - v) : (int64_t)v;
        j->p = q;
        return 0;
    }
    while (q < j->end && ((*q >= '0' && *q <= '9') || (*q && strchr(".eE+-", *q))))
        q++;
    /* strtod needs a NUL after the number, and the text may end right
     * there (nothing past len is ours): it reads a copy. */
    size_t len = (size_t)(q - j->p);
    char small[64], *num = len < sizeof(small) ? small : malloc(len + 1);
    if (!num)
        return sl_errprintf(j->e, "out of memory");
    memcpy(num, j->p, len);
    num[len] = '\0';
    j->tp->t[k].type = JT_REAL;
    j->tp->t[k].v.d = strtod(num, &stop);
    int bad = stop != num + len;
    if (num != small)
        free(num);
    if (bad)
        return jp_fail(j, "bad number");
    j->p = q;
    return 0;
}

static int parse_value(struct jp *j, int depth);

/* The members of an array or object, after its opening bracket. */
static int parse_members(struct jp *j, size_t k, int obj, int depth)
{
    char close = obj ? '}' : ']';
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (obj) {
            if (j->p >= j->end || *j->p != '"')
                return jp_fail(j, "expected a key");
            if (parse_value(j, depth) < 0)
                return -1;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return jp_fail(j, "expected ':'");
            j->p++;
        }
        if (parse_value(j, depth) < 0)
            return -1;
        j->tp->t[k].n++;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        return jp_fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(struct jp *j, int depth)
{
    static const struct { const char *word; enum jt_type type; } words[] = {
        { "null", JT_NULL }, { "true", JT_TRUE }, { "false", JT_FALSE },
    };
    const char *w = NULL;
    size_t k;
    int rc = 0;
    skip_ws(j);
    if (j->p >= j->end)
        return jp_fail(j, "unexpected end");
    if (depth > JT_MAX_DEPTH)
        return jp_fail(j, "nested too deeply");
    char c = *j->p;
    enum jt_type type = c == '"' ? JT_STR : c == '[' ? JT_ARR : c == '{' ? JT_OBJ : JT_INT;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (c == words[i].word[0])
            type = words[i].type, w = words[i].word;
    if ((k = tok_new(j, type)) == JT_NONE)
        return sl_errprintf(j->e, "out of memory");
    if (type == JT_STR || type == JT_ARR || type == JT_OBJ)
        j->p++;
    if (type == JT_STR)
        rc = parse_str(j, k);
    else if (type == JT_ARR || type == JT_OBJ)
        rc = parse_members(j, k, type == JT_OBJ, depth + 1);
    else if (type == JT_INT)
        rc = parse_num(j, k);
    else {
        size_t n = strlen(w);
        if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
            return jp_fail(j, "unexpected word");
        j->p += n;
    }
    j->tp->t[k].next = (uint32_t)j->tp->n;
    return rc;
}

int jtape_parse(struct jtape *tp, char *text, size_t len, sl_error_t *e)
{
    struct jp j = { tp, text, text + len, e };
    free(tp->text);
    tp->text = text;
    tp->n = 0;
    if (len >= (1u << 29))
        return sl_errprintf(e, "JSON text of %zu bytes is too large", len);
    if (parse_value(&j, 0) < 0)
        return -1;
    skip_ws(&j);
    if (j.p != j.end)
        return jp_fail(&j, "text after the value");
    return 0;
}

void jtape_free(struct jtape *tp)
{
    free(tp->text);
    free(tp->t);
    memset(tp, 0, sizeof(*tp));
}

size_t jtape_get(const struct jtape *tp, size_t obj, const char *key)
{
    if (obj >= tp->n || tp->t[obj].type != JT_OBJ)
        return JT_NONE;
    for (size_t i = obj + 1; i < tp->t[obj].next; i = tp->t[i + 1].next)
        if (strcmp(tp->t[i].v.s, key) == 0)
            return i + 1;
    return JT_NONE;
}

const char *jtape_str(const struct jtape *tp, size_t i)
{
    return i < tp->n && tp->t[i].type == JT_STR ? tp->t[i].v.s : NULL;
}

int64_t jtape_int(const struct jtape *tp, size_t i, int64_t dflt)
{
    return i < tp->n && tp->t[i].type == JT_INT ? tp->t[i].v.i : dflt;
}
