/* jobarray.c: array job ids as the commands show them (see jobarray.h). */
#define _GNU_SOURCE
#include "jobarray.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t rec_int(const json_t *rec, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(rec, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static const char *rec_str(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s ? s : "";
}

void jobarray_rec_get(const json_t *rec, struct jobarray_rec *a)
{
    json_t *p = json_object_get(rec, "array_tasks_pending");
    json_t *c = json_object_get(rec, "array_tasks_cancelled");
    a->job_id = rec_int(rec, "job_id", 0);
    a->array_job_id = rec_int(rec, "array_job_id", 0);
    a->array_task_id = rec_int(rec, "array_task_id", -1);
    a->throttle = rec_int(rec, "array_throttle", 0);
    /* Present but not a string still marks the array's record. */
    a->pending = p ? rec_str(rec, "array_tasks_pending") : NULL;
    a->cancelled = c ? rec_str(rec, "array_tasks_cancelled") : NULL;
}

int jobarray_rec_meta(const struct jobarray_rec *a)
{
    return a->array_task_id < 0 && (a->array_job_id > 0 || a->pending != NULL);
}

int64_t jobarray_rec_base(const struct jobarray_rec *a)
{
    return a->array_job_id > 0 ? a->array_job_id : a->job_id;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* "5-9999" or "5-9999%50" */
static void pending_text(const struct jobarray_rec *a, int with_throttle, char *buf,
                         size_t len)
{
    if (with_throttle && a->throttle > 0)
        snprintf(buf, len, "%s%%%lld", or_empty(a->pending), (long long)a->throttle);
    else
        snprintf(buf, len, "%s", or_empty(a->pending));
}

char *jobarray_rec_id(const struct jobarray_rec *a, int with_throttle, char *buf, size_t len)
{
    int64_t base = jobarray_rec_base(a);
    char pend[4096];
    if (a->array_task_id >= 0 && a->array_job_id > 0) {
        snprintf(buf, len, "%lld_%lld", (long long)base, (long long)a->array_task_id);
    } else if (jobarray_rec_meta(a) && *or_empty(a->pending)) {
        pending_text(a, with_throttle, pend, sizeof(pend));
        snprintf(buf, len, "%lld_[%s]", (long long)base, pend);
    } else if (jobarray_rec_meta(a) && *or_empty(a->cancelled)) {
        /* Nothing pending: the tasks cancelled before they started (sacct). */
        snprintf(buf, len, "%lld_[%s]", (long long)base, a->cancelled);
    } else {
        snprintf(buf, len, "%lld", (long long)base);
    }
    return buf;
}

char *jobarray_rec_task(const struct jobarray_rec *a, char *buf, size_t len)
{
    if (a->array_task_id >= 0 && a->array_job_id > 0)
        snprintf(buf, len, "%lld", (long long)a->array_task_id);
    else if (jobarray_rec_meta(a) && *or_empty(a->pending))
        pending_text(a, 1, buf, len);
    else
        snprintf(buf, len, "N/A");
    return buf;
}

int jobarray_is_meta(const json_t *rec)
{
    struct jobarray_rec a;
    jobarray_rec_get(rec, &a);
    return jobarray_rec_meta(&a);
}

int64_t jobarray_base(const json_t *rec)
{
    struct jobarray_rec a;
    jobarray_rec_get(rec, &a);
    return jobarray_rec_base(&a);
}

char *jobarray_id(const json_t *rec, int with_throttle, char *buf, size_t len)
{
    struct jobarray_rec a;
    json_int_t het = json_integer_value(json_object_get(rec, "het_job_id"));
    if (het > 0) {   /* a heterogeneous job's component, as Slurm shows it: J+k */
        snprintf(buf, len, "%lld+%lld", (long long)het,
                 (long long)json_integer_value(json_object_get(rec, "het_job_offset")));
        return buf;
    }
    jobarray_rec_get(rec, &a);
    return jobarray_rec_id(&a, with_throttle, buf, len);
}

char *jobarray_task(const json_t *rec, char *buf, size_t len)
{
    struct jobarray_rec a;
    jobarray_rec_get(rec, &a);
    return jobarray_rec_task(&a, buf, len);
}

static int index_parse(const char **p, uint32_t *out)
{
    char *end;
    unsigned long v;
    if (!isdigit((unsigned char)**p))
        return -1;
    errno = 0;
    v = strtoul(*p, &end, 10);
    if (errno || v >= UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    *p = end;
    return 0;
}

int jobarray_each(const char *list, int (*fn)(uint32_t idx, void *arg), void *arg,
                  sl_error_t *e)
{
    const char *p = list;
    while (*p) {
        uint32_t lo, hi;
        if (index_parse(&p, &lo) < 0)
            return sl_errprintf(e, "invalid task list '%s': expected a number at '%s'",
                                list, p);
        hi = lo;
        if (*p == '-' && (p++, index_parse(&p, &hi) < 0 || hi < lo))
            return sl_errprintf(e, "invalid task list '%s': bad range before '%s'", list, p);
        if (*p && *p != ',')
            return sl_errprintf(e, "invalid task list '%s': unexpected '%c'", list, *p);
        if (*p)
            p++;
        for (uint64_t i = lo; i <= hi; i++) {
            int rc = fn((uint32_t)i, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int first_index(uint32_t idx, void *arg)
{
    *(int64_t *)arg = idx;
    return 1;
}

/* Where a record sorts within its array: its task id; for the array's
 * record, its first pending task. */
static int64_t task_key(const struct jobarray_rec *a)
{
    int64_t k = -1;
    if (!jobarray_rec_meta(a))
        return a->array_task_id;
    jobarray_each(or_empty(a->pending), first_index, &k, NULL);
    return k;
}

struct order_key {
    int64_t base, task;
    size_t pos;
};

static int order_cmp(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->base != y->base)
        return x->base < y->base ? -1 : 1;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

size_t jobarray_order(const struct jobarray_rec *recs, size_t n, size_t *order)
{
    struct order_key *keys = malloc((n ? n : 1) * sizeof(*keys));
    size_t k = 0;
    if (!keys)
        return 0;
    /* The keys are computed once per row, not once per comparison. */
    for (size_t i = 0; i < n; i++)
        if (!jobarray_rec_meta(&recs[i]) || *or_empty(recs[i].pending))
            keys[k++] = (struct order_key){ jobarray_rec_base(&recs[i]), task_key(&recs[i]), i };
    qsort(keys, k, sizeof(*keys), order_cmp);
    for (size_t i = 0; i < k; i++)
        order[i] = keys[i].pos;
    free(keys);
    return k;
}

struct expand_ctx {
    json_t *row;
    void (*fn)(const json_t *row, void *arg);
    void *arg;
};

static int expand_one(uint32_t idx, void *arg)
{
    struct expand_ctx *x = arg;
    json_object_set_new(x->row, "array_task_id", json_integer(idx));
    x->fn(x->row, x->arg);
    return 0;
}

static int index_ok(uint32_t idx, void *arg)
{
    return 0;
}

/* One row per pending task of the array's record: a shallow copy that
 * looks like the task's own record would. */
static void rows_expand(const json_t *rec, void (*fn)(const json_t *row, void *arg),
                        void *arg)
{
    struct expand_ctx x = { json_copy((json_t *)rec), fn, arg };
    const char *pending = rec_str(rec, "array_tasks_pending");
    if (!x.row)
        return;
    json_object_del(x.row, "array_tasks_pending");
    if (rec_int(rec, "array_job_id", 0) <= 0)
        json_object_set_new(x.row, "array_job_id", json_integer(jobarray_base(rec)));
    if (jobarray_each(pending, index_ok, NULL, NULL) < 0)
        fn(rec, arg);   /* a list we cannot read: show it folded */
    else
        jobarray_each(pending, expand_one, &x, NULL);
    json_decref(x.row);
}

void jobarray_rows(const json_t *jobs, int expand,
                   void (*fn)(const json_t *row, void *arg), void *arg)
{
    size_t n = json_array_size(jobs), k;
    struct jobarray_rec *recs = malloc((n ? n : 1) * sizeof(*recs));
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    if (!recs || !order) {
        free(recs);
        free(order);
        return;
    }
    for (size_t i = 0; i < n; i++)
        jobarray_rec_get(json_array_get(jobs, i), &recs[i]);
    k = jobarray_order(recs, n, order);
    for (size_t i = 0; i < k; i++) {
        const json_t *r = json_array_get(jobs, order[i]);
        if (expand && jobarray_rec_meta(&recs[order[i]]))
            rows_expand(r, fn, arg);
        else
            fn(r, arg);
    }
    free(order);
    free(recs);
}
