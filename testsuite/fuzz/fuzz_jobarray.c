/* fuzz_jobarray.c: how the commands read array task lists and records
 * (jobarray.c).  First byte 0 mod 2: a compressed task list
 * (jobarray_each); else a JSON array of job records as squeue receives
 * them, through jobarray_rows folded and expanded and the id formatters.
 * Promises checked: ids fit their buffer and folding shows at most one row
 * per record; the rest is the sanitizers' (records that are not objects
 * are shown as they come, as squeue would). */
#include "fuzz.h"
#include "jobarray.h"

/* Large lists are legal but only slow the search down. */
#define MAX_INDICES 20000

struct walk {
    size_t n;
    int64_t prev;
    int in_order;   /* each index above the one before */
};

static int walk_one(uint32_t idx, void *arg)
{
    struct walk *w = arg;
    if ((int64_t)idx <= w->prev)
        w->in_order = 0;
    w->prev = idx;
    return ++w->n >= MAX_INDICES;
}

static void task_list(const char *list)
{
    struct walk w = { 0, -1, 1 };
    sl_error_t e;
    int rc = jobarray_each(list, walk_one, &w, &e);
    FUZZ_CHECK(rc >= -1 && rc <= 1, "'%s': rc %d", list, rc);
    if (rc < 0)
        FUZZ_CHECK(e.text[0], "'%s' refused without a message", list);
    /* One range alone ("N" or "N-M") comes out in order. */
    if (rc == 0 && !strchr(list, ','))
        FUZZ_CHECK(w.in_order, "'%s' out of order", list);
}

static int small_lists(const json_t *jobs)
{
    size_t i;
    json_t *rec;
    json_array_foreach(jobs, i, rec) {
        const char *p = json_string_value(json_object_get(rec, "array_tasks_pending"));
        struct walk w = { 0, -1, 1 };
        if (p && jobarray_each(p, walk_one, &w, NULL) == 1)
            return 0;
    }
    return 1;
}

struct rows {
    size_t n;
};

static void row_seen(const json_t *row, void *arg)
{
    struct rows *r = arg;
    char id[64], task[64];
    jobarray_id(row, 1, id, sizeof(id));
    jobarray_task(row, task, sizeof(task));
    FUZZ_CHECK(strlen(id) < sizeof(id) && strlen(task) < sizeof(task), "ids overflow");
    (void)jobarray_is_meta(row);
    (void)jobarray_base(row);
    r->n++;
}

static void records(const uint8_t *data, size_t size)
{
    json_t *jobs = json_loadb((const char *)data, size, 0, NULL);
    struct rows folded = { 0 }, expanded = { 0 };
    if (!json_is_array(jobs)) {
        json_decref(jobs);
        return;
    }
    jobarray_rows(jobs, 0, row_seen, &folded);
    FUZZ_CHECK(folded.n <= json_array_size(jobs), "%zu rows of %zu records", folded.n,
               json_array_size(jobs));
    if (small_lists(jobs))
        jobarray_rows(jobs, 1, row_seen, &expanded);
    json_decref(jobs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    if (size < 1 || size > 4096)
        return 0;
    if (data[0] % 2) {
        records(data + 1, size - 1);
        return 0;
    }
    s = fuzz_str(data + 1, size - 1);
    task_list(s);
    free(s);
    return 0;
}
