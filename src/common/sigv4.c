/* sigv4.c: AWS Signature Version 4 signing (see sigv4.h).  The steps are
 * AWS's: canonical request -> string to sign -> key derived from the
 * secret by date, region and service -> HMAC -> Authorization header. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "sigv4.h"

struct buf {
    char *s;
    size_t len, cap;
    int oom;
};

static void buf_addn(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s) { buf_addn(b, s, strlen(s)); }

static char *buf_take(struct buf *b)
{
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    if (!b->s)
        return strdup("");
    return b->s;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, n, out);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void encode_into(struct buf *b, const char *s, size_t len, int keep_slash)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char pct[4];
        if (unreserved(c) || (keep_slash && c == '/')) {
            buf_addn(b, (const char *)&c, 1);
        } else {
            snprintf(pct, sizeof(pct), "%%%02X", c);
            buf_addn(b, pct, 3);
        }
    }
}

char *sigv4_uri_encode(const char *s, size_t len)
{
    struct buf b = { 0 };
    encode_into(&b, s, len, 0);
    return buf_take(&b);
}

/* RFC 3986 5.2.4 on the segments, and empty segments dropped; a trailing
 * slash is kept. */
static char *normalize_path(const char *path, size_t len)
{
    char **segs = calloc(len + 1, sizeof(char *));
    size_t n = 0, i = 0;
    struct buf b = { 0 };
    if (!segs)
        return NULL;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t sl = j - i;
        if (sl == 0 || (sl == 1 && path[i] == '.')) {
            /* nothing */
        } else if (sl == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (n)
                free(segs[--n]);     /* ".." drops the segment before it */
        } else {
            segs[n++] = strndup(path + i, sl);
        }
        i = j + 1;
    }
    for (size_t k = 0; k < n; k++) {
        buf_add(&b, "/");
        if (!segs[k])
            b.oom = 1;
        else
            buf_add(&b, segs[k]);
        free(segs[k]);
    }
    /* "/a/" and "/a/." keep the slash that ends a directory. */
    int dir_end = len > 0 && (path[len - 1] == '/' ||
                              (path[len - 1] == '.' && (len == 1 || path[len - 2] == '/' ||
                                                        (path[len - 2] == '.' &&
                                                         (len == 2 || path[len - 3] == '/')))));
    if (n == 0 || dir_end)
        buf_add(&b, "/");
    free(segs);
    return buf_take(&b);
}

char *sigv4_canonical_uri(const char *path, size_t len, int normalize)
{
    char *norm = normalize ? normalize_path(path, len) : strndup(path, len);
    struct buf b = { 0 };
    if (!norm)
        return NULL;
    if (!*norm)
        buf_add(&b, "/");
    encode_into(&b, norm, strlen(norm), 1);
    free(norm);
    return buf_take(&b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes then re-encodes, so that "%E1" and a raw byte agree. */
static char *reencode(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    size_t n = 0;
    if (!d)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < len && (h = hexval(s[i + 1])) >= 0 &&
            (l = hexval(s[i + 2])) >= 0) {
            d[n++] = (char)(h * 16 + l);
            i += 2;
        } else {
            d[n++] = s[i];
        }
    }
    char *e = sigv4_uri_encode(d, n);
    free(d);
    return e;
}

struct qparam {
    char *key, *value;
};

static int qcmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

char *sigv4_canonical_query(const char *q)
{
    size_t cap = 1, n = 0;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    struct qparam *ps = calloc(cap, sizeof(*ps));
    struct buf b = { 0 };
    if (!ps)
        return NULL;
    while (*q) {
        size_t len = strcspn(q, "&");
        if (len) {
            const char *eq = memchr(q, '=', len);
            size_t kl = eq ? (size_t)(eq - q) : len;
            ps[n].key = reencode(q, kl);
            ps[n].value = eq ? reencode(eq + 1, len - kl - 1) : strdup("");
            if (!ps[n].key || !ps[n].value)
                b.oom = 1;
            n++;
        }
        q += len + (q[len] == '&');
    }
    if (!b.oom)
        qsort(ps, n, sizeof(*ps), qcmp);
    for (size_t i = 0; i < n; i++) {
        if (!b.oom) {
            buf_add(&b, i ? "&" : "");
            buf_add(&b, ps[i].key);
            buf_add(&b, "=");
            buf_add(&b, ps[i].value);
        }
        free(ps[i].key);
        free(ps[i].value);
    }
    free(ps);
    return buf_take(&b);
}

/* Trimmed, inner runs of spaces (and folded lines) made one space. */
static void add_trimmed(struct buf *b, const char *v)
{
    int space = 0, any = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            space = any;
            continue;
        }
        if (space)
            buf_add(b, " ");
        space = 0;
        any = 1;
        buf_addn(b, v, 1);
    }
}

