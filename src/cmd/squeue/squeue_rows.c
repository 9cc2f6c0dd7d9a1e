/* squeue_rows.c: the job_list reply as rows (see squeue.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "squeue.h"

_Static_assert(K_COUNT <= 64, "sq_keys_t holds one bit per key");

#define SQ_NAME(id, key) key,
static const char *const key_names[K_COUNT] = { SQ_KEYS(SQ_NAME) };

/* Where each key's value is in a row (-1: not sent), and what was asked. */
static int slot[K_COUNT];
static sq_keys_t asked;

const char *sq_key_name(enum sq_key k)
{
    return key_names[k];
}

static int key_find(const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(key_names[k], name) == 0)
            return k;
    return -1;
}

/* nslots 0: flat rows, no gathered values. */
static int rows_alloc(struct sq_rows *rs, size_t n, size_t nslots)
{
    rs->cells = nslots ? calloc(n * nslots + 1, sizeof(*rs->cells)) : NULL;
    rs->row = malloc((n + 1) * sizeof(*rs->row));
    if ((nslots && !rs->cells) || !rs->row)
        return -1;
    for (size_t i = 0; i < n; i++)
        rs->row[i] = (struct sq_row){ NULL, nslots ? rs->cells + i * nslots : NULL, -1 };
    rs->n = n;
    return 0;
}

/* {"columns": [keys], "rows": [[values], ...]}: a row's values lie in
 * order on the tape, one scalar per column (squeue asks for no other). */
static int load_columns(struct sq_rows *rs, size_t cols, size_t rows, sl_error_t *e)
{
    const struct jt_tok *t = rs->tape.t;
    size_t ncols = t[cols].n, i = 0, r;
    int k;
    for (size_t c = cols + 1, n = 0; c < t[cols].next; c = t[c].next, n++)
        if (t[c].type == JT_STR && (k = key_find(t[c].v.s)) >= 0)
            slot[k] = (int)n;
    if (rows_alloc(rs, t[rows].n, 0) < 0)
        return sl_errprintf(e, "out of memory for %u rows", t[rows].n);
    for (r = rows + 1; r < t[rows].next; r = t[r].next, i++) {
        if (t[r].type != JT_ARR || t[r].n != ncols || t[r].next != r + 1 + ncols)
            return sl_errprintf(e, "job_list reply: row %zu is not a list of %zu values",
                                i, ncols);
        rs->row[i].flat = &t[r + 1];
    }
    return 0;
}

/* {"jobs": [records]}: a controller older than "columns", or the records
 * path (SLUICE_JOB_LIST=records). */
static int load_records(struct sq_rows *rs, size_t jobs, sl_error_t *e)
{
    const struct jt_tok *t = rs->tape.t;
    size_t i = 0;
    int k;
    for (k = 0; k < K_COUNT; k++)
        slot[k] = k;
    if (rows_alloc(rs, t[jobs].n, K_COUNT) < 0)
        return sl_errprintf(e, "out of memory for %u jobs", t[jobs].n);
    for (size_t r = jobs + 1; r < t[jobs].next; r = t[r].next, i++) {
        if (t[r].type != JT_OBJ)
            return sl_errprintf(e, "job_list reply: job %zu is not an object", i);
        for (size_t m = r + 1; m < t[r].next; m = t[m + 1].next)
            if ((k = key_find(t[m].v.s)) >= 0 && (asked & KB(k)))
                rs->cells[i * K_COUNT + (size_t)k] = &t[m + 1];
    }
    return 0;
}

int sq_rows_load(struct sq_rows *rs, size_t body, sq_keys_t keys, sl_error_t *e)
{
    const struct jtape *tp = &rs->tape;
    size_t cols = jtape_get(tp, body, "columns"), rows = jtape_get(tp, body, "rows");
    size_t jobs = jtape_get(tp, body, "jobs");
    asked = keys;
    for (int k = 0; k < K_COUNT; k++)
        slot[k] = -1;
    if (cols != JT_NONE && rows != JT_NONE && tp->t[cols].type == JT_ARR &&
        tp->t[rows].type == JT_ARR)
        return load_columns(rs, cols, rows, e);
    if (jobs != JT_NONE && tp->t[jobs].type == JT_ARR)
        return load_records(rs, jobs, e);
    return sl_errprintf(e, "job_list reply has neither rows nor jobs");
}

void sq_rows_free(struct sq_rows *rs)
{
    jtape_free(&rs->tape);
    free(rs->cells);
    free(rs->row);
    memset(rs, 0, sizeof(*rs));
}

