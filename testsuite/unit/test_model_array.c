/* Model-based tests of array jobs (src/ctld/array.c): the array's record
 * keeps its tasks not yet started as a bitmap, and its running and ended
 * counts.  Random starts (array_next_eligible + array_split), task ends,
 * partial and whole cancels and commits (terminal tasks leave memory)
 * against a state per task index; after every step the pending and
 * cancelled bitmaps, the counters, the task index of the job table and the
 * array's own end (exactly once, with the right outcome) must agree. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "model.h"
#include "unit.h"

#define LIMIT 300     /* largest index + 1 */

/* What the rest of the controller provides, reduced to what array.c sees. */
static int parent_ends;
static enum job_end parent_end;
static int terminating[LIMIT];

void db_job_insert(struct db *d, json_t *rec, json_t *spec) {}
void ctld_job_save(struct ctld *c, struct job *j) {}
void dep_notify(struct ctld *c, const struct job *changed) {}
int dep_eval(struct ctld *c, struct job *j, int32_t task) { return DEP_OK; }
int64_t ctld_now(void) { return 1000; }
void launch_terminate(struct ctld *c, struct job *j, const char *why)
{
    terminating[j->array_task_id] = 1;
}
/* As core.c: the state, then the array's bookkeeping. */
void ctld_job_finish(struct ctld *c, struct job *j, enum job_end end, const char *reason)
{
    j->state = end == END_COMPLETED ? JOB_SUCCEEDED : JOB_FAILED;
    j->end = end;
    if (j->array_job_id && j->array_task_id >= 0) {
        array_task_ended(c, j);
    } else {
        parent_ends++;
        parent_end = end;
    }
}

enum { T_NONE = 0, T_PENDING, T_RUNNING, T_ENDED, T_CANCELLED };

struct ref {
    int state[LIMIT];
    enum job_end end[LIMIT];
    struct job *job[LIMIT];     /* T_RUNNING, and T_ENDED until the commit */
    uint32_t throttle;
};

static struct ctld ctld;

static struct job *new_array(struct model *m, struct ref *r)
{
    memset(r, 0, sizeof(*r));
    memset(terminating, 0, sizeof(terminating));
    parent_ends = 0;
    struct job *p = job_create();
    p->id = ctld.next_job_id++;
    p->state = JOB_PENDING;
    p->cancelled_by = -1;
    p->array_limit = LIMIT;
    p->array_pending = idset_create(LIMIT);
    p->array_cancelled = idset_create(LIMIT);
    uint32_t density = 1 + model_below(m, 100);
    for (uint32_t i = 0; i < LIMIT; i++) {
        if (model_below(m, 100) < density || (i == LIMIT - 1 && !idset_count(p->array_pending))) {
            idset_set(p->array_pending, i);
            r->state[i] = T_PENDING;
        }
    }
    p->array_size = idset_count(p->array_pending);
    p->array_spec = idset_encode(p->array_pending);
    p->array_throttle = r->throttle = model_chance(m, 40) ? 1 + model_below(m, 6) : 0;
    jobtab_add(ctld.jobs, p);
    return p;
}

static uint32_t count_state(const struct ref *r, int state)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < LIMIT; i++)
        n += r->state[i] == state;
    return n;
}

static void op_start(struct model *m, struct job *p, struct ref *r)
{
    uint32_t want = IDSET_NONE;
    if (!r->throttle || count_state(r, T_RUNNING) < r->throttle)
        for (uint32_t i = 0; i < LIMIT && want == IDSET_NONE; i++)
            if (r->state[i] == T_PENDING)
                want = i;
    uint32_t idx = array_next_eligible(&ctld, p);
    MODEL_CHECK(m, idx == want, "next eligible %u, model %u", idx, want);
    if (idx == IDSET_NONE)
        return;
    struct job *t = array_split(&ctld, p, idx);
    MODEL_CHECK(m, t && t->array_task_id == (int32_t)idx && t->array_job_id == p->id,
                "split of task %u", idx);
    if (model_chance(m, 70))
        t->state = JOB_RUNNING;   /* launched; else still waiting to launch */
    r->state[idx] = T_RUNNING;
    r->job[idx] = t;
}

static void op_end(struct model *m, struct job *p, struct ref *r)
{
    uint32_t i = model_below(m, LIMIT);
    for (uint32_t k = 0; k < LIMIT && r->state[i] != T_RUNNING; k++)
        i = (i + 1) % LIMIT;
    if (r->state[i] != T_RUNNING)
        return;
    static const enum job_end ends[] = { END_COMPLETED, END_COMPLETED, END_FAILED, END_TIMEOUT };
    enum job_end end = terminating[i] ? END_CANCELLED : ends[model_below(m, 4)];
    r->state[i] = T_ENDED;
    r->end[i] = end;
    ctld_job_finish(&ctld, r->job[i], end, NULL);
}

