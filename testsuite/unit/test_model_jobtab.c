/* Model-based tests of the job table (src/ctld/jobtab.c): random adds,
 * removes and lookups against an array indexed by job id, with every hash
 * chain, the id-ordered list and the task index checked after each step.
 * The table is included, not linked, so the checks can see its buckets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "jobtab.c"
#include "model.h"
#include "unit.h"

#define MAX_ID 40000u     /* ids drawn below this */

/* The reference: which job holds each id. */
struct ref {
    struct job *by_id[MAX_ID];
    unsigned char seen[MAX_ID];   /* scratch for the checks */
    size_t count, ntasks;
    uint32_t next_id;
};

static struct ref *ref_new(void)
{
    struct ref *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    r->next_id = 1;
    return r;
}

/* Walk one chain, bounded by the table's size so that a loop fails the
 * test instead of hanging it; each job must be known and seen only once. */
static size_t check_chain(struct model *m, struct ref *r, struct job *head, size_t bound,
                          int tasks, size_t bucket, size_t nbuckets)
{
    size_t len = 0;
    for (struct job *j = head; j; j = tasks ? j->tnext : j->hnext) {
        MODEL_CHECK(m, len < bound, "%s chain %zu loops or is longer than %zu",
                    tasks ? "task" : "id", bucket, bound);
        MODEL_CHECK(m, j->id < MAX_ID && r->by_id[j->id] == j,
                    "chain %zu holds job %u, which is not in the table", bucket, j->id);
        size_t h = tasks ? task_hash(j->array_job_id, j->array_task_id) : j->id & (nbuckets - 1);
        MODEL_CHECK(m, h == bucket, "job %u in bucket %zu, hashes to %zu", j->id, bucket, h);
        unsigned char bit = tasks ? 2 : 1;
        MODEL_CHECK(m, !(r->seen[j->id] & bit), "job %u chained twice (a loop?)", j->id);
        r->seen[j->id] |= bit;
        len++;
    }
    return len;
}

static void check_list(struct model *m, struct jobtab *t, struct ref *r)
{
    size_t n = 0;
    struct job *prev = NULL;
    for (struct job *j = t->head; j; prev = j, j = j->next) {
        MODEL_CHECK(m, n < r->count, "list longer than the %zu jobs", r->count);
        MODEL_CHECK(m, j->prev == prev, "job %u: prev link broken", j->id);
        MODEL_CHECK(m, !prev || prev->id < j->id, "list out of order: %u before %u",
                    prev ? prev->id : 0, j->id);
        MODEL_CHECK(m, j->id < MAX_ID && r->by_id[j->id] == j, "list holds unknown job %u",
                    j->id);
        n++;
    }
    MODEL_CHECK(m, t->tail == prev, "tail is not the last job");
    MODEL_CHECK(m, jobtab_first(t) == t->head, "jobtab_first is not the head");
    MODEL_CHECK(m, n == r->count, "list has %zu jobs, model %zu", n, r->count);
    MODEL_CHECK(m, jobtab_count(t) == r->count, "count %zu, model %zu", jobtab_count(t),
                r->count);
}

static void check_table(struct model *m, struct jobtab *t, struct ref *r)
{
    check_list(m, t, r);
    size_t nb = t->nbuckets;
    MODEL_CHECK(m, nb >= 1024 && (nb & (nb - 1)) == 0, "%zu buckets", nb);
    MODEL_CHECK(m, r->count <= nb, "%zu jobs in %zu buckets: the table did not grow",
                r->count, nb);
    memset(r->seen, 0, sizeof(r->seen));
    size_t total = 0, tasks = 0;
    for (size_t b = 0; b < nb; b++)
        total += check_chain(m, r, t->buckets[b], r->count, 0, b, nb);
    for (size_t b = 0; b < TASK_BUCKETS; b++)
        tasks += check_chain(m, r, t->tasks[b], r->ntasks, 1, b, TASK_BUCKETS);
    MODEL_CHECK(m, total == r->count, "%zu jobs chained, model %zu", total, r->count);
    MODEL_CHECK(m, tasks == r->ntasks, "%zu tasks chained, model %zu", tasks, r->ntasks);
}

/* Lookups: a known id, and ids sharing its bucket now and after growth. */
static void check_finds(struct model *m, struct jobtab *t, struct ref *r, uint32_t id)
{
    struct job *want = id < MAX_ID ? r->by_id[id] : NULL;
    MODEL_CHECK(m, jobtab_find(t, id) == want, "find(%u) disagrees with the model", id);
    for (uint32_t k = 1; k <= 4; k++) {
        uint32_t other = id + k * 1024;
        struct job *o = other < MAX_ID ? r->by_id[other] : NULL;
        MODEL_CHECK(m, jobtab_find(t, other) == o, "find(%u) disagrees with the model", other);
    }
    if (want && want->array_job_id)
        MODEL_CHECK(m, jobtab_find_task(t, want->array_job_id, want->array_task_id) == want,
                    "find_task(%u, %d) lost job %u", want->array_job_id, want->array_task_id,
                    id);
}