const struct jt_tok *sq_val(const struct sq_row *r, enum sq_key k)
{
    const struct jt_tok *t;
    if (!(asked & KB(k))) {
        fprintf(stderr, "squeue: internal error: key %s read but not asked for\n",
                key_names[k]);
        abort();
    }
    if (slot[k] < 0 || (r->task >= 0 && k == K_ARRAY_TASKS_PENDING))
        return NULL;
    t = r->flat ? &r->flat[slot[k]] : r->v[slot[k]];
    return t && t->type != JT_NULL ? t : NULL;
}

const char *sq_str(const struct sq_row *r, enum sq_key k)
{
    const struct jt_tok *t = sq_val(r, k);
    return t && t->type == JT_STR ? t->v.s : "";
}

/* -r: a row standing for one pending task reads as that task's record
 * would: its task id, and the array's id. */
int64_t sq_int_or(const struct sq_row *r, enum sq_key k, int64_t dflt)
{
    const struct jt_tok *t = sq_val(r, k);
    int64_t v = t && t->type == JT_INT ? t->v.i : dflt;
    if (r->task >= 0 && k == K_ARRAY_TASK_ID)
        return r->task;
    if (r->task >= 0 && k == K_ARRAY_JOB_ID && v <= 0)
        return sq_int(r, K_JOB_ID);
    return v;
}

int64_t sq_int(const struct sq_row *r, enum sq_key k)
{
    return sq_int_or(r, k, 0);
}

int sq_true(const struct sq_row *r, enum sq_key k)
{
    const struct jt_tok *t = sq_val(r, k);
    return t && t->type == JT_TRUE;
}

void sq_text(const struct sq_row *r, enum sq_key k, char *buf, size_t len)
{
    const struct jt_tok *t = sq_val(r, k);
    int over = r->task >= 0 && (k == K_ARRAY_TASK_ID || k == K_ARRAY_JOB_ID);
    if (over || (t && t->type == JT_INT))
        snprintf(buf, len, "%lld", (long long)sq_int(r, k));
    else if (t && t->type == JT_STR)
        snprintf(buf, len, "%s", t->v.s);
    else if (t && t->type == JT_REAL)
        snprintf(buf, len, "%.2f", t->v.d);
    else if (t && (t->type == JT_TRUE || t->type == JT_FALSE))
        snprintf(buf, len, "%d", t->type == JT_TRUE);
    else
        snprintf(buf, len, "%s", "");
}

void sq_array(const struct sq_row *r, struct jobarray_rec *a)
{
    const struct jt_tok *p = sq_val(r, K_ARRAY_TASKS_PENDING);
    const struct jt_tok *c = sq_val(r, K_ARRAY_TASKS_CANCELLED);
    a->job_id = sq_int(r, K_JOB_ID);
    a->array_job_id = sq_int(r, K_ARRAY_JOB_ID);
    a->array_task_id = sq_int_or(r, K_ARRAY_TASK_ID, -1);
    a->throttle = sq_int(r, K_ARRAY_THROTTLE);
    a->pending = p ? sq_str(r, K_ARRAY_TASKS_PENDING) : NULL;
    a->cancelled = c ? sq_str(r, K_ARRAY_TASKS_CANCELLED) : NULL;
}

struct expand_ctx {
    struct sq_row row;
    void (*fn)(const struct sq_row *r, void *arg);
    void *arg;
};

static int expand_one(uint32_t idx, void *arg)
{
    struct expand_ctx *x = arg;
    x->row.task = idx;
    x->fn(&x->row, x->arg);
    return 0;
}

static int index_ok(uint32_t idx, void *arg)
{
    return 0;
}

void sq_rows_each(const struct sq_rows *rs, int expand,
                  void (*fn)(const struct sq_row *r, void *arg), void *arg)
{
    struct jobarray_rec *recs = malloc((rs->n + 1) * sizeof(*recs));
    size_t *order = malloc((rs->n + 1) * sizeof(*order)), k;
    if (!recs || !order) {
        fprintf(stderr, "squeue: out of memory ordering %zu rows\n", rs->n);
        exit(1);
    }
    for (size_t i = 0; i < rs->n; i++)
        sq_array(&rs->row[i], &recs[i]);
    k = jobarray_order(recs, rs->n, order);
    for (size_t i = 0; i < k; i++) {
        const struct jobarray_rec *a = &recs[order[i]];
        struct expand_ctx x = { rs->row[order[i]], fn, arg };
        /* A list we cannot read is shown folded. */
        int unfold = expand && jobarray_rec_meta(a) &&
                     jobarray_each(a->pending, index_ok, NULL, NULL) == 0;
        if (unfold)
            jobarray_each(a->pending, expand_one, &x, NULL);
        else
            fn(&rs->row[order[i]], arg);
    }
    free(order);
    free(recs);
}
