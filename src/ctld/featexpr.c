/* featexpr.c: see featexpr.h.  A tiny recursive-descent evaluator over the
 * expression text: constraints are short and checked per node. */
#include "featexpr.h"

#include <string.h>

struct fx {
    const char *p;
    const char *have;   /* the node's features, comma list */
    int alt;            /* bracket alternative wanted, -1 any */
    int brackets;       /* seen so far (check mode) */
    const char *err;
};

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ':';
}

static int has(const char *list, const char *name, size_t len)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, len) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* A name; its truth for the node. */
static int fx_name(struct fx *x)
{
    const char *s = x->p;
    while (name_char(*x->p))
        x->p++;
    if (x->p == s) {
        x->err = *x->p ? "a feature name was expected" : "the expression ends early";
        return 0;
    }
    return has(x->have, s, (size_t)(x->p - s));
}

static int fx_factor(struct fx *x)
{
    if (*x->p != '[')
        return fx_name(x);
    if (x->brackets++) {
        x->err = "only one [...] group is allowed";
        return 0;
    }
    x->p++;
    int any = 0;
    for (int i = 0;; i++) {
        int v = fx_name(x);
        if (x->err)
            return 0;
        if (x->alt < 0 ? v : (i == x->alt && v))
            any = 1;
        if (*x->p == ']')
            break;
        if (*x->p != '|') {
            x->err = "inside [...] only names joined by '|' are allowed";
            return 0;
        }
        x->p++;
    }
    x->p++;
    return any;
}

static int fx_and(struct fx *x)
{
    int v = fx_factor(x);
    while (!x->err && *x->p == '&') {
        x->p++;
        v = fx_factor(x) && v;
    }
    return v;
}

static int fx_or(struct fx *x)
{
    int v = fx_and(x);
    while (!x->err && *x->p == '|') {
        x->p++;
        v = fx_and(x) || v;
    }
    if (!x->err && *x->p)
        x->err = "unexpected character";
    return v;
}

int featexpr_check(const char *expr, sl_error_t *e)
{
    struct fx x = { expr, "", -1, 0, NULL };
    fx_or(&x);
    if (x.err)
        return sl_errprintf(e, "Invalid feature specification '%s': %s at offset %d", expr,
                            x.err, (int)(x.p - expr));
    return 0;
}

int featexpr_alts(const char *expr)
{
    const char *b = strchr(expr, '[');
    int n = 1;
    if (!b)
        return 0;
    for (const char *p = b; *p && *p != ']'; p++)
        n += *p == '|';
    return n;
}

int featexpr_match(const char *expr, const char *node_features, int alt)
{
    struct fx x = { expr, node_features ? node_features : "", alt, 0, NULL };
    int v = fx_or(&x);
    return !x.err && v;
}
