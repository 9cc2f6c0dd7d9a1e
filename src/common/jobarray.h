/* jobarray.h: how the commands show array jobs (doc/protocol.md, "The job
 * model").  A task that has started is a record of its own, shown as
 * ARRAY_TASK ("123_7").  The array's own record (array_task_id -1) stands
 * for the tasks not started yet, listed in array_tasks_pending: squeue folds
 * them into one row "123_[5-9999%50]" or, with -r, shows one row per task;
 * sacct shows the record as "123_[5-9999]".  Once an array is cancelled its
 * record lists the tasks that never started in array_tasks_cancelled (a
 * field the controller sends beyond doc/protocol.md), shown the same way. */
#ifndef SL_JOBARRAY_H
#define SL_JOBARRAY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* The fields the array functions read, taken out of a record once (squeue
 * fills it from its own rows, not jansson objects).  The defaults of
 * absent keys: job_id 0, array_job_id 0, array_task_id -1, throttle 0,
 * and NULL lists. */
struct jobarray_rec {
    int64_t job_id, array_job_id, array_task_id, throttle;
    const char *pending;        /* array_tasks_pending */
    const char *cancelled;      /* array_tasks_cancelled */
};
void jobarray_rec_get(const json_t *rec, struct jobarray_rec *a);
/* The same functions as below, on the extracted fields. */
int jobarray_rec_meta(const struct jobarray_rec *a);
int64_t jobarray_rec_base(const struct jobarray_rec *a);
char *jobarray_rec_id(const struct jobarray_rec *a, int with_throttle, char *buf, size_t len);
char *jobarray_rec_task(const struct jobarray_rec *a, char *buf, size_t len);
/* squeue's row order (see jobarray_rows) of n records: writes the indexes
 * of the rows to show into order (room for n) and returns how many. */
size_t jobarray_order(const struct jobarray_rec *recs, size_t n, size_t *order);

/* The array's own record: no task id, and an array id or pending tasks. */
int jobarray_is_meta(const json_t *rec);
/* The array's job id (array_job_id), or job_id for a job not in an array. */
int64_t jobarray_base(const json_t *rec);

/* The id users see: "123" (a job not in an array, or an array with nothing
 * pending or cancelled unstarted), "123_7" (a task), "123_[5-9999%50]" (the
 * array's record; the "%50" only with with_throttle and a throttle set),
 * "123+1" (component 1 of heterogeneous job 123).  Returns buf. */
char *jobarray_id(const json_t *rec, int with_throttle, char *buf, size_t len);
/* The task part alone: "7", "5-9999%50", or "N/A" for a job not in an
 * array (squeue %K).  Returns buf. */
char *jobarray_task(const json_t *rec, char *buf, size_t len);

/* Call fn on each index of a compressed list "1-3,5,7-9" in order; stops
 * when fn returns non-zero (and returns that).  -1 with e set when list is
 * not such a list. */
int jobarray_each(const char *list, int (*fn)(uint32_t idx, void *arg), void *arg,
                  sl_error_t *e);

/* squeue's rows: the records in order of array (or job) id, then task; the
 * array's record with nothing pending is left out.  With expand, the
 * array's record becomes one row per pending task, each a copy with
 * array_task_id set and array_tasks_pending removed; otherwise it is one
 * folded row.  fn sees each row (valid only during the call). */
void jobarray_rows(const json_t *jobs, int expand,
                   void (*fn)(const json_t *row, void *arg), void *arg);

#endif
