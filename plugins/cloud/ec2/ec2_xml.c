/* ec2_xml.c: see ec2_xml.h.  A recursive descent over the text: an element
 * is "<name attrs>" children and text "</name>" or "<name attrs/>". */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ec2_xml.h"

#define XML_MAX_DEPTH 64

struct rd {
    const char *s, *end;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3))) static void *bad(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!r->err[0])
        vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return NULL;
}

static int starts(struct rd *r, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(r->end - r->s) >= n && memcmp(r->s, lit, n) == 0;
}

/* Skips past the next occurrence of lit; 0 if there is none. */
static int skip_past(struct rd *r, const char *lit)
{
    size_t n = strlen(lit);
    for (const char *p = r->s; p + n <= r->end; p++)
        if (memcmp(p, lit, n) == 0) {
            r->s = p + n;
            return 1;
        }
    return 0;
}

/* Comments, processing instructions, DOCTYPE: 0 when none was there. */
static int skip_misc(struct rd *r)
{
    if (starts(r, "<!--"))
        return skip_past(r, "-->") ? 1 : -1;
    if (starts(r, "<?"))
        return skip_past(r, "?>") ? 1 : -1;
    if (starts(r, "<!DOCTYPE"))
        return skip_past(r, ">") ? 1 : -1;
    return 0;
}

static void put_utf8(char *out, size_t *n, unsigned long c)
{
    if (c < 0x80) {
        out[(*n)++] = (char)c;
    } else if (c < 0x800) {
        out[(*n)++] = (char)(0xC0 | (c >> 6));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (c >> 12));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (c >> 18));
        out[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    }
}

