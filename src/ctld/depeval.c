/* depeval.c: dependencies.  Each job's dependencies are evaluated only when
 * something they name changes: a reverse index maps a job id to the ids of
 * the jobs waiting on it, so releasing dependents costs O(dependents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"

static json_t *rindex_;   /* "target id" -> [dependent ids] */
static uint32_t singleton_waiters;

struct target {
    int exists, started, ended, ok;
    int64_t start;
};

static void status_from_record(json_t *rec, struct target *t)
{
    const char *st = json_string_value(json_object_get(rec, "state"));
    t->exists = 1;
    t->start = json_integer_value(json_object_get(rec, "start_time"));
    t->ended = st && (!strcmp(st, "SUCCEEDED") || !strcmp(st, "FAILED"));
    t->ok = st && !strcmp(st, "SUCCEEDED");
    t->started = t->start > 0;
}

static void status_of_job(const struct job *j, struct target *t)
{
    t->exists = 1;
    t->ended = job_is_terminal(j);
    t->ok = j->state == JOB_SUCCEEDED;
    t->start = j->start_time;
    t->started = job_is_array_parent(j) ? j->start_time > 0 : !job_is_pending(j);
}

static struct target target_status(struct ctld *c, uint32_t id, int32_t task)
{
    struct target t = { 0 };
    struct job *j = jobtab_find(c->jobs, id);
    json_t *rec = NULL;
    if (task < 0) {
        if (j)
            status_of_job(j, &t);
        else if ((rec = db_job_get(c->db, id)))
            status_from_record(rec, &t);
    } else if (j && j->array_pending && idset_test(j->array_pending, (uint32_t)task)) {
        t.exists = 1;
    } else if (j && j->array_cancelled && idset_test(j->array_cancelled, (uint32_t)task)) {
        t.exists = t.ended = 1;
    } else {
        struct job *tj = jobtab_find_task(c->jobs, id, task);
        if (tj)
            status_of_job(tj, &t);
        else if ((rec = db_task_get(c->db, id, task)))
            status_from_record(rec, &t);
    }
    json_decref(rec);
    return t;
}

/* The index before idx in the array's full set, or -1. */
static int32_t array_prev(struct job *pj, uint32_t idx)
{
    if (!pj->array_all && pj->array_spec)
        pj->array_all = idset_decode(pj->array_spec, pj->array_limit ? pj->array_limit : 1,
                                     NULL, NULL);
    int32_t prev = -1;
    for (uint32_t i = pj->array_all ? idset_first(pj->array_all) : IDSET_NONE;
         i != IDSET_NONE && i < idx; i = idset_next(pj->array_all, i))
        prev = (int32_t)i;
    return prev;
}

static int singleton_state(struct ctld *c, const struct job *j)
{
    for (struct job *o = jobtab_first(c->jobs); o && o->id < j->id; o = o->next) {
        if (o->uid == j->uid && !job_is_terminal(o) && o->name && j->name &&
            !strcmp(o->name, j->name) && !(o->array_job_id && o->array_task_id >= 0))
            return DEP_WAIT;
    }
    return DEP_OK;
}

static int item_state(struct ctld *c, struct job *j, const struct dep *d, int32_t task)
{
    struct target t;
    switch (d->type) {
    case DEP_SINGLETON:
        return singleton_state(c, j);
    case DEP_SEQUENTIAL: {
        int32_t prev = task >= 0 ? array_prev(j, (uint32_t)task) : -1;
        if (prev < 0)
            return DEP_OK;
        t = target_status(c, j->id, prev);
        return !t.ended ? DEP_WAIT : t.ok ? DEP_OK : DEP_NEVER;
    }
    case DEP_AFTERCORR:
        t = target_status(c, d->job_id, task >= 0 ? task : d->task_id);
        if (task >= 0 && !t.exists)
            return DEP_OK;   /* the other array has no such task: nothing to wait for */
        return !t.ended ? DEP_WAIT : t.ok ? DEP_OK : DEP_NEVER;
    default:
        break;
    }
    t = target_status(c, d->job_id, d->task_id);
    if (!t.exists)
        return DEP_NEVER;   /* purged since submission */
    switch (d->type) {
    case DEP_AFTER:
        if (!t.started && !t.ended)
            return DEP_WAIT;
        if (d->minutes && t.start + (int64_t)d->minutes * 60 > ctld_now()) {
            ctld_wake_at(c, t.start + (int64_t)d->minutes * 60);
            return DEP_WAIT;
        }
        return DEP_OK;
    case DEP_AFTERANY:
        return t.ended ? DEP_OK : DEP_WAIT;
    case DEP_AFTEROK:
        return !t.ended ? DEP_WAIT : t.ok ? DEP_OK : DEP_NEVER;
    case DEP_AFTERNOTOK:
        return !t.ended ? DEP_WAIT : t.ok ? DEP_NEVER : DEP_OK;
    default:
        return DEP_OK;
    }
}

/* task < 0: the job as a whole (per-task items of arrays are skipped);
 * task >= 0: only the per-task items (aftercorr, sequential) for that task. */
