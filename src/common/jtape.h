/* jtape.h: a JSON reader that makes no allocation per value.  The text is
 * parsed in place into one flat array of tokens (a "tape"): strings are
 * unescaped where they lie and NUL-terminated there, numbers are converted
 * once.  squeue reads 100,000-row job_list replies with it; building a
 * jansson tree of them cost most of its time.
 *
 * Token 0 is the top value.  A container's members follow it; each token's
 * `next` is the index just past its whole value, so a sibling is t[i].next. */
#ifndef SL_JTAPE_H
#define SL_JTAPE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum jt_type { JT_NULL, JT_FALSE, JT_TRUE, JT_INT, JT_REAL, JT_STR, JT_ARR, JT_OBJ };

struct jt_tok {
    union {
        int64_t i;          /* JT_INT */
        double d;           /* JT_REAL */
        const char *s;      /* JT_STR: NUL-terminated, inside the text */
    } v;
    uint32_t next;
    uint32_t n : 29;        /* JT_STR: bytes; JT_ARR: elements; JT_OBJ: members */
    uint32_t type : 3;      /* enum jt_type; 16 bytes a token in all */
};

#define JT_NONE ((size_t)-1)

struct jtape {
    char *text;             /* owned: parsed in place */
    struct jt_tok *t;
    size_t n, cap;
};

/* Parse len bytes of text, taking ownership of it (malloc'd; nothing past
 * len is touched); the tape is cleared first.  -1 with e set on malformed JSON
 * (the text is still owned: call jtape_free). */
int jtape_parse(struct jtape *tp, char *text, size_t len, sl_error_t *e);
void jtape_free(struct jtape *tp);

/* The value of key in the object at obj, or JT_NONE. */
size_t jtape_get(const struct jtape *tp, size_t obj, const char *key);
/* Convenience readers: NULL / dflt when the token is absent or another type. */
const char *jtape_str(const struct jtape *tp, size_t i);
int64_t jtape_int(const struct jtape *tp, size_t i, int64_t dflt);

#endif