static void add_id(struct jobtab *t, struct ref *r, uint32_t id, int task)
{
    struct job *j = job_create();
    ck_assert_ptr_nonnull(j);
    j->id = id;
    if (task) {        /* an array task: (array, index) unique by id */
        j->array_job_id = 1 + id % 37;
        j->array_task_id = (int32_t)id;
        r->ntasks++;
    }
    jobtab_add(t, j);
    r->by_id[id] = j;
    r->count++;
}

static void op_add(struct model *m, struct jobtab *t, struct ref *r)
{
    uint32_t id;
    while (r->next_id < MAX_ID && r->by_id[r->next_id])
        r->next_id++;                 /* the controller never reuses an active id */
    if (model_chance(m, 85) && r->next_id < MAX_ID) {
        id = r->next_id++;            /* submissions: ids in order */
    } else {
        id = 1 + model_below(m, MAX_ID - 1);   /* recovery, requeue: out of order */
        if (r->by_id[id])
            return;
    }
    add_id(t, r, id, model_chance(m, 20));
}

static uint32_t random_member(struct model *m, struct jobtab *t, struct ref *r)
{
    /* A random start, then the next id present: cheap and covers all. */
    uint32_t id = model_below(m, MAX_ID);
    for (uint32_t i = 0; i < MAX_ID; i++, id = (id + 1) % MAX_ID)
        if (r->by_id[id])
            return id;
    return 0;
}

static void op_remove(struct model *m, struct jobtab *t, struct ref *r)
{
    if (!r->count)
        return;
    uint32_t id = random_member(m, t, r);
    struct job *j = r->by_id[id];
    jobtab_remove(t, j);
    MODEL_CHECK(m, !j->next && !j->prev && !j->hnext && !j->tnext,
                "removed job %u keeps its links", id);
    if (j->array_job_id)
        r->ntasks--;
    r->by_id[id] = NULL;
    r->count--;
    job_destroy(j);
}

/* Grow to about target jobs (adding mostly), or shrink to it. */
static void run_phase(struct model *m, struct jobtab *t, struct ref *r, size_t target,
                      long steps)
{
    for (long i = 0; i < steps; i++, m->step++) {
        int grow = r->count < target;
        if (model_chance(m, grow ? 80 : 20))
            op_add(m, t, r);
        else
            op_remove(m, t, r);
        check_table(m, t, r);
        check_finds(m, t, r, model_below(m, MAX_ID));
        if (r->count)
            check_finds(m, t, r, random_member(m, t, r));
    }
}

START_TEST(jobtab_model)
{
    struct model m;
    model_init(&m);
    struct jobtab *t = jobtab_create();
    struct ref *r = ref_new();
    ck_assert_ptr_nonnull(t);
    run_phase(&m, t, r, 1100, 2000);    /* past 1024 buckets */
    run_phase(&m, t, r, 100, 2000);     /* down again: the table keeps its size */
    run_phase(&m, t, r, 5000, 9000);    /* past 2048 and 4096 */
    run_phase(&m, t, r, 0, 9000);       /* empty it */
    MODEL_CHECK(&m, t->nbuckets >= 8192, "only %zu buckets after 5000 jobs", t->nbuckets);
    jobtab_destroy(t);
    free(r);
}
END_TEST

/* The case: the 1,025th job triggers growth and must be chained
 * once; a lookup of an id in its bucket must end, and removing it must
 * leave nothing pointing at it. */
START_TEST(jobtab_growth_chains_new_job_once)
{
    struct model m = { 0, 0, 0 };
    struct jobtab *t = jobtab_create();
    struct ref *r = ref_new();
    for (uint32_t id = 1; id <= 1025; id++, m.step++)
        add_id(t, r, id, 0);
    check_table(&m, t, r);
    uint32_t last = 1025;
    ck_assert_ptr_null(jobtab_find(t, last + 2048));
    jobtab_remove(t, r->by_id[last]);
    job_destroy(r->by_id[last]);
    r->by_id[last] = NULL;
    r->count--;
    check_table(&m, t, r);
    ck_assert_ptr_null(jobtab_find(t, last));
    jobtab_destroy(t);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model: job table");
    TCase *tc = tcase_create("jobtab");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, jobtab_growth_chains_new_job_once);
    tcase_add_test(tc, jobtab_model);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