int dep_eval(struct ctld *c, struct job *j, int32_t task)
{
    int any_ok = 0, all_ok = 1, all_never = 1, any_never = 0, counted = 0;
    for (size_t i = 0; i < j->deps.n; i++) {
        const struct dep *d = &j->deps.items[i];
        int per_task = d->type == DEP_SEQUENTIAL ||
                       (d->type == DEP_AFTERCORR && job_is_array_parent(j));
        if (per_task != (task >= 0))
            continue;
        int st = item_state(c, j, d, task);
        counted++;
        any_ok |= st == DEP_OK;
        all_ok &= st == DEP_OK;
        any_never |= st == DEP_NEVER;
        all_never &= st == DEP_NEVER;
    }
    if (!counted)
        return DEP_OK;
    if (j->deps.any)
        return any_ok ? DEP_OK : all_never ? DEP_NEVER : DEP_WAIT;
    return all_ok ? DEP_OK : any_never ? DEP_NEVER : DEP_WAIT;
}

int dep_validate(struct ctld *c, const struct deplist *d, sl_error_t *e)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct dep *x = &d->items[i];
        if (!x->job_id)
            continue;
        struct target t = target_status(c, x->job_id, DEPEND_WHOLE);
        if (!t.exists)
            return sl_errprintf(e, "Job dependency problem: job %u does not exist", x->job_id);
        if (x->task_id >= 0 && !target_status(c, x->job_id, x->task_id).exists)
            return sl_errprintf(e, "Job dependency problem: job %u has no array task %d",
                                x->job_id, x->task_id);
    }
    return 0;
}

/* Does job `from` (transitively) depend on `target`? */
static int depends_on(struct ctld *c, uint32_t from, uint32_t target, int depth)
{
    struct job *j = jobtab_find(c->jobs, from);
    if (!j || depth > 64)
        return 0;
    for (size_t i = 0; i < j->deps.n; i++) {
        uint32_t t = j->deps.items[i].job_id;
        if (t && (t == target || depends_on(c, t, target, depth + 1)))
            return 1;
    }
    return 0;
}

int dep_cycle(struct ctld *c, uint32_t id, const struct deplist *d)
{
    for (size_t i = 0; i < d->n; i++) {
        uint32_t t = d->items[i].job_id;
        if (t && (t == id || depends_on(c, t, id, 0)))
            return 1;
    }
    return 0;
}

void dep_index_add(struct ctld *c, struct job *j)
{
    char key[16];
    if (!rindex_)
        rindex_ = json_object();
    for (size_t i = 0; i < j->deps.n; i++) {
        const struct dep *d = &j->deps.items[i];
        if (d->type == DEP_SINGLETON)
            singleton_waiters++;
        /* A target that has ended is never notified again: its entry would
         * stay for good.  dep_dirty below has the job evaluated once. */
        if (!d->job_id || target_status(c, d->job_id, DEPEND_WHOLE).ended)
            continue;
        snprintf(key, sizeof(key), "%u", d->job_id);
        json_t *list = json_object_get(rindex_, key);
        if (!list)
            json_object_set_new(rindex_, key, list = json_array());
        /* "afterok:7,afterany:7": one entry (this call's are the last). */
        size_t n = json_array_size(list);
        if (n && (uint32_t)json_integer_value(json_array_get(list, n - 1)) == j->id)
            continue;
        json_array_append_new(list, json_integer(j->id));
    }
    j->dep_dirty = j->deps.n > 0;
}

static void notify_id(struct ctld *c, uint32_t id, int final)
{
    char key[16];
    size_t i;
    json_t *v;
    snprintf(key, sizeof(key), "%u", id);
    json_t *list = rindex_ ? json_object_get(rindex_, key) : NULL;
    json_array_foreach(list, i, v) {
        struct job *d = jobtab_find(c->jobs, (uint32_t)json_integer_value(v));
        if (d)
            d->dep_dirty = 1;
    }
    if (list && final)
        json_object_del(rindex_, key);
}

void dep_notify(struct ctld *c, const struct job *changed)
{
    int final = job_is_terminal(changed);
    notify_id(c, changed->id, final && !(changed->array_job_id && changed->array_task_id >= 0));
    if (changed->array_job_id && changed->array_task_id >= 0)
        notify_id(c, changed->array_job_id, 0);
    if (singleton_waiters && final) {
        for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
            for (size_t i = 0; i < j->deps.n; i++)
                j->dep_dirty |= j->deps.items[i].type == DEP_SINGLETON && j->uid == changed->uid;
        }
        /* A singleton waiter that ends waits no more: while any is counted,
         * every job end scans the whole table. */
        for (size_t i = 0; i < changed->deps.n && singleton_waiters; i++)
            singleton_waiters -= changed->deps.items[i].type == DEP_SINGLETON;
    }
    ctld_sched_request(c);
}

void dep_index_fini(void)
{
    json_decref(rindex_);
    rindex_ = NULL;
    singleton_waiters = 0;
}