struct hdr {
    char *name;
    const char *value;
    size_t order;
};

static int hcmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* The canonical headers and the signed header list, sorted by name, values
 * of repeated names joined with commas in the order given. */
static void canonical_headers(const struct sigv4_header *h, size_t n, struct buf *ch,
                              struct buf *sh)
{
    struct hdr *hs = calloc(n ? n : 1, sizeof(*hs));
    if (!hs) {
        ch->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        hs[i].name = strdup(h[i].name);
        if (!hs[i].name) {
            ch->oom = 1;
            hs[i].name = strdup("");
        }
        for (char *c = hs[i].name ? hs[i].name : ""; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        hs[i].value = h[i].value;
        hs[i].order = i;
    }
    qsort(hs, n, sizeof(*hs), hcmp);
    for (size_t i = 0; i < n; i++) {
        const char *name = hs[i].name ? hs[i].name : "";
        int first = i == 0 || strcmp(name, hs[i - 1].name ? hs[i - 1].name : "") != 0;
        if (first) {
            buf_add(ch, i ? "\n" : "");
            buf_add(ch, name);
            buf_add(ch, ":");
            buf_add(sh, i ? ";" : "");
            buf_add(sh, name);
        } else {
            buf_add(ch, ",");
        }
        add_trimmed(ch, hs[i].value);
    }
    buf_add(ch, "\n");
    for (size_t i = 0; i < n; i++)
        free(hs[i].name);
    free(hs);
}

__attribute__((format(printf, 3, 4))) static void fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

static char *canonical_request(const struct sigv4_req *r, const struct sigv4_header *h, size_t n,
                               const struct sigv4_params *p, const char *payload, char **signed_h)
{
    struct buf b = { 0 }, ch = { 0 }, sh = { 0 };
    const char *q = strchr(r->target, '?');
    size_t plen = q ? (size_t)(q - r->target) : strlen(r->target);
    char *uri = sigv4_canonical_uri(r->target, plen, p->normalize);
    char *query = sigv4_canonical_query(q ? q + 1 : "");
    canonical_headers(h, n, &ch, &sh);
    char *chs = buf_take(&ch);
    *signed_h = buf_take(&sh);
    if (uri && query && chs && *signed_h) {
        buf_add(&b, r->method);
        buf_add(&b, "\n");
        buf_add(&b, uri);
        buf_add(&b, "\n");
        buf_add(&b, query);
        buf_add(&b, "\n");
        buf_add(&b, chs);
        buf_add(&b, "\n");
        buf_add(&b, *signed_h);
        buf_add(&b, "\n");
        buf_add(&b, payload);
    } else {
        b.oom = 1;
    }
    free(uri);
    free(query);
    free(chs);
    return buf_take(&b);
}

static void signing_key(const char *secret, const char *date, const struct sigv4_params *p,
                        unsigned char key[32])
{
    size_t kl = strlen(secret) + 5;
    char *k = malloc(kl);
    if (!k) {
        memset(key, 0, 32);
        return;
    }
    snprintf(k, kl, "AWS4%s", secret);
    hmac(k, kl - 1, date, key);
    free(k);
    hmac(key, 32, p->region, key);
    hmac(key, 32, p->service, key);
    hmac(key, 32, "aws4_request", key);
}

int sigv4_sign(const struct sigv4_req *r, const struct sigv4_creds *c,
               const struct sigv4_params *p, struct sigv4_result *out, char *err, size_t errlen)
{
    struct sigv4_header h[SIGV4_MAX_HEADERS];
    size_t n = r->nheaders;
    struct tm tm;
    char date[9], scope[256];
    memset(out, 0, sizeof(*out));
    if (n + 3 > SIGV4_MAX_HEADERS)
        return fail(err, errlen, "sigv4: more than %d headers", SIGV4_MAX_HEADERS - 3), -1;
    memcpy(h, r->headers, n * sizeof(*h));
    gmtime_r(&p->when, &tm);
    strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    sigv4_sha256_hex(r->body ? r->body : "", r->body_len, out->payload_hash);
    h[n++] = (struct sigv4_header){ "x-amz-date", out->amz_date };
    if (c->token && *c->token && !p->omit_token)
        h[n++] = (struct sigv4_header){ "x-amz-security-token", (char *)c->token };
    if (p->sign_body)
        h[n++] = (struct sigv4_header){ "x-amz-content-sha256", out->payload_hash };
    char *signed_h = NULL;
    out->canonical = canonical_request(r, h, n, p, out->payload_hash, &signed_h);
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, p->region, p->service);
    char creq_hash[65];
    if (out->canonical)
        sigv4_sha256_hex(out->canonical, strlen(out->canonical), creq_hash);
    if (!out->canonical || !signed_h ||
        asprintf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date, scope,
                 creq_hash) < 0) {
        out->string_to_sign = NULL;
        free(signed_h);
        sigv4_result_free(out);
        return fail(err, errlen, "sigv4: out of memory"), -1;
    }
    unsigned char key[32], sig[32];
    signing_key(c->secret_key, date, p, key);
    hmac(key, 32, out->string_to_sign, sig);
    hex(sig, 32, out->signature);
    if (asprintf(&out->authorization,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 c->access_key, scope, signed_h, out->signature) < 0)
        out->authorization = NULL;
    free(signed_h);
    if (!out->authorization) {
        sigv4_result_free(out);
        return fail(err, errlen, "sigv4: out of memory"), -1;
    }
    return 0;
}

