/* job_cols.c: job_list's rows as JSON text (see job_cols.h). */
#include "job_cols.h"

#include <stdlib.h>
#include <string.h>

typedef void (*col_fn)(const struct job *j, struct jsonw *w);

struct jobcol {
    const char *key;
    int field;          /* job.c's field table, or -1 */
    col_fn fn;          /* a key computed as job_to_json computes it, or NULL */
};

static void col_state(const struct job *j, struct jsonw *w)
{
    jsonw_str(w, job_state_name(j->state));
}

static void col_end(const struct job *j, struct jsonw *w)
{
    jsonw_str(w, job_end_name(j->end));
}

static void col_slurm_state(const struct job *j, struct jsonw *w)
{
    jsonw_str(w, job_slurm_state(j));
}

static void col_reason(const struct job *j, struct jsonw *w)
{
    jsonw_str(w, j->reason ? j->reason : "None");
}

static void col_reason_detail(const struct job *j, struct jsonw *w)
{
    jsonw_str(w, j->reason_detail);
}

static void col_attempt(const struct job *j, struct jsonw *w)
{
    jsonw_int(w, j->restart_count);
}

static void col_expected_start(const struct job *j, struct jsonw *w)
{
    if (j->expected_start)
        jsonw_int(w, j->expected_start);
    else
        jsonw_null(w);
}

static void idset_write(const idset_t *s, struct jsonw *w)
{
    char *p = idset_encode(s);
    jsonw_str(w, p ? p : "");
    free(p);
}

static void col_pending(const struct job *j, struct jsonw *w)
{
    if (j->array_pending)
        idset_write(j->array_pending, w);
    else
        jsonw_null(w);
}

static void col_cancelled(const struct job *j, struct jsonw *w)
{
    if (j->array_cancelled && idset_count(j->array_cancelled))
        idset_write(j->array_cancelled, w);
    else
        jsonw_null(w);
}

/* The keys job_to_json adds beyond the field table; the rest
 * (retry_rules, array_summary) come from a full record. */
static const struct { const char *key; col_fn fn; } derived[] = {
    { "state", col_state },
    { "end", col_end },
    { "slurm_state", col_slurm_state },
    { "reason", col_reason },
    { "reason_detail", col_reason_detail },
    { "attempt", col_attempt },
    { "expected_start", col_expected_start },
    { "array_tasks_pending", col_pending },
    { "array_tasks_cancelled", col_cancelled },
};

int jobcols_init(struct jobcols *cols, const json_t *names, sl_error_t *e)
{
    size_t i;
    json_t *v;
    memset(cols, 0, sizeof(*cols));
    if (!json_is_array(names))
        return sl_errprintf(e, "columns must be a list of record keys");
    cols->c = calloc(json_array_size(names) + 1, sizeof(*cols->c));
    if (!cols->c)
        return sl_errprintf(e, "out of memory");
    json_array_foreach(names, i, v) {
        struct jobcol *c = &cols->c[cols->n++];
        if (!json_is_string(v)) {
            jobcols_free(cols);
            return sl_errprintf(e, "columns must be a list of record keys");
        }
        c->key = json_string_value(v);
        c->field = job_field_find(c->key);
        for (size_t k = 0; c->field < 0 && k < sizeof(derived) / sizeof(derived[0]); k++)
            if (strcmp(derived[k].key, c->key) == 0)
                c->fn = derived[k].fn;
        cols->need_full |= c->field < 0 && !c->fn;
    }
    return 0;
}

void jobcols_free(struct jobcols *cols)
{
    free(cols->c);
    memset(cols, 0, sizeof(*cols));
}

void jobcols_names(const struct jobcols *cols, struct jsonw *w)
{
    jsonw_char(w, '[');
    for (size_t i = 0; i < cols->n; i++) {
        if (i)
            jsonw_char(w, ',');
        jsonw_str(w, cols->c[i].key);
    }
    jsonw_char(w, ']');
}

void jobcols_row(const struct jobcols *cols, const struct job *j, struct jsonw *w)
{
    json_t *full = cols->need_full ? job_to_json(j) : NULL;
    jsonw_char(w, '[');
    for (size_t i = 0; i < cols->n; i++) {
        const struct jobcol *c = &cols->c[i];
        if (i)
            jsonw_char(w, ',');
        if (c->field >= 0)
            job_field_write(j, c->field, w);
        else if (c->fn)
            c->fn(j, w);
        else
            jsonw_json(w, json_object_get(full, c->key));
    }
    jsonw_char(w, ']');
    json_decref(full);
}

void jobcols_row_rec(const struct jobcols *cols, const json_t *rec, struct jsonw *w)
{
    jsonw_char(w, '[');
    for (size_t i = 0; i < cols->n; i++) {
        if (i)
            jsonw_char(w, ',');
        jsonw_json(w, json_object_get(rec, cols->c[i].key));
    }
    jsonw_char(w, ']');
}
