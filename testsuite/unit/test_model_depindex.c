/* Model-based tests of the dependency index (src/ctld/depeval.c): random
 * submissions with dependencies, starts, ends, drops after the commit,
 * dependency updates and scheduling passes, against a table of each job's
 * status.  After every step: every waiting (dependent, target) pair is in
 * the index, the index holds no target that has ended (nothing would ever
 * remove it), no pair twice (unless updated), and a job not marked dirty still evaluates to
 * the state the last pass cached (no lost wake-up); dep_eval agrees with a
 * reference evaluation.  depeval.c is included to see the index. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "depeval.c"
#include "model.h"
#include "unit.h"

#define MAX_JOBS 3000

/* What the rest of the controller provides: a fake database of ended jobs. */
static json_t *db_recs;
json_t *db_job_get(struct db *d, uint32_t id)
{
    char key[16];
    snprintf(key, sizeof(key), "%u", id);
    return json_incref(json_object_get(db_recs, key));
}
json_t *db_task_get(struct db *d, uint32_t array_id, int32_t task) { return NULL; }
int64_t ctld_now(void) { return 1000; }
void ctld_wake_at(struct ctld *c, int64_t t) {}
void ctld_sched_request(struct ctld *c) {}

enum { M_NONE = 0, M_ACTIVE, M_ENDED };

struct mjob {
    int status;            /* M_*; M_ENDED also while still in memory */
    int ok;                /* ended successfully */
    int started;
    int updated;           /* its dependencies were replaced: may be listed twice */
    struct job *j;         /* while in memory */
};

static struct mjob mj[MAX_JOBS];
static uint32_t next_id;
static uint32_t updates;   /* dependency lists replaced */
static struct ctld ctld;

/* A random existing job (any status), or 0. */
static uint32_t random_known(struct model *m)
{
    if (next_id <= 1)
        return 0;
    uint32_t id = 1 + model_below(m, next_id - 1);
    return mj[id].status != M_NONE ? id : 0;
}

static struct job *random_active(struct model *m, int pending_only)
{
    for (int tries = 0; tries < 20; tries++) {
        uint32_t id = random_known(m);
        struct job *j = id ? mj[id].j : NULL;
        if (j && !job_is_terminal(j) && (!pending_only || job_is_pending(j)))
            return j;
    }
    return NULL;
}

static void random_deps(struct model *m, struct deplist *d)
{
    static const char *types[] = { "after", "afterany", "afterok", "afternotok" };
    char text[256];
    size_t len = 0;
    uint32_t n = 1 + model_below(m, 3);
    int any = model_chance(m, 20);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t target = random_known(m);
        const char *sep = len ? (any ? "?" : ",") : "";
        if (!target || model_chance(m, 8))
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%ssingleton", sep);
        else
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s:%u", sep,
                                    types[model_below(m, 4)], target);
    }
    sl_error_t e = { "" };
    MODEL_CHECK(m, depend_parse(text, d, &e) == 0, "'%s': %s", text, e.text);
}

static void op_submit(struct model *m)
{
    if (next_id >= MAX_JOBS)
        return;
    struct job *j = job_create();
    j->id = next_id++;
    j->uid = model_below(m, 3);
    job_set_str(&j->name, j->uid ? "sim" : "post");
    j->state = JOB_PENDING;
    if (model_chance(m, 80))
        random_deps(m, &j->deps);
    mj[j->id] = (struct mjob){ M_ACTIVE, 0, 0, 0, j };
    jobtab_add(ctld.jobs, j);
    dep_index_add(&ctld, j);
}

static void op_start(struct model *m)
{
    struct job *j = random_active(m, 1);
    if (!j)
        return;
    j->state = JOB_RUNNING;
    j->start_time = ctld_now();
    mj[j->id].started = 1;
    dep_notify(&ctld, j);
}

/* The end: notified now, dropped from memory at the next commit. */
static void op_end(struct model *m)
{
    struct job *j = random_active(m, 0);
    if (!j)
        return;
    int ok = model_chance(m, 60);
    j->state = ok ? JOB_SUCCEEDED : JOB_FAILED;
    if (!j->start_time)
        j->start_time = ctld_now();
    char key[16];
    snprintf(key, sizeof(key), "%u", j->id);
    json_object_set_new(db_recs, key, json_pack("{s:s, s:I}", "state",
                                                 ok ? "SUCCEEDED" : "FAILED", "start_time",
                                                 (json_int_t)j->start_time));
    mj[j->id].status = M_ENDED;
    mj[j->id].ok = ok;
    mj[j->id].started = 1;
    dep_notify(&ctld, j);
}

static void op_commit(void)
{
    struct job *next;
    for (struct job *j = jobtab_first(ctld.jobs); j; j = next) {
        next = j->next;
        if (job_is_terminal(j)) {
            mj[j->id].j = NULL;
            jobtab_remove(ctld.jobs, j);
            job_destroy(j);
        }
    }
}

/* scontrol update Dependency=: as ops_update.c does it. */
static void op_update(struct model *m)
{
    struct job *j = random_active(m, 1);
    if (!j)
        return;
    struct deplist d;
    random_deps(m, &d);
    if (dep_cycle(&ctld, j->id, &d)) {
        depend_free(&d);
        return;
    }
    for (size_t i = 0; i < j->deps.n; i++)   /* counted, and not taken back */
        updates += j->deps.items[i].type == DEP_SINGLETON;
    depend_free(&j->deps);
    j->deps = d;
    j->dep_state = DEP_NONE;
    mj[j->id].updated = 1;
    dep_index_add(&ctld, j);
}

