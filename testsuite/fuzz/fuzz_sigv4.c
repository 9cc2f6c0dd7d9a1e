/* fuzz_sigv4.c: SigV4's request parser and canonicalisation (sigv4.c).
 * Promises checked: a request that parses can be signed (unless it has too
 * many headers), the canonical query holds only unreserved characters,
 * %XX, '=' and '&', and the canonical URI starts with '/'. */
#include <ctype.h>
#include "fuzz.h"
#include "sigv4.h"

static void check_encoded(const char *s, const char *extra)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            FUZZ_CHECK(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]),
                       "'%s': bad escape", s);
            continue;
        }
        FUZZ_CHECK(isalnum(c) || strchr("-_.~", c) || strchr(extra, c) ||
                       isxdigit(c), "'%s': raw byte %02x", s, c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sigv4_req r;
    char err[256] = "";
    if (size > 4096)
        return 0;
    if (sigv4_parse((const char *)data, size, &r, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0], "refused without a message");
    } else {
        struct sigv4_creds c = { "AKIDEXAMPLE", "secret", size & 1 ? "token" : NULL };
        struct sigv4_params p = { "us-east-1", "ec2", 1440938160, (int)(size & 2), (int)(size & 4),
                                  0 };
        struct sigv4_result out;
        int rc = sigv4_sign(&r, &c, &p, &out, err, sizeof(err));
        FUZZ_CHECK(rc == 0 || r.nheaders + 3 > SIGV4_MAX_HEADERS, "sign failed: %s", err);
        if (rc == 0) {
            FUZZ_CHECK(strncmp(out.authorization, "AWS4-HMAC-SHA256 Credential=", 28) == 0,
                       "authorization '%s'", out.authorization);
            sigv4_result_free(&out);
        }
        sigv4_req_free(&r);
    }
    char *s = fuzz_str(data, size);
    char *q = sigv4_canonical_query(s);
    char *u = sigv4_canonical_uri(s, strlen(s), (int)(size & 1));
    FUZZ_CHECK(q && u, "out of memory");
    check_encoded(q, "=&");
    check_encoded(u, "/");
    FUZZ_CHECK(u[0] == '/' || !(size & 1), "uri '%s'", u);
    free(q);
    free(u);
    free(s);
    return 0;
}
