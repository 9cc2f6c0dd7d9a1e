/* sigv4.h: AWS Signature Version 4 (header signing) with OpenSSL.
 *
 * sigv4_sign builds the canonical request, the string to sign, the
 * signature and the Authorization header of one HTTP request, and the
 * headers the caller must send with it (X-Amz-Date, X-Amz-Security-Token
 * when a session token is given, X-Amz-Content-Sha256 with sign_body).
 * sigv4_parse reads a raw HTTP request ("METHOD PATH HTTP/1.1", header
 * lines, a blank line, the body): the form of the official test suite,
 * and a fuzzing entry point.  Used by plugins/cloud/ec2; not part of
 * libcommon so that only it links libcrypto. */
#ifndef SL_SIGV4_H
#define SL_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_MAX_HEADERS 64

struct sigv4_header {
    char *name;
    char *value;
};

struct sigv4_req {
    char *method;
    char *target;                /* path, with "?query" if any, as sent */
    struct sigv4_header headers[SIGV4_MAX_HEADERS];
    size_t nheaders;
    char *body;
    size_t body_len;
};

struct sigv4_creds {
    const char *access_key;
    const char *secret_key;
    const char *token;           /* session token, or NULL */
};

struct sigv4_params {
    const char *region;
    const char *service;
    time_t when;
    int normalize;               /* remove dot segments and double slashes (all but S3) */
    int sign_body;               /* send and sign X-Amz-Content-Sha256 */
    int omit_token;              /* add the token header after signing (unsigned) */
};

/* Everything signing produced; free with sigv4_result_free. */
struct sigv4_result {
    char *canonical;
    char *string_to_sign;
    char signature[65];
    char *authorization;         /* the Authorization header's value */
    char amz_date[17];           /* X-Amz-Date: YYYYMMDDTHHMMSSZ */
    char payload_hash[65];
};

/* 0, or -1 with err naming the problem (a request with too many headers). */
int sigv4_sign(const struct sigv4_req *r, const struct sigv4_creds *c,
               const struct sigv4_params *p, struct sigv4_result *out, char *err, size_t errlen);
void sigv4_result_free(struct sigv4_result *out);

/* Parses text (len bytes) into r (owned strings; free with sigv4_req_free). */
int sigv4_parse(const char *text, size_t len, struct sigv4_req *r, char *err, size_t errlen);
void sigv4_req_free(struct sigv4_req *r);
/* Adds a header (copies name and value). */
int sigv4_add_header(struct sigv4_req *r, const char *name, const char *value);

/* The canonical pieces alone (malloc'd; NULL when out of memory). */
char *sigv4_canonical_uri(const char *path, size_t len, int normalize);
char *sigv4_canonical_query(const char *query);
/* Appends the RFC 3986 encoding of s (unreserved kept) to a buffer: helper
 * for callers that build query strings (returns malloc'd). */
char *sigv4_uri_encode(const char *s, size_t len);

/* Lowercase hex SHA-256 of data into hex[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
