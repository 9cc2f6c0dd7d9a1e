/* sprio_fields.c: sprio's -o letters, as Slurm's where Sluice has the
 * factor: upper case is weighted (factor x weight, rounded, as Slurm prints
 * it), lower case normalized (the factor in [0, 1]).  %r is the queue (the
 * partition in Slurm: the job's queue is what it was submitted to). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sprio.h"

#define CTX(ctx) ((const struct sprio_ctx *)(ctx))
#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

static const char *const factor_keys[] = { "age", "fairshare", "jobsize", "partition",
                                           "nice" };

void sprio_ctx_init(struct sprio_ctx *ctx, const json_t *reply)
{
    const json_t *w = json_object_get(reply, "weights");
    const char *type = json_string_value(json_object_get(reply, "priority_type"));
    ctx->multifactor = type && strcmp(type, "priority/multifactor") == 0;
    for (int i = 0; i < 5; i++)
        ctx->w[i] = ctx->multifactor ? json_number_value(json_object_get(w, factor_keys[i]))
                                     : 0;
}

static int is_weights(const json_t *r)
{
    return json_is_true(json_object_get(r, "weights_row"));
}

/* The factor as the controller gave it (the nice value for NICE), or 0
 * when the priority plugin has no factors. */
static double factor(const json_t *r, const void *ctx, enum sprio_factor f)
{
    return CTX(ctx)->multifactor ? json_number_value(json_object_get(r, factor_keys[f])) : 0;
}

static void weighted(const json_t *r, const void *ctx, enum sprio_factor f, char *buf,
                     size_t len)
{
    double v = is_weights(r) ? CTX(ctx)->w[f] : factor(r, ctx, f) * CTX(ctx)->w[f];
    snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);   /* never "-0" */
}

static void normalized(const json_t *r, const void *ctx, enum sprio_factor f, char *buf,
                       size_t len)
{
    if (is_weights(r))
        snprintf(buf, len, "%.0f", CTX(ctx)->w[f]);
    else
        snprintf(buf, len, "%.7f", factor(r, ctx, f));
}

GET(get_age_w) { weighted(r, ctx, SPRIO_AGE, buf, len); }
GET(get_age_n) { normalized(r, ctx, SPRIO_AGE, buf, len); }
GET(get_fs_w) { weighted(r, ctx, SPRIO_FAIRSHARE, buf, len); }
GET(get_fs_n) { normalized(r, ctx, SPRIO_FAIRSHARE, buf, len); }
GET(get_size_w) { weighted(r, ctx, SPRIO_JOBSIZE, buf, len); }
GET(get_size_n) { normalized(r, ctx, SPRIO_JOBSIZE, buf, len); }
GET(get_part_w) { weighted(r, ctx, SPRIO_PARTITION, buf, len); }
GET(get_part_n) { normalized(r, ctx, SPRIO_PARTITION, buf, len); }

/* NICE weighted: the points the nice value takes off (nice x weight). */
GET(get_nice_w) { weighted(r, ctx, SPRIO_NICE, buf, len); }

GET(get_nice)
{
    if (is_weights(r))
        snprintf(buf, len, "%.0f", CTX(ctx)->w[SPRIO_NICE]);
    else
        snprintf(buf, len, "%.0f", factor(r, ctx, SPRIO_NICE));
}

GET(get_jobid)
{
    if (is_weights(r))
        snprintf(buf, len, "Weights");
    else
        snprintf(buf, len, "%lld", (long long)json_integer_value(json_object_get(r, "job_id")));
}

/* As Slurm's %y: the priority as a fraction of the largest (2^32 - 1). */
GET(get_prio_n)
{
    if (!is_weights(r))
        snprintf(buf, len, "%.10f",
                 json_number_value(json_object_get(r, "priority")) / 4294967295.0);
}

#define W 10
#define RIGHT 1

const struct jobfmt_field sprio_fields[] = {
    { "JobID", 'i', "JOBID", 15, RIGHT, NULL, get_jobid, 0 },
    { "Queue", 'r', "QUEUE", 9, 0, "queue", NULL, 0 },
    { "User", 'u', "USER", 9, 0, "user", NULL, 0 },
    { "Share", 's', "SHARE", W, 0, "share", NULL, 0 },
    { "Priority", 'Y', "PRIORITY", W, RIGHT, "priority", NULL, 0 },
    { "PriorityNorm", 'y', "PRIORITY", W, RIGHT, NULL, get_prio_n, 0 },
    { "Age", 'A', "AGE", W, RIGHT, NULL, get_age_w, 0 },
    { "AgeNorm", 'a', "AGE", W, RIGHT, NULL, get_age_n, 0 },
    { "FairShare", 'F', "FAIRSHARE", W, RIGHT, NULL, get_fs_w, 0 },
    { "FairShareNorm", 'f', "FAIRSHARE", W, RIGHT, NULL, get_fs_n, 0 },
    { "JobSize", 'J', "JOBSIZE", W, RIGHT, NULL, get_size_w, 0 },
    { "JobSizeNorm", 'j', "JOBSIZE", W, RIGHT, NULL, get_size_n, 0 },
    { "Partition", 'P', "PARTITION", W, RIGHT, NULL, get_part_w, 0 },
    { "PartitionNorm", 'p', "PARTITION", W, RIGHT, NULL, get_part_n, 0 },
    { "Nice", 'N', "NICE", W, RIGHT, NULL, get_nice_w, 0 },
    { "NiceValue", 'n', "NICE", W, RIGHT, NULL, get_nice, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};
