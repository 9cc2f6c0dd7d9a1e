/* job_cols.h: job_list's columnar reply (doc/protocol.md): for each job a
 * row of the requested keys' values, written as JSON text straight from the
 * job structs.  At 100,000 jobs this is what keeps squeue fast: no jansson
 * tree, and each key named once instead of once per job. */
#ifndef SL_JOB_COLS_H
#define SL_JOB_COLS_H

#include <jansson.h>
#include <stddef.h>
#include "error.h"
#include "job.h"
#include "jsonw.h"

struct jobcol;
struct jobcols {
    struct jobcol *c;
    size_t n;
    int need_full;      /* a key only job_to_json knows: build it per row */
};

/* Resolve the key names (a JSON array of strings); -1 with e set if it is
 * not one. */
int jobcols_init(struct jobcols *cols, const json_t *names, sl_error_t *e);
void jobcols_free(struct jobcols *cols);
/* ["key", ...] */
void jobcols_names(const struct jobcols *cols, struct jsonw *w);
/* [v1, v2, ...] for an active job; null where job_to_json has no key. */
void jobcols_row(const struct jobcols *cols, const struct job *j, struct jsonw *w);
/* The same row from a stored record (a finished job). */
void jobcols_row_rec(const struct jobcols *cols, const json_t *rec, struct jsonw *w);

#endif
