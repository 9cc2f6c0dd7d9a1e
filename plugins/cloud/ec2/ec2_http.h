/* ec2_http.h: one HTTP request with libcurl (the EC2 endpoint, IMDS). */
#ifndef EC2_HTTP_H
#define EC2_HTTP_H

#include <stddef.h>

struct http_resp {
    long status;                 /* HTTP status; 0 when no answer came */
    char *body;                  /* NUL-terminated (malloc'd), or NULL */
    size_t len;
};

/* method "GET", "PUT" or "POST"; headers a NULL-terminated list of
 * "Name: value"; body may be NULL.  0 when an answer (any status) came, -1
 * with err naming the transport problem (connection refused, timeout). */
int http_request(const char *method, const char *url, const char *const *headers,
                 const char *body, long timeout_s, struct http_resp *out, char *err,
                 size_t errlen);
void http_resp_free(struct http_resp *r);

#endif
