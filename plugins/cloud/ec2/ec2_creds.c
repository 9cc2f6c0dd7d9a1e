/* ec2_creds.c: see ec2_creds.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "ec2_creds.h"
#include "ec2_http.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define REFRESH_MARGIN_S 300

static void copy(char *dst, size_t len, const char *src, size_t n)
{
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && strchr(" \t\r\n", e[-1]))
        *--e = '\0';
    return s;
}

int ec2_creds_from_ini(const char *text, const char *profile, struct ec2_creds *c)
{
    char *dup = strdup(text), *save = NULL, *line;
    int in = 0;
    memset(c, 0, sizeof(*c));
    if (!dup)
        return -1;
    for (line = strtok_r(dup, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line);
        if (*l == '#' || *l == ';' || !*l)
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end)
                *end = '\0';
            char *name = trim(l + 1);
            /* The config file's form "[profile NAME]" is accepted too. */
            if (strncmp(name, "profile ", 8) == 0)
                name = trim(name + 8);
            in = strcmp(name, profile) == 0;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (strcmp(k, "aws_access_key_id") == 0)
            copy(c->access, sizeof(c->access), v, strlen(v));
        else if (strcmp(k, "aws_secret_access_key") == 0)
            copy(c->secret, sizeof(c->secret), v, strlen(v));
        else if (strcmp(k, "aws_session_token") == 0)
            copy(c->token, sizeof(c->token), v, strlen(v));
    }
    free(dup);
    return c->access[0] && c->secret[0] ? 0 : -1;
}

static int from_env(struct ec2_creds *c)
{
    const char *a = getenv("AWS_ACCESS_KEY_ID"), *s = getenv("AWS_SECRET_ACCESS_KEY");
    const char *t = getenv("AWS_SESSION_TOKEN");
    if (!a || !*a || !s || !*s)
        return -1;
    memset(c, 0, sizeof(*c));
    copy(c->access, sizeof(c->access), a, strlen(a));
    copy(c->secret, sizeof(c->secret), s, strlen(s));
    if (t)
        copy(c->token, sizeof(c->token), t, strlen(t));
    snprintf(c->source, sizeof(c->source), "environment");
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    char buf[4096];
    size_t k;
    while (m && (k = fread(buf, 1, sizeof(buf), f)) > 0 && n < (1u << 20))
        fwrite(buf, 1, k, m);
    fclose(f);
    if (m)
        fclose(m);
    return s;
}

static int from_file(const struct ec2_cred_src *s, struct ec2_creds *c, char *where,
                     size_t wlen)
{
    const char *path = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
    char buf[4096];
    const char *profile = s->profile[0] ? s->profile : getenv("AWS_PROFILE");
    if (!profile || !*profile)
        profile = "default";
    if (!path || !*path) {
        snprintf(buf, sizeof(buf), "%s/.aws/credentials", home && *home ? home : "/root");
        path = buf;
    }
    snprintf(where, wlen, "profile %s in %s", profile, path);
    char *text = slurp(path);
    int rc = text ? ec2_creds_from_ini(text, profile, c) : -1;
    free(text);
    if (rc == 0)
        snprintf(c->source, sizeof(c->source), "profile %.50s", profile);
    return rc;
}

static time_t parse_iso(const char *s)
{
    struct tm tm = { 0 };
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return timegm(&tm);
}

static int imds_get(const char *base, const char *path, const char *token, char **out,
                    char *err, size_t errlen)
{
    char url[512], hdr[600];
    snprintf(url, sizeof(url), "%s%s", base, path);
    snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", token);
    const char *hs[] = { hdr, NULL };
    struct http_resp r;
    if (http_request("GET", url, hs, NULL, 5, &r, err, errlen) < 0)
        return -1;
    if (r.status != 200) {
        snprintf(err, errlen, "instance metadata %s answered HTTP %ld", path, r.status);
        http_resp_free(&r);
        return -1;
    }
    *out = r.body;
    return 0;
}

/* IMDSv2: PUT a session token, then the role name, then its keys. */
static int from_imds(struct ec2_creds *c, char *err, size_t errlen)
{
    const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *off = getenv("AWS_EC2_METADATA_DISABLED");
    if (off && strcasecmp(off, "true") == 0)
        return snprintf(err, errlen, "instance metadata disabled"), -1;
    if (!base || !*base)
        base = IMDS_DEFAULT;
    char url[512], *role = NULL, *doc = NULL;
    snprintf(url, sizeof(url), "%s/latest/api/token", base);
    const char *hs[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
    struct http_resp tok;
    if (http_request("PUT", url, hs, NULL, 2, &tok, err, errlen) < 0)
        return -1;
    if (tok.status != 200) {
        snprintf(err, errlen, "instance metadata token: HTTP %ld", tok.status);
        http_resp_free(&tok);
        return -1;
    }
    char token[256];
    copy(token, sizeof(token), tok.body, strcspn(tok.body, "\r\n"));
    http_resp_free(&tok);
    int rc = -1;
    if (imds_get(base, "/latest/meta-data/iam/security-credentials/", token, &role, err,
                 errlen) == 0) {
        role[strcspn(role, "\r\n")] = '\0';
        char path[400];
        snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%.300s", role);
        if (*role && !strchr(role, '/') && imds_get(base, path, token, &doc, err, errlen) == 0) {
            json_t *j = json_loads(doc, 0, NULL);
            const char *a = json_string_value(json_object_get(j, "AccessKeyId"));
            const char *s = json_string_value(json_object_get(j, "SecretAccessKey"));
            const char *t = json_string_value(json_object_get(j, "Token"));
            if (a && s) {
                memset(c, 0, sizeof(*c));
                copy(c->access, sizeof(c->access), a, strlen(a));
                copy(c->secret, sizeof(c->secret), s, strlen(s));
                if (t)
                    copy(c->token, sizeof(c->token), t, strlen(t));
                c->expires = parse_iso(json_string_value(json_object_get(j, "Expiration")));
                snprintf(c->source, sizeof(c->source), "instance role %.40s", role);
                rc = 0;
            } else {
                snprintf(err, errlen, "instance role %s: no AccessKeyId in its credentials",
                         role);
            }
            json_decref(j);
        } else if (!*role) {
            snprintf(err, errlen, "this instance has no IAM role");
        }
    }
    free(role);
    free(doc);
    return rc;
}

int ec2_creds_get(struct ec2_cred_src *s, struct ec2_creds *c, char *err, size_t errlen)
{
    char where[600], why[256] = "";
    if (from_env(c) == 0 || from_file(s, c, where, sizeof(where)) == 0)
        return 0;
    time_t now = time(NULL);
    if (s->cached.access[0] && (!s->cached.expires || s->cached.expires - now > REFRESH_MARGIN_S)) {
        *c = s->cached;
        return 0;
    }
    if (from_imds(c, why, sizeof(why)) == 0) {
        s->cached = *c;
        return 0;
    }
    snprintf(err, errlen, "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), "
                          "no %s, no instance role (%s)", where, why);
    return -1;
}

void ec2_creds_forget(struct ec2_cred_src *s)
{
    memset(&s->cached, 0, sizeof(s->cached));
}
