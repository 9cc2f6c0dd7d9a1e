/* ec2_api.c: see ec2_api.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ec2_api.h"
#include "ec2_http.h"
#include "sigv4.h"

#define EC2_VERSION "2016-11-15"

int ec2_api_init(struct ec2_api *a, const char *region, const char *endpoint,
                 const char *profile, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->region, sizeof(a->region), "%s", region);
    if (endpoint && *endpoint)
        snprintf(a->url, sizeof(a->url), "%s", endpoint);
    else
        snprintf(a->url, sizeof(a->url), "https://ec2.%s.amazonaws.com/", region);
    const char *p = strstr(a->url, "://");
    if (!p || (strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0)) {
        snprintf(err, errlen, "Ec2Endpoint=%s is not an http:// or https:// URL", a->url);
        return -1;
    }
    p += 3;
    size_t hl = strcspn(p, "/?#");
    if (hl == 0 || hl >= sizeof(a->host) || p[hl] == '?' || p[hl] == '#') {
        snprintf(err, errlen, "Ec2Endpoint=%s: a host, and a path without a query, expected",
                 a->url);
        return -1;
    }
    memcpy(a->host, p, hl);
    a->host[hl] = '\0';
    snprintf(a->path, sizeof(a->path), "%s", p[hl] ? p + hl : "/");
    snprintf(a->creds.profile, sizeof(a->creds.profile), "%s", profile ? profile : "");
    a->timeout_s = 60;
    a->max_attempts = 6;
    a->backoff_base_s = 0.2;
    a->backoff_cap_s = 8;
    a->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    return 0;
}

static void form_raw(struct ec2_form *f, const char *s)
{
    size_t n = strlen(s);
    char *t = f->oom ? NULL : realloc(f->s, f->len + n + 1);
    if (!t) {
        f->oom = 1;
        return;
    }
    memcpy(t + f->len, s, n + 1);
    f->s = t;
    f->len += n;
}

void ec2_form_add(struct ec2_form *f, const char *key, const char *value)
{
    char *k = sigv4_uri_encode(key, strlen(key)), *v = sigv4_uri_encode(value, strlen(value));
    if (!k || !v)
        f->oom = 1;
    form_raw(f, f->len ? "&" : "");
    form_raw(f, k ? k : "");
    form_raw(f, "=");
    form_raw(f, v ? v : "");
    free(k);
    free(v);
}

void ec2_form_addf(struct ec2_form *f, const char *value, const char *keyfmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, keyfmt);
    vsnprintf(key, sizeof(key), keyfmt, ap);
    va_end(ap);
    ec2_form_add(f, key, value);
}

void ec2_form_free(struct ec2_form *f)
{
    free(f->s);
    memset(f, 0, sizeof(*f));
}

enum ec2_err_kind ec2_err_classify(const char *code, long status)
{
    static const char *const throttle[] = { "RequestLimitExceeded", "Throttling",
        "ThrottlingException", "RequestThrottled", "ServiceUnavailable", "Unavailable",
        "InternalError", "InternalFailure", NULL };
    static const char *const capacity[] = { "InsufficientInstanceCapacity", "Unsupported",
        "InsufficientHostCapacity", "InsufficientCapacity", "InstanceLimitExceeded",
        "MaxSpotInstanceCountExceeded", "SpotMaxPriceTooLow", NULL };
    static const char *const auth[] = { "AuthFailure", "UnauthorizedOperation",
        "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "OptInRequired",
        "Blocked", "MissingAuthenticationToken", "IncompleteSignature",
        "AuthFailure.ServiceLinkedRoleCreationNotPermitted", NULL };
    for (size_t i = 0; throttle[i]; i++)
        if (strcmp(code, throttle[i]) == 0)
            return EC2_THROTTLED;
    for (size_t i = 0; capacity[i]; i++)
        if (strcmp(code, capacity[i]) == 0)
            return EC2_CAPACITY;
    for (size_t i = 0; auth[i]; i++)
        if (strcmp(code, auth[i]) == 0)
            return EC2_AUTH;
    if (!*code && (status >= 500 || status == 429))
        return EC2_THROTTLED;
    if (!*code && (status == 401 || status == 403))
        return EC2_AUTH;
    return EC2_OTHER;
}

/* The signed request; its answer in r.  0, or -1 with e filled. */
static int call_once(struct ec2_api *a, const struct ec2_form *form, struct http_resp *r,
                     struct ec2_err *e)
{
    struct ec2_creds c;
    char err[600];
    if (ec2_creds_get(&a->creds, &c, err, sizeof(err)) < 0) {
        *e = (struct ec2_err){ EC2_AUTH, "NoCredentials", "" };
        snprintf(e->message, sizeof(e->message), "%s", err);
        return -1;
    }
    const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
    struct sigv4_req req = { .method = "POST", .target = a->path, .body = form->s,
                             .body_len = form->len };
    req.headers[0] = (struct sigv4_header){ "Host", a->host };
    req.headers[1] = (struct sigv4_header){ "Content-Type", (char *)ctype };
    req.nheaders = 2;
    struct sigv4_params p = { a->region, "ec2", time(NULL), 1, 0, 0 };
    struct sigv4_result s;
    struct sigv4_creds sc = { c.access, c.secret, c.token[0] ? c.token : NULL };
    if (sigv4_sign(&req, &sc, &p, &s, err, sizeof(err)) < 0) {
        *e = (struct ec2_err){ EC2_OTHER, "Signing", "" };
        snprintf(e->message, sizeof(e->message), "%s", err);
        return -1;
    }
    char h_host[300], h_type[100], h_date[40], *h_tok = NULL, *h_auth = NULL;
    snprintf(h_host, sizeof(h_host), "Host: %s", a->host);
    snprintf(h_type, sizeof(h_type), "Content-Type: %s", ctype);
    snprintf(h_date, sizeof(h_date), "X-Amz-Date: %s", s.amz_date);
    int ok = asprintf(&h_auth, "Authorization: %s", s.authorization) >= 0;
    if (sc.token)
        ok = ok && asprintf(&h_tok, "X-Amz-Security-Token: %s", sc.token) >= 0;
    const char *hs[] = { h_host, h_type, h_date, h_auth, h_tok, NULL };
    int rc = ok ? http_request("POST", a->url, hs, form->s ? form->s : "", a->timeout_s, r, err,
                               sizeof(err))
                : (snprintf(err, sizeof(err), "out of memory"), -1);
    sigv4_result_free(&s);
    free(h_auth);
    free(h_tok);
    if (rc < 0) {
        *e = (struct ec2_err){ EC2_TRANSPORT, "Unreachable", "" };
        snprintf(e->message, sizeof(e->message), "%s", err);
    }
    return rc;
}

