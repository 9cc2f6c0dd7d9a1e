/* ec2_api.h: one EC2 Query API call (Version 2016-11-15): the parameters
 * form-encoded in a POST, signed with SigV4 (service "ec2"), retried with
 * exponential backoff and jitter while EC2 throttles (RequestLimitExceeded,
 * Throttling), answers 5xx or cannot be reached, and the answer's XML or
 * its error code classified. */
#ifndef EC2_API_H
#define EC2_API_H

#include <stddef.h>
#include "ec2_creds.h"
#include "ec2_xml.h"

enum ec2_err_kind {
    EC2_OK,
    EC2_THROTTLED,               /* retried here; returned when retries ran out */
    EC2_CAPACITY,                /* InsufficientInstanceCapacity, Unsupported: try another type */
    EC2_AUTH,                    /* AuthFailure, UnauthorizedOperation, bad signature... */
    EC2_TRANSPORT,               /* no answer */
    EC2_OTHER,
};

struct ec2_err {
    enum ec2_err_kind kind;
    char code[64];
    char message[512];
};

struct ec2_api {
    char url[512];               /* Ec2Endpoint, or https://ec2.REGION.amazonaws.com */
    char host[256];              /* its authority, the signed Host header */
    char path[256];
    char region[64];
    struct ec2_cred_src creds;
    long timeout_s;              /* per HTTP request */
    int max_attempts;            /* throttled or unreachable: tries in all */
    double backoff_base_s, backoff_cap_s;
    unsigned seed;
};

/* Fills a from the region and endpoint (NULL: EC2's public one). */
int ec2_api_init(struct ec2_api *a, const char *region, const char *endpoint,
                 const char *profile, char *err, size_t errlen);

/* A growing "k=v&k=v" form, values percent-encoded. */
struct ec2_form {
    char *s;
    size_t len;
    int oom;
};
void ec2_form_add(struct ec2_form *f, const char *key, const char *value);
void ec2_form_addf(struct ec2_form *f, const char *value, const char *keyfmt, ...)
    __attribute__((format(printf, 3, 4)));
void ec2_form_free(struct ec2_form *f);

/* 0 with *out the answer's tree, or -1 with e filled (a readable message
 * in e->message, prefixed with the code). */
int ec2_call(struct ec2_api *a, const struct ec2_form *form, struct xml **out,
             struct ec2_err *e);
/* The kind of an EC2 error code. */
enum ec2_err_kind ec2_err_classify(const char *code, long status);

#endif
