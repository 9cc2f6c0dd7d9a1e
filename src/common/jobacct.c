/* jobacct.c: see jobacct.h. */
#include "jobacct.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void jobacct_task_peak(struct jobacct_task *t, uint64_t rss)
{
    if (rss > t->max_rss)
        t->max_rss = rss;
}

void jobacct_task_sample(struct jobacct_task *t, uint64_t rss, uint64_t vsize)
{
    if (rss > t->max_rss)
        t->max_rss = rss;
    if (vsize > t->max_vsize)
        t->max_vsize = vsize;
    t->sum_rss += (double)rss;
    t->sum_vsize += (double)vsize;
    t->samples++;
}

/* Averages are kept in whole KiB, as Slurm's are (its task peaks are pages),
 * so that sacct prints them as 1234K rather than a raw byte count. */
static uint64_t kib_round(double bytes)
{
    return (uint64_t)llround(bytes / 1024.0) * 1024;
}

static void name_copy(char *dst, const char *src)
{
    snprintf(dst, 64, "%s", src ? src : "");
}

void jobacct_from_tasks(struct jobacct *a, const struct jobacct_task *tasks, size_t n,
                        int64_t first_rank, uint64_t user_us, uint64_t sys_us,
                        const char *node)
{
    double ave_rss = 0, ave_vsize = 0;

    memset(a, 0, sizeof(*a));
    a->ntasks = (uint32_t)n;
    a->user_us = user_us;
    a->sys_us = sys_us;
    a->max_rss_task = a->max_vsize_task = a->min_cpu_task = first_rank;
    a->min_cpu_us = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        const struct jobacct_task *t = &tasks[i];
        int64_t rank = first_rank + (int64_t)i;
        if (t->max_rss > a->max_rss) {
            a->max_rss = t->max_rss;
            a->max_rss_task = rank;
        }
        if (t->max_vsize > a->max_vsize) {
            a->max_vsize = t->max_vsize;
            a->max_vsize_task = rank;
        }
        a->tot_rss += t->max_rss;
        /* A task too short for any sample: its peak is all we know. */
        ave_rss += t->samples ? t->sum_rss / t->samples : (double)t->max_rss;
        ave_vsize += t->samples ? t->sum_vsize / t->samples : (double)t->max_vsize;
        if (t->cpu_known && t->cpu_us < a->min_cpu_us) {
            a->min_cpu_us = t->cpu_us;
            a->min_cpu_task = rank;
        }
    }
    /* One task: everything the node reaped was its work, orphans included. */
    if (n == 1)
        a->min_cpu_us = user_us + sys_us;
    if (a->min_cpu_us == UINT64_MAX)
        a->min_cpu_us = n ? (user_us + sys_us) / n : 0;
    if (n) {
        a->ave_rss = kib_round(ave_rss / (double)n);
        a->ave_vsize = kib_round(ave_vsize / (double)n);
    }
    name_copy(a->max_rss_node, node);
    name_copy(a->max_vsize_node, node);
    name_copy(a->min_cpu_node, node);
}

/* A weighted mean of two means, over na and nb tasks. */
static uint64_t mean2(uint64_t a, uint32_t na, uint64_t b, uint32_t nb)
{
    double n = (double)na + (double)nb;
    return n > 0 ? kib_round(((double)a * na + (double)b * nb) / n) : 0;
}

void jobacct_merge(struct jobacct *a, const struct jobacct *b)
{
    if (b->ntasks == 0)
        return;
    if (a->ntasks == 0) {
        *a = *b;
        return;
    }
    if (b->max_rss > a->max_rss) {
        a->max_rss = b->max_rss;
        a->max_rss_task = b->max_rss_task;
        name_copy(a->max_rss_node, b->max_rss_node);
    }
    if (b->max_vsize > a->max_vsize) {
        a->max_vsize = b->max_vsize;
        a->max_vsize_task = b->max_vsize_task;
        name_copy(a->max_vsize_node, b->max_vsize_node);
    }
    if (b->min_cpu_us < a->min_cpu_us) {
        a->min_cpu_us = b->min_cpu_us;
        a->min_cpu_task = b->min_cpu_task;
        name_copy(a->min_cpu_node, b->min_cpu_node);
    }
    a->ave_rss = mean2(a->ave_rss, a->ntasks, b->ave_rss, b->ntasks);
    a->ave_vsize = mean2(a->ave_vsize, a->ntasks, b->ave_vsize, b->ntasks);
    a->tot_rss += b->tot_rss;
    a->user_us += b->user_us;
    a->sys_us += b->sys_us;
    a->ntasks += b->ntasks;
}

