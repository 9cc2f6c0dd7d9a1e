/* jsonw.h: JSON text written straight into a growable buffer, for replies
 * too large to build as a jansson tree first (job_list's rows: 100,000 jobs
 * would be a million jansson values).  The caller places the commas; the
 * helpers write one value each.  Strings are escaped as RFC 8259 requires;
 * bytes that are not valid UTF-8 become U+FFFD, so any reader accepts the
 * text. */
#ifndef SL_JSONW_H
#define SL_JSONW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jsonw {
    char *buf;
    size_t len, cap;
    int oom;            /* an allocation failed: the text is incomplete */
};

void jsonw_init(struct jsonw *w);
void jsonw_free(struct jsonw *w);
/* Room for n more bytes; -1 (and oom set) when it cannot be had. */
int jsonw_grow(struct jsonw *w, size_t n);

/* The two calls made per value: inline, growing only when full. */
static inline void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
    if (w->len + n <= w->cap || jsonw_grow(w, n) == 0) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

static inline void jsonw_char(struct jsonw *w, char c)
{
    if (w->len < w->cap || jsonw_grow(w, 1) == 0)
        w->buf[w->len++] = c;
}

/* Text that is JSON already (punctuation, keys known to need no escape). */
void jsonw_text(struct jsonw *w, const char *s);
/* A quoted, escaped string; null for NULL. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* Any jansson value, compact; null for NULL. */
void jsonw_json(struct jsonw *w, const json_t *v);

#endif
