/* array.c: array jobs.  The array's own record keeps the set of tasks not
 * yet started, so a 10,000-task array costs about as much as one job; a task
 * becomes a record of its own when it starts. */
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "log.h"

struct job *array_split(struct ctld *c, struct job *parent, uint32_t idx)
{
    sl_error_t e;
    json_t *rec = job_to_json(parent);
    json_object_del(rec, "array_tasks_pending");
    json_object_del(rec, "array_tasks_cancelled");
    json_object_del(rec, "array_summary");
    json_object_set_new(rec, "job_id", json_integer(c->next_job_id++));
    json_object_set_new(rec, "array_job_id", json_integer(parent->id));
    json_object_set_new(rec, "array_task_id", json_integer(idx));
    json_object_set_new(rec, "dependency", json_string(""));   /* settled for this task */
    json_object_set_new(rec, "mail_sent", json_integer(0));    /* the task's own events */
    json_object_set_new(rec, "array_running", json_integer(0));
    struct job *t = job_from_json(rec, &e);
    json_decref(rec);
    if (!t) {
        log_error("array %u: cannot make task %u: %s", parent->id, idx, e.text);
        return NULL;
    }
    t->state = JOB_RUNNABLE;
    t->deps.n = 0;
    rec = job_to_json(t);
    db_job_insert(c->db, rec, NULL);
    json_decref(rec);
    jobtab_add(c->jobs, t);
    idset_clear(parent->array_pending, idx);
    parent->array_running++;
    if (!parent->start_time)
        parent->start_time = ctld_now();
    if (!idset_count(parent->array_pending)) {
        parent->state = JOB_RUNNING;    /* nothing left to start: a summary now */
        job_set_reason(parent, NULL);
    }
    ctld_job_save(c, parent);
    return t;
}

static enum job_end array_outcome(const struct job *p)
{
    uint32_t total = 0;
    for (int e = END_COMPLETED; e <= END_LAST; e++)
        total += p->array_ended[e];
    if (p->array_ended[END_COMPLETED] == total)
        return END_COMPLETED;
    if (p->array_ended[END_CANCELLED] == total)
        return END_CANCELLED;
    return END_FAILED;   /* the array fails if any task fails */
}

static void array_maybe_done(struct ctld *c, struct job *p)
{
    /* Terminal already: array_cancel's last unlaunched task ended it. */
    if (job_is_terminal(p) || idset_count(p->array_pending) || p->array_running)
        return;
    enum job_end end = array_outcome(p);
    ctld_job_finish(c, p, end, end == END_FAILED ? "ArrayTaskFailed" : NULL);
}

void array_task_ended(struct ctld *c, struct job *task)
{
    struct job *p = jobtab_find(c->jobs, task->array_job_id);
    if (!p)
        return;
    if (p->array_running)
        p->array_running--;
    /* The summary mail's "ExitCode [min-max]". */
    int32_t code = task->exit_code;
    int first = 1;
    for (int k = 0; k <= END_LAST; k++)
        first &= p->array_ended[k] == 0;
    p->array_exit_min = first || code < p->array_exit_min ? code : p->array_exit_min;
    p->array_exit_max = first || code > p->array_exit_max ? code : p->array_exit_max;
    p->array_ended[task->end]++;
    p->dep_dirty = 1;   /* sequential/aftercorr tasks of its own may now go */
    ctld_job_save(c, p);
    array_maybe_done(c, p);
}

void array_cancel(struct ctld *c, struct job *p, const idset_t *which, uid_t uid)
{
    for (uint32_t i = idset_first(p->array_pending); i != IDSET_NONE;) {
        uint32_t next = idset_next(p->array_pending, i);
        if (!which || idset_test(which, i)) {
            idset_clear(p->array_pending, i);
            idset_set(p->array_cancelled, i);
            p->array_ended[END_CANCELLED]++;
        }
        i = next;
    }
    if (!which) {
        for (struct job *t = jobtab_first(c->jobs), *next; t; t = next) {
            next = t->next;
            if (t->array_job_id == p->id && t != p && !job_is_terminal(t)) {
                t->cancelled_by = (int32_t)uid;
                if (job_is_pending(t))
                    ctld_job_finish(c, t, END_CANCELLED, NULL);
                else
                    launch_terminate(c, t, "cancelled");
            }
        }
    }
    if (!idset_count(p->array_pending) && p->array_running)
        p->state = JOB_RUNNING;
    if (p->cancelled_by < 0 && !which)
        p->cancelled_by = (int32_t)uid;
    ctld_job_save(c, p);
    dep_notify(c, p);
    array_maybe_done(c, p);
}

uint32_t array_next_eligible(struct ctld *c, struct job *p)
{
    if (p->array_throttle && p->array_running >= p->array_throttle)
        return IDSET_NONE;
    int per_task = 0;
    for (size_t i = 0; i < p->deps.n; i++)
        per_task |= p->deps.items[i].type == DEP_AFTERCORR ||
                    p->deps.items[i].type == DEP_SEQUENTIAL;
    for (uint32_t i = idset_first(p->array_pending); i != IDSET_NONE;) {
        uint32_t next = idset_next(p->array_pending, i);
        int st = per_task ? dep_eval(c, p, (int32_t)i) : DEP_OK;
        if (st == DEP_OK)
            return i;
        if (st == DEP_NEVER) {
            /* This task can never run: it fails (or waits, if so asked). */
            if (p->kill_on_invalid_dep) {
                struct job *t = array_split(c, p, i);
                if (t)
                    ctld_job_finish(c, t, END_FAILED, "DependencyFailed");
            }
        }
        if (p->deps.n && p->deps.items[0].type == DEP_SEQUENTIAL && st != DEP_NEVER)
            return IDSET_NONE;   /* only the lowest pending task can be next */
        i = next;
    }
    return IDSET_NONE;
}
