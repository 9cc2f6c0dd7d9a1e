/* sshare_fields.c: sshare's --format fields, and the figures it computes
 * from the controller's (see sshare.h and doc/scheduling.md). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshare.h"

static double num(const json_t *r, const char *key)
{
    return json_number_value(json_object_get(r, key));
}

static const char *str(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

void sshare_fairshare(json_t *shares)
{
    json_t *r, *o;
    size_t i, k;
    json_array_foreach(shares, i, r) {
        double inv_sum = 0, w = num(r, "weight"), eff = num(r, "effective_usage");
        double norm, factor;
        json_array_foreach(shares, k, o)
            if (!strcmp(str(o, "policy"), str(r, "policy")) && num(o, "weight") > 0)
                inv_sum += 1.0 / num(o, "weight");
        norm = w > 0 && inv_sum > 0 ? (1.0 / w) / inv_sum : 0;
        factor = eff <= 0 ? 1.0 : norm > 0 ? pow(2.0, -eff / norm) : 0;
        json_object_set_new(r, "norm_share", json_real(norm));
        json_object_set_new(r, "fairshare", json_real(factor));
    }
}

static int cmp_share(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int xc = !strcmp(str(x, "policy"), "(cluster)"), yc = !strcmp(str(y, "policy"), "(cluster)");
    int c = xc != yc ? yc - xc : strcmp(str(x, "policy"), str(y, "policy"));
    return c ? c : strcmp(str(x, "share"), str(y, "share"));
}

void sshare_sort(json_t *shares)
{
    size_t n = json_array_size(shares);
    json_t **v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(shares, i));
    qsort(v, n, sizeof(*v), cmp_share);
    json_array_clear(shares);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(shares, v[i]);
    free(v);
}

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_weight) { snprintf(buf, len, "%g", num(r, "weight")); }
GET(get_raw) { snprintf(buf, len, "%.0f", num(r, "raw_usage")); }
GET(get_eff) { snprintf(buf, len, "%.6f", num(r, "effective_usage")); }
GET(get_norm) { snprintf(buf, len, "%.6f", num(r, "norm_share")); }
GET(get_fair) { snprintf(buf, len, "%.6f", num(r, "fairshare")); }

#define L 0
#define R 1

const struct jobfmt_field sshare_fields[] = {
    { "Policy", 0, "Policy", 12, L, "policy", NULL, 0 },
    { "Share", 0, "Share", 12, L, "share", NULL, 0 },
    { "Weight", 0, "Weight", 8, R, NULL, get_weight, 0 },
    { "NormShares", 0, "NormShares", 11, R, NULL, get_norm, 0 },
    { "RawUsage", 0, "RawUsage", 11, R, NULL, get_raw, 0 },
    { "EffectvUsage", 0, "EffectvUsage", 13, R, NULL, get_eff, 0 },
    { "FairShare", 0, "FairShare", 10, R, NULL, get_fair, 0 },
    { "RunCPUs", 0, "RunCPUs", 8, R, "running_cpus", NULL, 0 },
    { "Pending", 0, "Pending", 8, R, "pending", NULL, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};