/* A scheduling pass, as sched_order.c evaluates. */
static void op_pass(void)
{
    for (struct job *j = jobtab_first(ctld.jobs); j; j = j->next) {
        if (!job_is_pending(j) || !j->deps.n)
            continue;
        if (j->dep_dirty || j->dep_state == DEP_NONE) {
            j->dep_dirty = 0;
            j->dep_state = dep_eval(&ctld, j, -1);
        }
    }
}

/* The reference evaluation, from the table of statuses. */
static int ref_item(const struct job *j, const struct dep *d)
{
    if (d->type == DEP_SINGLETON) {
        for (uint32_t id = 1; id < j->id; id++) {
            const struct job *o = mj[id].j;
            if (o && mj[id].status == M_ACTIVE && o->uid == j->uid && !strcmp(o->name, j->name))
                return DEP_WAIT;
        }
        return DEP_OK;
    }
    const struct mjob *t = &mj[d->job_id];
    int ended = t->status == M_ENDED;
    switch (d->type) {
    case DEP_AFTER: return t->started || ended ? DEP_OK : DEP_WAIT;
    case DEP_AFTERANY: return ended ? DEP_OK : DEP_WAIT;
    case DEP_AFTEROK: return !ended ? DEP_WAIT : t->ok ? DEP_OK : DEP_NEVER;
    default: return !ended ? DEP_WAIT : t->ok ? DEP_NEVER : DEP_OK;
    }
}

static int ref_eval(const struct job *j)
{
    int any_ok = 0, all_ok = 1, any_never = 0, all_never = 1;
    for (size_t i = 0; i < j->deps.n; i++) {
        int st = ref_item(j, &j->deps.items[i]);
        any_ok |= st == DEP_OK;
        all_ok &= st == DEP_OK;
        any_never |= st == DEP_NEVER;
        all_never &= st == DEP_NEVER;
    }
    if (!j->deps.n)
        return DEP_OK;
    if (j->deps.any)
        return any_ok ? DEP_OK : all_never ? DEP_NEVER : DEP_WAIT;
    return all_ok ? DEP_OK : any_never ? DEP_NEVER : DEP_WAIT;
}

static int index_has(uint32_t target, uint32_t dependent)
{
    char key[16];
    size_t i;
    json_t *v;
    snprintf(key, sizeof(key), "%u", target);
    json_array_foreach(json_object_get(rindex_, key), i, v)
        if ((uint32_t)json_integer_value(v) == dependent)
            return 1;
    return 0;
}

static void check_index(struct model *m)
{
    const char *key;
    json_t *list;
    json_object_foreach(rindex_, key, list) {
        uint32_t target = (uint32_t)strtoul(key, NULL, 10);
        MODEL_CHECK(m, target < MAX_JOBS && mj[target].status == M_ACTIVE,
                    "the index keeps job %u, which has ended: nothing will remove it", target);
        size_t i, k;
        json_t *v, *w;
        json_array_foreach(list, i, v) {
            json_array_foreach(list, k, w) {
                uint32_t dep = (uint32_t)json_integer_value(v);
                MODEL_CHECK(m, k >= i || dep != json_integer_value(w) || mj[dep].updated,
                            "job %lld listed twice under %u", (long long)json_integer_value(v),
                            target);
            }
        }
    }
    uint32_t singletons = 0;
    for (struct job *j = jobtab_first(ctld.jobs); j; j = j->next) {
        if (job_is_terminal(j))
            continue;
        for (size_t i = 0; i < j->deps.n; i++) {
            const struct dep *d = &j->deps.items[i];
            singletons += d->type == DEP_SINGLETON;
            if (d->job_id && mj[d->job_id].status == M_ACTIVE)
                MODEL_CHECK(m, index_has(d->job_id, j->id),
                            "job %u waits on %u but is not in its index entry", j->id,
                            d->job_id);
        }
        if (!job_is_pending(j) || !j->deps.n)
            continue;
        int want = ref_eval(j), got = dep_eval(&ctld, j, -1);
        MODEL_CHECK(m, got == want, "job %u (%s): dep_eval %d, model %d", j->id,
                    j->dependency ? j->dependency : "", got, want);
        if (!j->dep_dirty && j->dep_state != DEP_NONE)
            MODEL_CHECK(m, j->dep_state == want,
                        "job %u: cached dependency state %d is stale (now %d) and not dirty: "
                        "a lost wake-up", j->id, j->dep_state, want);
    }
    /* Never fewer than the jobs waiting (one would never be woken); more
     * only by updates, which replace a list without taking back its count
     * (each extra one costs a scan of the table at every job end). */
    MODEL_CHECK(m, singleton_waiters >= singletons,
                "%u jobs wait as singletons but singleton_waiters is %u", singletons,
                singleton_waiters);
    MODEL_CHECK(m, singleton_waiters <= singletons + updates,
                "singleton_waiters is %u for %u waiting jobs (%u updates): it never shrinks",
                singleton_waiters, singletons, updates);
}

START_TEST(depindex_model)
{
    struct model m;
    model_init(&m);
    memset(mj, 0, sizeof(mj));
    next_id = 1;
    updates = 0;
    db_recs = json_object();
    ctld.jobs = jobtab_create();
    for (m.step = 0; m.step < 6000; m.step++) {
        uint32_t op = model_below(&m, 100);
        if (op < 30)
            op_submit(&m);
        else if (op < 45)
            op_start(&m);
        else if (op < 65)
            op_end(&m);
        else if (op < 75)
            op_commit();
        else if (op < 82)
            op_update(&m);
        else
            op_pass();
        check_index(&m);
    }
    jobtab_destroy(ctld.jobs);
    dep_index_fini();
    json_decref(db_recs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: dependency index");
    TCase *tc = tcase_create("depindex");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, depindex_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
