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

int jobarray_is_meta(const json_t *rec)
{
    return rec_int(rec, "array_task_id", -1) < 0
           && (rec_int(rec, "array_job_id", 0) > 0
               || json_object_get(rec, "array_tasks_pending") != NULL);
}

int64_t jobarray_base(const json_t *rec)
{
    int64_t a = rec_int(rec, "array_job_id", 0);
    return a > 0 ? a : rec_int(rec, "job_id", 0);
}

/* "5-9999" or "5-9999%50" */
static void pending_text(const json_t *rec, int with_throttle, char *buf, size_t len)
{
    int64_t t = rec_int(rec, "array_throttle", 0);
    if (with_throttle && t > 0)
        snprintf(buf, len, "%s%%%lld", rec_str(rec, "array_tasks_pending"), (long long)t);
    else
        snprintf(buf, len, "%s", rec_str(rec, "array_tasks_pending"));
}

char *jobarray_id(const json_t *rec, int with_throttle, char *buf, size_t len)
{
    int64_t base = jobarray_base(rec), task = rec_int(rec, "array_task_id", -1);
    char pend[4096];
    if (task >= 0 && rec_int(rec, "array_job_id", 0) > 0) {
        snprintf(buf, len, "%lld_%lld", (long long)base, (long long)task);
    } else if (jobarray_is_meta(rec) && *rec_str(rec, "array_tasks_pending")) {
        pending_text(rec, with_throttle, pend, sizeof(pend));
        snprintf(buf, len, "%lld_[%s]", (long long)base, pend);
    } else if (jobarray_is_meta(rec) && *rec_str(rec, "array_tasks_cancelled")) {
        /* Nothing pending: the tasks cancelled before they started (sacct). */
        snprintf(buf, len, "%lld_[%s]", (long long)base, rec_str(rec, "array_tasks_cancelled"));
    } else {
        snprintf(buf, len, "%lld", (long long)base);
    }
    return buf;
}

char *jobarray_task(const json_t *rec, char *buf, size_t len)
{
    int64_t task = rec_int(rec, "array_task_id", -1);
    if (task >= 0 && rec_int(rec, "array_job_id", 0) > 0)
        snprintf(buf, len, "%lld", (long long)task);
    else if (jobarray_is_meta(rec) && *rec_str(rec, "array_tasks_pending"))
        pending_text(rec, 1, buf, len);
    else
        snprintf(buf, len, "N/A");
    return buf;
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
static int64_t task_key(const json_t *rec)
{
    int64_t k = -1;
    if (!jobarray_is_meta(rec))
        return rec_int(rec, "array_task_id", -1);
    jobarray_each(rec_str(rec, "array_tasks_pending"), first_index, &k, NULL);
    return k;
}

static int row_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int64_t bx = jobarray_base(x), by = jobarray_base(y), kx, ky;
    if (bx != by)
        return bx < by ? -1 : 1;
    kx = task_key(x);
    ky = task_key(y);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return 0;
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
    size_t n = json_array_size(jobs), k = 0;
    json_t **v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(jobs, i);
        if (!jobarray_is_meta(r) || *rec_str(r, "array_tasks_pending"))
            v[k++] = r;
    }
    qsort(v, k, sizeof(*v), row_cmp);
    for (size_t i = 0; i < k; i++) {
        if (expand && jobarray_is_meta(v[i]))
            rows_expand(v[i], fn, arg);
        else
            fn(v[i], arg);
    }
    free(v);
}