json_t *jobacct_to_json(const struct jobacct *a)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:I,"
                     " s:I, s:I, s:s}",
                     "ntasks", (json_int_t)a->ntasks, "user_us", (json_int_t)a->user_us,
                     "sys_us", (json_int_t)a->sys_us, "max_rss", (json_int_t)a->max_rss,
                     "max_rss_task", (json_int_t)a->max_rss_task, "ave_rss",
                     (json_int_t)a->ave_rss, "max_rss_node", a->max_rss_node,
                     "max_vsize", (json_int_t)a->max_vsize, "max_vsize_task",
                     (json_int_t)a->max_vsize_task, "max_vsize_node", a->max_vsize_node,
                     "ave_vsize", (json_int_t)a->ave_vsize, "tot_rss", (json_int_t)a->tot_rss,
                     "min_cpu", (json_int_t)a->min_cpu_us, "min_cpu_task",
                     (json_int_t)a->min_cpu_task, "ave_cpu",
                     (json_int_t)(a->ntasks ? (a->user_us + a->sys_us) / a->ntasks : 0),
                     "min_cpu_node", a->min_cpu_node);
}

static uint64_t u64(const json_t *u, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(u, key));
    return v > 0 ? (uint64_t)v : 0;
}

int jobacct_from_json(const json_t *u, struct jobacct *a)
{
    memset(a, 0, sizeof(*a));
    if (!json_is_object(u) || !json_is_integer(json_object_get(u, "ntasks")))
        return -1;
    a->ntasks = (uint32_t)u64(u, "ntasks");
    a->user_us = u64(u, "user_us");
    a->sys_us = u64(u, "sys_us");
    a->max_rss = u64(u, "max_rss");
    a->max_rss_task = json_integer_value(json_object_get(u, "max_rss_task"));
    a->ave_rss = u64(u, "ave_rss");
    a->max_vsize = u64(u, "max_vsize");
    a->max_vsize_task = json_integer_value(json_object_get(u, "max_vsize_task"));
    a->ave_vsize = u64(u, "ave_vsize");
    a->tot_rss = u64(u, "tot_rss");
    a->min_cpu_us = u64(u, "min_cpu");
    a->min_cpu_task = json_integer_value(json_object_get(u, "min_cpu_task"));
    name_copy(a->max_rss_node, json_string_value(json_object_get(u, "max_rss_node")));
    name_copy(a->max_vsize_node, json_string_value(json_object_get(u, "max_vsize_node")));
    name_copy(a->min_cpu_node, json_string_value(json_object_get(u, "min_cpu_node")));
    return 0;
}

json_t *jobacct_merge_json(json_t *const *nodes, size_t n)
{
    struct jobacct sum = { 0 }, one;
    for (size_t i = 0; i < n; i++) {
        if (jobacct_from_json(nodes[i], &one) == 0)
            jobacct_merge(&sum, &one);
    }
    return sum.ntasks ? jobacct_to_json(&sum) : NULL;
}

/* sacct's print.c _elapsed_time, which these fields share. */
char *jobacct_fmt_cpu(uint64_t us, char *buf, size_t len)
{
    uint64_t secs = us / 1000000, msec = us % 1000000 / 1000;
    uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

    if (d)
        snprintf(buf, len, "%llu-%02llu:%02llu:%02llu", (unsigned long long)d,
                 (unsigned long long)h, (unsigned long long)m, (unsigned long long)s);
    else if (h)
        snprintf(buf, len, "%02llu:%02llu:%02llu", (unsigned long long)h,
                 (unsigned long long)m, (unsigned long long)s);
    else if (msec)
        snprintf(buf, len, "%02llu:%02llu.%03llu", (unsigned long long)m,
                 (unsigned long long)s, (unsigned long long)msec);
    else
        snprintf(buf, len, "00:%02llu:%02llu", (unsigned long long)m, (unsigned long long)s);
    return buf;
}

char *jobacct_fmt_secs(uint64_t secs, char *buf, size_t len)
{
    return jobacct_fmt_cpu(secs * 1000000, buf, len);
}

static const char units[] = "\0KMGTP";

/* Slurm's convert_num_unit for a count of bytes. */
char *jobacct_fmt_bytes(uint64_t bytes, char unit, char *buf, size_t len)
{
    static const char scale[] = "KMGTP";
    const char *want = unit ? strchr(scale, unit) : NULL;
    int u = 0;

    if (want) {
        double v = (double)bytes;
        for (int i = 0; i <= want - scale; i++)
            v /= 1024.0;
        if (v == floor(v))
            snprintf(buf, len, "%.0f%c", v, *want);
        else
            snprintf(buf, len, "%.2f%c", v, *want);
        return buf;
    }
    while (bytes >= 1024 && bytes % 1024 == 0 && u < 5) {
        bytes /= 1024;
        u++;
    }
    if (u)
        snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
    else
        snprintf(buf, len, "%llu", (unsigned long long)bytes);
    return buf;
}

/* contribs/seff's kbytes2str. */
char *jobacct_fmt_kb(double kb, char *buf, size_t len)
{
    static const char pre[] = "KMGTPE";
    int e = 0;

    if (kb <= 0) {
        snprintf(buf, len, "0.00 MB");
        return buf;
    }
    e = (int)(log(kb) / log(1024.0));
    if (e < 0)
        e = 0;
    if (e > 5)
        e = 5;
    snprintf(buf, len, "%.2f %cB", kb / pow(1024.0, e), pre[e]);
    return buf;
}
