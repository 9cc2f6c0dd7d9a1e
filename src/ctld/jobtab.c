/* jobtab.c: active jobs by id (hash) and in id order (list). */
#include <stdlib.h>
#include "ctld.h"

#define TASK_BUCKETS 4096u

struct jobtab {
    struct job **buckets;
    struct job *tasks[TASK_BUCKETS];   /* array tasks by (array id, index) */
    size_t nbuckets;
    size_t count;
    struct job *head, *tail;
};

struct jobtab *jobtab_create(void)
{
    struct jobtab *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->nbuckets = 1024;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    return t;
}

void jobtab_destroy(struct jobtab *t)
{
    if (!t)
        return;
    struct job *j = t->head;
    while (j) {
        struct job *next = j->next;
        job_destroy(j);
        j = next;
    }
    free(t->buckets);
    free(t);
}

static void jobtab_grow(struct jobtab *t)
{
    size_t n = t->nbuckets * 2;
    struct job **b = calloc(n, sizeof(*b));
    if (!b)
        return;   /* keep the smaller table: slower, still correct */
    for (struct job *j = t->head; j; j = j->next) {
        size_t h = j->id & (n - 1);
        j->hnext = b[h];
        b[h] = j;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static size_t task_hash(uint32_t array_id, int32_t task)
{
    return ((size_t)array_id * 2654435761u + (size_t)task) % TASK_BUCKETS;
}

struct job *jobtab_find_task(struct jobtab *t, uint32_t array_id, int32_t task)
{
    for (struct job *j = t->tasks[task_hash(array_id, task)]; j; j = j->tnext) {
        if (j->array_job_id == array_id && j->array_task_id == task)
            return j;
    }
    return NULL;
}

void jobtab_add(struct jobtab *t, struct job *j)
{
    if (j->array_job_id && j->array_task_id >= 0) {
        size_t h = task_hash(j->array_job_id, j->array_task_id);
        j->tnext = t->tasks[h];
        t->tasks[h] = j;
    }
    /* Ids mostly arrive in order: walk back from the tail. */
    struct job *after = t->tail;
    while (after && after->id > j->id)
        after = after->prev;
    j->prev = after;
    j->next = after ? after->next : t->head;
    if (j->next)
        j->next->prev = j;
    else
        t->tail = j;
    if (after)
        after->next = j;
    else
        t->head = j;
    /* Chain the job before growing: growth rehashes every job on the list,
     * this one included, so chaining it afterwards would link it twice. */
    size_t h = j->id & (t->nbuckets - 1);
    j->hnext = t->buckets[h];
    t->buckets[h] = j;
    if (++t->count > t->nbuckets)
        jobtab_grow(t);
}

void jobtab_remove(struct jobtab *t, struct job *j)
{
    if (j->array_job_id && j->array_task_id >= 0) {
        struct job **tp = &t->tasks[task_hash(j->array_job_id, j->array_task_id)];
        while (*tp && *tp != j)
            tp = &(*tp)->tnext;
        if (*tp)
            *tp = j->tnext;
        j->tnext = NULL;
    }
    struct job **pp = &t->buckets[j->id & (t->nbuckets - 1)];
    while (*pp && *pp != j)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = j->hnext;
    if (j->prev)
        j->prev->next = j->next;
    else
        t->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        t->tail = j->prev;
    j->prev = j->next = j->hnext = NULL;
    t->count--;
}

struct job *jobtab_find(struct jobtab *t, uint32_t id)
{
    for (struct job *j = t->buckets[id & (t->nbuckets - 1)]; j; j = j->hnext) {
        if (j->id == id)
            return j;
    }
    return NULL;
}

struct job *jobtab_first(struct jobtab *t)
{
    return t->head;
}

size_t jobtab_count(struct jobtab *t)
{
    return t->count;
}