void sigv4_result_free(struct sigv4_result *out)
{
    free(out->canonical);
    free(out->string_to_sign);
    free(out->authorization);
    out->canonical = out->string_to_sign = out->authorization = NULL;
}

int sigv4_add_header(struct sigv4_req *r, const char *name, const char *value)
{
    if (r->nheaders >= SIGV4_MAX_HEADERS)
        return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    r->headers[r->nheaders++] = (struct sigv4_header){ n, v };
    return 0;
}

/* A folded line (leading white space) continues the previous value. */
static int parse_header(struct sigv4_req *r, const char *line, size_t len, char *err,
                        size_t errlen)
{
    if ((line[0] == ' ' || line[0] == '\t') && r->nheaders) {
        struct sigv4_header *h = &r->headers[r->nheaders - 1];
        size_t vl = strlen(h->value);
        char *v = realloc(h->value, vl + len + 2);
        if (!v)
            return fail(err, errlen, "sigv4: out of memory"), -1;
        v[vl] = '\n';
        memcpy(v + vl + 1, line, len);
        v[vl + 1 + len] = '\0';
        h->value = v;
        return 0;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return fail(err, errlen, "sigv4: header line without a name and a colon"), -1;
    if (r->nheaders >= SIGV4_MAX_HEADERS)
        return fail(err, errlen, "sigv4: more than %d headers", SIGV4_MAX_HEADERS), -1;
    char *n = strndup(line, (size_t)(colon - line));
    char *v = strndup(colon + 1, len - (size_t)(colon - line) - 1);
    if (!n || !v || memchr(line, '\0', len)) {
        free(n);
        free(v);
        return fail(err, errlen, "sigv4: bad header line"), -1;
    }
    r->headers[r->nheaders++] = (struct sigv4_header){ n, v };
    return 0;
}

static int parse_request_line(struct sigv4_req *r, const char *line, size_t len, char *err,
                              size_t errlen)
{
    const char *sp = memchr(line, ' ', len);
    const char *end = line + len;
    const char *ver = NULL;
    for (const char *p = line; sp && p + 6 <= end; p++)
        if (memcmp(p, " HTTP/", 6) == 0)
            ver = p;
    if (!sp || !ver || ver <= sp || memchr(line, '\0', len))
        return fail(err, errlen, "sigv4: the first line is not METHOD TARGET HTTP/x"), -1;
    r->method = strndup(line, (size_t)(sp - line));
    r->target = strndup(sp + 1, (size_t)(ver - sp - 1));
    if (!r->method || !r->target)
        return fail(err, errlen, "sigv4: out of memory"), -1;
    return 0;
}

int sigv4_parse(const char *text, size_t len, struct sigv4_req *r, char *err, size_t errlen)
{
    size_t i = 0;
    int first = 1;
    memset(r, 0, sizeof(*r));
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - text - i) : len - i;
        size_t next = i + ll + (nl != NULL);
        if (ll && text[i + ll - 1] == '\r')
            ll--;
        if (!first && ll == 0) {
            i = next;
            break;
        }
        int rc = first ? parse_request_line(r, text + i, ll, err, errlen)
                       : parse_header(r, text + i, ll, err, errlen);
        if (rc < 0) {
            sigv4_req_free(r);
            return -1;
        }
        first = 0;
        i = next;
    }
    if (first) {
        sigv4_req_free(r);
        return fail(err, errlen, "sigv4: empty request"), -1;
    }
    r->body_len = len - i;
    r->body = malloc(r->body_len + 1);
    if (!r->body) {
        sigv4_req_free(r);
        return fail(err, errlen, "sigv4: out of memory"), -1;
    }
    memcpy(r->body, text + i, r->body_len);
    r->body[r->body_len] = '\0';
    return 0;
}

void sigv4_req_free(struct sigv4_req *r)
{
    free(r->method);
    free(r->target);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->body);
    memset(r, 0, sizeof(*r));
}
