/* jsonw.c: JSON text into a growable buffer (see jsonw.h). */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w)
{
    memset(w, 0, sizeof(*w));
}

void jsonw_free(struct jsonw *w)
{
    free(w->buf);
    jsonw_init(w);
}

int jsonw_grow(struct jsonw *w, size_t need)
{
    size_t cap = w->cap ? w->cap : 4096;
    char *b;
    if (w->oom)
        return -1;
    if (w->len + need <= w->cap)
        return 0;
    while (cap < w->len + need)
        cap *= 2;
    if (!(b = realloc(w->buf, cap))) {
        w->oom = 1;
        return -1;
    }
    w->buf = b;
    w->cap = cap;
    return 0;
}

void jsonw_text(struct jsonw *w, const char *s)
{
    jsonw_raw(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c > 0xf4 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    unsigned cp;
    if (!n)
        return 0;
    cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* One byte (or sequence) that needs care: an escape, or U+FFFD. */
static size_t str_special(struct jsonw *w, const unsigned char *s)
{
    static const char short_esc[] = "\"\"\\\\\bb\ff\nn\rr\tt";
    char esc[8];
    size_t n;
    if (*s >= 0x80) {
        if ((n = utf8_len(s)) > 0) {
            jsonw_raw(w, (const char *)s, n);
            return n;
        }
        jsonw_raw(w, "\\ufffd", 6);
        return 1;
    }
    for (const char *p = short_esc; *p; p += 2) {
        if (*p == (char)*s) {
            esc[0] = '\\';
            esc[1] = p[1];
            jsonw_raw(w, esc, 2);
            return 1;
        }
    }
    snprintf(esc, sizeof(esc), "\\u%04x", *s);
    jsonw_raw(w, esc, 6);
    return 1;
}

void jsonw_str(struct jsonw *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *run;
    if (!s) {
        jsonw_null(w);
        return;
    }
    jsonw_char(w, '"');
    while (*s) {
        /* Copy the plain bytes in one go. */
        for (run = s; *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\'; s++)
            ;
        jsonw_raw(w, (const char *)run, (size_t)(s - run));
        if (*s)
            s += str_special(w, s);
    }
    jsonw_char(w, '"');
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    jsonw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jsonw_bool(struct jsonw *w, int v)
{
    if (v)
        jsonw_raw(w, "true", 4);
    else
        jsonw_raw(w, "false", 5);
}

void jsonw_null(struct jsonw *w)
{
    jsonw_raw(w, "null", 4);
}

void jsonw_json(struct jsonw *w, const json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!text) {
        jsonw_null(w);
        return;
    }
    jsonw_raw(w, text, strlen(text));
    free(text);
}
