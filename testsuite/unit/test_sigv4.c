/* test_sigv4.c: every case of AWS's official SigV4 test suite
 * (testsuite/data/sigv4/v4, from aws-c-auth, Apache 2.0: see its LICENSE).
 * Each case gives context.json (credentials, region, service, time,
 * normalize, sign_body, omit_session_token) and request.txt; the header
 * form's canonical request, string to sign, signature and Authorization
 * must match byte for byte.  The query (presigned URL) form is not checked:
 * the EC2 plugin signs headers only. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "sigv4.h"
#include "unit.h"

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, k, m);
    fclose(f);
    fclose(m);
    if (len)
        *len = n;
    return s;
}

static time_t parse_time(const char *iso)
{
    struct tm tm = { 0 };
    ck_assert_ptr_nonnull(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return timegm(&tm);
}

static void run_case(const char *dir)
{
    json_error_t je;
    char *ctxs = slurp(dir, "context.json", NULL);
    json_t *ctx = json_loads(ctxs, 0, &je);
    ck_assert_msg(ctx != NULL, "%s: %s", dir, je.text);
    json_t *cr = json_object_get(ctx, "credentials");
    struct sigv4_creds c = {
        json_string_value(json_object_get(cr, "access_key_id")),
        json_string_value(json_object_get(cr, "secret_access_key")),
        json_string_value(json_object_get(cr, "token")),
    };
    struct sigv4_params p = {
        json_string_value(json_object_get(ctx, "region")),
        json_string_value(json_object_get(ctx, "service")),
        parse_time(json_string_value(json_object_get(ctx, "timestamp"))),
        json_is_true(json_object_get(ctx, "normalize")),
        json_is_true(json_object_get(ctx, "sign_body")),
        json_is_true(json_object_get(ctx, "omit_session_token")),
    };
    size_t len;
    char *text = slurp(dir, "request.txt", &len), err[256] = "";
    struct sigv4_req r;
    ck_assert_msg(sigv4_parse(text, len, &r, err, sizeof(err)) == 0, "%s: %s", dir, err);
    struct sigv4_result out;
    ck_assert_msg(sigv4_sign(&r, &c, &p, &out, err, sizeof(err)) == 0, "%s: %s", dir, err);
    char *creq = slurp(dir, "header-canonical-request.txt", NULL);
    char *sts = slurp(dir, "header-string-to-sign.txt", NULL);
    char *sig = slurp(dir, "header-signature.txt", NULL);
    char *sreq = slurp(dir, "header-signed-request.txt", NULL);
    ck_assert_msg(strcmp(out.canonical, creq) == 0, "%s: canonical request\n%s\nwanted\n%s", dir,
                  out.canonical, creq);
    ck_assert_msg(strcmp(out.string_to_sign, sts) == 0, "%s: string to sign\n%s\nwanted\n%s",
                  dir, out.string_to_sign, sts);
    ck_assert_msg(strncmp(out.signature, sig, 64) == 0, "%s: signature", dir);
    char *authz = strstr(sreq, "\nAuthorization:");
    ck_assert_ptr_nonnull(authz);
    authz += strlen("\nAuthorization:");
    authz[strcspn(authz, "\r\n")] = '\0';
    ck_assert_str_eq(out.authorization, authz);
    sigv4_result_free(&out);
    sigv4_req_free(&r);
    free(creq);
    free(sts);
    free(sig);
    free(sreq);
    free(text);
    free(ctxs);
    json_decref(ctx);
}

START_TEST(test_official_suite)
{
    const char *top = TOP_SRCDIR "/testsuite/data/sigv4/v4";
    DIR *d = opendir(top);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/%s", top, de->d_name);
        run_case(dir);
        n++;
    }
    closedir(d);
    ck_assert_int_eq(n, 38);
}
END_TEST

START_TEST(test_pieces)
{
    char *s = sigv4_canonical_uri("/a/b/../c/./d/", 14, 1);
    ck_assert_str_eq(s, "/a/c/d/");
    free(s);
    s = sigv4_canonical_uri("", 0, 1);
    ck_assert_str_eq(s, "/");
    free(s);
    s = sigv4_canonical_query("b=2&a=%7e&a=1&c");
    ck_assert_str_eq(s, "a=1&a=~&b=2&c=");
    free(s);
    s = sigv4_uri_encode("a b+/=", 6);
    ck_assert_str_eq(s, "a%20b%2B%2F%3D");
    free(s);
    struct sigv4_req r;
    char err[128];
    ck_assert_int_eq(sigv4_parse("", 0, &r, err, sizeof(err)), -1);
    ck_assert_int_eq(sigv4_parse("GET /\n", 6, &r, err, sizeof(err)), -1);
    ck_assert_int_eq(sigv4_parse("GET / HTTP/1.1\nnocolon\n", 23, &r, err, sizeof(err)), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc = tcase_create("sigv4");
    tcase_add_test(tc, test_official_suite);
    tcase_add_test(tc, test_pieces);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