static void op_cancel(struct model *m, struct job *p, struct ref *r, int all)
{
    idset_t *which = all ? NULL : idset_create(LIMIT);
    for (uint32_t i = 0; which && i < LIMIT; i++)
        if (model_chance(m, 20))
            idset_set(which, i);
    for (uint32_t i = 0; i < LIMIT; i++) {
        if (r->state[i] == T_PENDING && (!which || idset_test(which, i))) {
            r->state[i] = T_CANCELLED;
        } else if (all && r->state[i] == T_RUNNING && job_is_pending(r->job[i])) {
            r->state[i] = T_ENDED;   /* never launched: ends at once */
            r->end[i] = END_CANCELLED;
        }
    }
    array_cancel(&ctld, p, which, 0);
    idset_destroy(which);
}

/* The commit: terminal jobs leave memory. */
static void op_commit(struct ref *r)
{
    struct job *next;
    for (struct job *j = jobtab_first(ctld.jobs); j; j = next) {
        next = j->next;
        if (job_is_terminal(j)) {
            if (j->array_task_id >= 0)
                r->job[j->array_task_id] = NULL;
            jobtab_remove(ctld.jobs, j);
            job_destroy(j);
        }
    }
}

static void check_array(struct model *m, const struct job *p, const struct ref *r)
{
    uint32_t ended[7] = { 0 };
    for (uint32_t i = 0; i < LIMIT; i++) {
        MODEL_CHECK(m, !idset_test(p->array_pending, i) == (r->state[i] != T_PENDING),
                    "task %u: pending bit %d, model state %d", i,
                    idset_test(p->array_pending, i), r->state[i]);
        MODEL_CHECK(m, !idset_test(p->array_cancelled, i) == (r->state[i] != T_CANCELLED),
                    "task %u: cancelled bit %d, model state %d", i,
                    idset_test(p->array_cancelled, i), r->state[i]);
        if (r->state[i] == T_ENDED)
            ended[r->end[i]]++;
        if (r->state[i] == T_CANCELLED)
            ended[END_CANCELLED]++;
        if (r->job[i])
            MODEL_CHECK(m, jobtab_find_task(ctld.jobs, p->id, (int32_t)i) == r->job[i],
                        "task %u not found in the job table", i);
    }
    uint32_t running = count_state(r, T_RUNNING);
    MODEL_CHECK(m, p->array_running == running, "%u running, model %u", p->array_running,
                running);
    for (int e = END_COMPLETED; e <= END_OUT_OF_MEMORY; e++)
        MODEL_CHECK(m, p->array_ended[e] == ended[e], "%u ended %s, model %u",
                    p->array_ended[e], job_end_name((enum job_end)e), ended[e]);
    int done = !running && !count_state(r, T_PENDING);
    MODEL_CHECK(m, parent_ends == done, "the array ended %d times (model: %s)", parent_ends,
                done ? "once" : "not yet");
    if (done) {
        uint32_t total = 0;
        for (int e = END_COMPLETED; e <= END_OUT_OF_MEMORY; e++)
            total += ended[e];
        enum job_end want = ended[END_COMPLETED] == total   ? END_COMPLETED
                            : ended[END_CANCELLED] == total ? END_CANCELLED
                                                            : END_FAILED;
        MODEL_CHECK(m, parent_end == want, "the array ended %s, model %s",
                    job_end_name(parent_end), job_end_name(want));
    }
}

START_TEST(array_model)
{
    struct model m;
    model_init(&m);
    static struct ref r;
    ctld.jobs = jobtab_create();
    ctld.next_job_id = 1;
    struct job *p = new_array(&m, &r);
    for (m.step = 0; m.step < 20000; m.step++) {
        uint32_t op = model_below(&m, 100);
        if (op < 45)
            op_start(&m, p, &r);
        else if (op < 80)
            op_end(&m, p, &r);
        else if (op < 84)
            op_cancel(&m, p, &r, 0);
        else if (op < 85)
            op_cancel(&m, p, &r, 1);
        else
            op_commit(&r);
        check_array(&m, p, &r);
        if (parent_ends) {    /* this array is over: the next one */
            op_commit(&r);
            p = new_array(&m, &r);
        }
    }
    jobtab_destroy(ctld.jobs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: array jobs");
    TCase *tc = tcase_create("array");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, array_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
