/* sacct_usage.c: the usage fields (MaxRSS, TotalCPU, CPUTime, ...) in
 * Slurm's formats.  As in Slurm, memory and per-task figures belong to the
 * steps (ID.batch, ID.0): a job's own row leaves them empty, while its
 * TotalCPU, UserCPU and SystemCPU are the sums over its steps. */
#include <stdio.h>
#include <string.h>

#include "cmdutil.h"
#include "jobacct.h"
#include "sacct.h"

#define GET(name) void name(const json_t *r, const void *ctx, char *buf, size_t len)

static const json_t *usage_of(const json_t *r)
{
    const json_t *u = json_object_get(r, "usage");
    return json_is_object(u) && json_object_get(r, "step_label") ? u : NULL;
}

static uint64_t u64(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static char units(const void *ctx)
{
    return ((const struct sacct_ctx *)ctx)->units;
}

void sacct_usage_sum(json_t *job)
{
    uint64_t user = 0, sys = 0;
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(job, "steps"), i, st) {
        json_t *u = json_object_get(st, "usage");
        user += u64(u, "user_us");
        sys += u64(u, "sys_us");
    }
    json_object_set_new(job, "sum_user_us", json_integer((json_int_t)user));
    json_object_set_new(job, "sum_sys_us", json_integer((json_int_t)sys));
}

GET(get_totalcpu)
{
    (void)ctx;
    jobacct_fmt_cpu(u64(r, "sum_user_us") + u64(r, "sum_sys_us"), buf, len);
}

GET(get_usercpu)
{
    (void)ctx;
    jobacct_fmt_cpu(u64(r, "sum_user_us"), buf, len);
}

GET(get_systemcpu)
{
    (void)ctx;
    jobacct_fmt_cpu(u64(r, "sum_sys_us"), buf, len);
}

GET(get_cputime)
{
    jobfmt_hms(sacct_elapsed(r, ctx) * cmd_int(r, "num_cpus"), buf, len);
}

GET(get_cputime_raw)
{
    snprintf(buf, len, "%lld", (long long)(sacct_elapsed(r, ctx) * cmd_int(r, "num_cpus")));
}

static void bytes(const json_t *r, const void *ctx, const char *key, char *buf, size_t len)
{
    const json_t *u = usage_of(r);
    if (u)
        jobacct_fmt_bytes(u64(u, key), units(ctx), buf, len);
}

static void text(const json_t *r, const char *key, char *buf, size_t len)
{
    const json_t *u = usage_of(r);
    if (u)
        snprintf(buf, len, "%s", cmd_str(u, key));
}

static void number(const json_t *r, const char *key, char *buf, size_t len)
{
    const json_t *u = usage_of(r);
    if (u)
        snprintf(buf, len, "%lld", (long long)cmd_int(u, key));
}

/* AveCPU and MinCPU: whole seconds, as Slurm keeps them. */
static void secs(const json_t *r, const char *key, char *buf, size_t len)
{
    const json_t *u = usage_of(r);
    if (u)
        jobacct_fmt_secs(u64(u, key) / 1000000, buf, len);
}

GET(get_maxrss) { bytes(r, ctx, "max_rss", buf, len); }
GET(get_averss) { bytes(r, ctx, "ave_rss", buf, len); }
GET(get_maxvmsize) { bytes(r, ctx, "max_vsize", buf, len); }
GET(get_avevmsize) { bytes(r, ctx, "ave_vsize", buf, len); }
GET(get_maxrssnode) { (void)ctx; text(r, "max_rss_node", buf, len); }
GET(get_maxvmsizenode) { (void)ctx; text(r, "max_vsize_node", buf, len); }
GET(get_mincpunode) { (void)ctx; text(r, "min_cpu_node", buf, len); }
GET(get_maxrsstask) { (void)ctx; number(r, "max_rss_task", buf, len); }
GET(get_maxvmsizetask) { (void)ctx; number(r, "max_vsize_task", buf, len); }
GET(get_mincputask) { (void)ctx; number(r, "min_cpu_task", buf, len); }
GET(get_avecpu) { (void)ctx; secs(r, "ave_cpu", buf, len); }
GET(get_mincpu) { (void)ctx; secs(r, "min_cpu", buf, len); }

int sacct_field_needs_steps(const struct jobfmt_field *f)
{
    return f->get == get_totalcpu || f->get == get_usercpu || f->get == get_systemcpu ||
           !strcmp(f->name, "DerivedExitCode");
}
