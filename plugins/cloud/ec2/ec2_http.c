/* ec2_http.c: see ec2_http.h.  A fresh easy handle per request: requests
 * are few (one per cloud call) and each is on the cloud worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "ec2_http.h"

#define HTTP_MAX_BODY (16u << 20)

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct http_resp *r = arg;
    size_t add = size * n;
    if (r->len + add > HTTP_MAX_BODY)
        return 0;                /* curl fails the transfer: answer too large */
    char *b = realloc(r->body, r->len + add + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, data, add);
    r->body = b;
    r->len += add;
    b[r->len] = '\0';
    return add;
}

int http_request(const char *method, const char *url, const char *const *headers,
                 const char *body, long timeout_s, struct http_resp *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof(*out));
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    if (!h) {
        snprintf(err, errlen, "cannot start an HTTP request (curl)");
        return -1;
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *t = curl_slist_append(hl, headers[i]);
        if (t)
            hl = t;
    }
    /* No "Expect: 100-continue": one round trip, and the signed headers
     * are exactly what is sent. */
    struct curl_slist *t = curl_slist_append(hl, "Expect:");
    if (t)
        hl = t;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);   /* a thread of a daemon */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
        http_resp_free(out);
        return -1;
    }
    if (!out->body && !(out->body = calloc(1, 1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void http_resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}