/* An error answer: <Response><Errors><Error><Code>, <Message>. */
static void answer_error(const struct http_resp *r, struct xml *x, struct ec2_err *e)
{
    const struct xml *er = x ? xml_path(x, "Errors/Error") : NULL;
    if (!er && x)
        er = xml_child(x, "Error");
    const char *code = er ? xml_text(er, "Code") : NULL, *msg = er ? xml_text(er, "Message") : NULL;
    snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
    e->kind = ec2_err_classify(e->code, r->status);
    snprintf(e->message, sizeof(e->message), "%s%s%s (HTTP %ld)", code ? code : "HTTP error",
             msg ? ": " : "", msg ? msg : "", r->status);
}

static void backoff(struct ec2_api *a, int attempt)
{
    double d = a->backoff_base_s;
    for (int i = 0; i < attempt && d < a->backoff_cap_s; i++)
        d *= 2;
    if (d > a->backoff_cap_s)
        d = a->backoff_cap_s;
    /* Equal jitter: half fixed, half random, so callers spread out. */
    d = d / 2 + d / 2 * ((double)rand_r(&a->seed) / RAND_MAX);
    struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int ec2_call(struct ec2_api *a, const struct ec2_form *form, struct xml **out,
             struct ec2_err *e)
{
    struct ec2_form f = { 0 };
    form_raw(&f, form->s ? form->s : "");
    ec2_form_add(&f, "Version", EC2_VERSION);
    *out = NULL;
    memset(e, 0, sizeof(*e));
    if (f.oom || form->oom) {
        ec2_form_free(&f);
        *e = (struct ec2_err){ EC2_OTHER, "NoMemory", "out of memory" };
        return -1;
    }
    for (int attempt = 0;; attempt++) {
        struct http_resp r;
        char xerr[128];
        if (attempt)
            backoff(a, attempt - 1);
        if (call_once(a, &f, &r, e) == 0) {
            struct xml *x = xml_parse(r.body, r.len, xerr, sizeof(xerr));
            if (r.status == 200 && x) {
                http_resp_free(&r);
                ec2_form_free(&f);
                *out = x;
                return 0;
            }
            answer_error(&r, x, e);
            if (r.status == 200)
                snprintf(e->message, sizeof(e->message), "an answer that is not XML: %s", xerr);
            xml_free(x);
            http_resp_free(&r);
        }
        int again = e->kind == EC2_THROTTLED || e->kind == EC2_TRANSPORT;
        if (!again || attempt + 1 >= a->max_attempts) {
            if (again)
                snprintf(e->message + strlen(e->message), sizeof(e->message) - strlen(e->message),
                         " (gave up after %d tries)", attempt + 1);
            break;
        }
    }
    ec2_form_free(&f);
    return -1;
}