/* Appends the decoded text [p, e) to *text (a reference never grows). */
static int add_text(struct rd *r, char **text, size_t *tlen, const char *p, const char *e,
                    int raw)
{
    char *t = realloc(*text, *tlen + (size_t)(e - p) + 1);
    if (!t)
        return bad(r, "out of memory"), -1;
    *text = t;
    while (p < e) {
        if (raw || *p != '&') {
            t[(*tlen)++] = *p++;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(e - p));
        if (!semi || semi - p > 10)
            return bad(r, "a bare '&' in text"), -1;
        static const struct { const char *name; char c; } ents[] = {
            { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
        };
        size_t len = (size_t)(semi - p) + 1, k;
        for (k = 0; k < 5; k++)
            if (strlen(ents[k].name) == len && memcmp(p, ents[k].name, len) == 0)
                break;
        if (k < 5) {
            t[(*tlen)++] = ents[k].c;
        } else if (p[1] == '#') {
            char num[12];
            memcpy(num, p + 2, len - 3);
            num[len - 3] = '\0';
            char *end;
            unsigned long c = num[0] == 'x' ? strtoul(num + 1, &end, 16) : strtoul(num, &end, 10);
            if (*end || end == num || (num[0] == 'x' && end == num + 1) || c == 0 ||
                c > 0x10FFFF || len < 4)
                return bad(r, "a bad character reference"), -1;
            put_utf8(t, tlen, c);     /* at most 4 bytes: "&#N;" is as long */
        } else {
            return bad(r, "an unknown entity"), -1;
        }
        p = semi + 1;
    }
    t[*tlen] = '\0';
    return 0;
}

static int name_char(char c)
{
    return c && !strchr(" \t\r\n/>=<\"'", c);
}

static struct xml *element(struct rd *r, int depth);

/* Children and text up to "</name>". */
static int content(struct rd *r, struct xml *x, const char *qname, size_t qlen, int depth)
{
    struct xml **tail = &x->child;
    size_t tlen = 0;
    for (;;) {
        const char *lt = memchr(r->s, '<', (size_t)(r->end - r->s));
        if (!lt)
            return bad(r, "<%s> is not closed", x->name), -1;
        if (add_text(r, &x->text, &tlen, r->s, lt, 0) < 0)
            return -1;
        r->s = lt;
        int m = skip_misc(r);
        if (m < 0)
            return bad(r, "an unterminated comment or instruction"), -1;
        if (m)
            continue;
        if (starts(r, "<![CDATA[")) {
            const char *p = r->s + 9;
            r->s = p;
            if (!skip_past(r, "]]>"))
                return bad(r, "an unterminated CDATA section"), -1;
            if (add_text(r, &x->text, &tlen, p, r->s - 3, 1) < 0)
                return -1;
            continue;
        }
        if (starts(r, "</")) {
            r->s += 2;
            if ((size_t)(r->end - r->s) < qlen + 1 || memcmp(r->s, qname, qlen) != 0 ||
                name_char(r->s[qlen]))
                return bad(r, "</...> does not close <%s>", x->name), -1;
            r->s += qlen;
            while (r->s < r->end && *r->s && strchr(" \t\r\n", *r->s))
                r->s++;
            if (r->s >= r->end || *r->s != '>')
                return bad(r, "a bad end tag for <%s>", x->name), -1;
            r->s++;
            return 0;
        }
        struct xml *c = element(r, depth + 1);
        if (!c)
            return -1;
        *tail = c;
        tail = &c->next;
    }
}

static struct xml *element(struct rd *r, int depth)
{
    if (depth > XML_MAX_DEPTH)
        return bad(r, "elements nested deeper than %d", XML_MAX_DEPTH);
    if (r->s >= r->end || *r->s != '<')
        return bad(r, "an element was expected");
    const char *qname = ++r->s;
    while (r->s < r->end && name_char(*r->s))
        r->s++;
    size_t qlen = (size_t)(r->s - qname);
    if (!qlen)
        return bad(r, "an element without a name");
    const char *colon = memrchr(qname, ':', qlen);
    const char *local = colon ? colon + 1 : qname;
    if (local == qname + qlen)
        return bad(r, "an element whose name ends with ':'");
    struct xml *x = calloc(1, sizeof(*x));
    if (!x || !(x->name = strndup(local, (size_t)(qname + qlen - local))) ||
        !(x->text = strdup(""))) {
        xml_free(x);
        return bad(r, "out of memory");
    }
    /* Attributes: skipped, quotes respected. */
    char quote = 0;
    while (r->s < r->end && (quote || (*r->s != '>' && *r->s != '<'))) {
        if (quote && *r->s == quote)
            quote = 0;
        else if (!quote && (*r->s == '"' || *r->s == '\''))
            quote = *r->s;
        r->s++;
    }
    if (r->s >= r->end || *r->s != '>') {
        bad(r, "<%.64s> is not closed", x->name);
        xml_free(x);
        return NULL;
    }
    int empty = r->s[-1] == '/' && r->s - 1 > qname + qlen - 1;
    r->s++;
    if (!empty && content(r, x, qname, qlen, depth) < 0) {
        xml_free(x);
        return NULL;
    }
    return x;
}

struct xml *xml_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct rd r = { text, text + len, err, errlen };
    err[0] = '\0';
    for (;;) {
        while (r.s < r.end && *r.s && strchr(" \t\r\n", *r.s))
            r.s++;
        int m = skip_misc(&r);
        if (m < 0)
            return bad(&r, "an unterminated comment or instruction");
        if (!m)
            break;
    }
    struct xml *x = element(&r, 0);
    if (!x && !err[0])
        bad(&r, "not XML");
    return x;
}

void xml_free(struct xml *x)
{
    while (x) {
        struct xml *next = x->next;
        xml_free(x->child);
        free(x->name);
        free(x->text);
        free(x);
        x = next;
    }
}

struct xml *xml_child(const struct xml *x, const char *name)
{
    for (struct xml *c = x ? x->child : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

struct xml *xml_path(const struct xml *x, const char *path)
{
    char part[128];
    const struct xml *cur = x;
    while (cur && *path) {
        size_t n = strcspn(path, "/");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        cur = xml_child(cur, part);
        path += n + (path[n] == '/');
    }
    return (struct xml *)cur;
}

const char *xml_text(const struct xml *x, const char *path)
{
    const struct xml *n = xml_path(x, path);
    return n ? n->text : NULL;
}
