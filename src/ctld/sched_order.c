/* sched_order.c: which pending jobs may be considered, and in what order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "parse.h"
#include "queue.h"
#include "sched_api.h"
#include "share.h"

static const char *job_blocker(struct ctld *c, const struct job *j, char *detail, size_t len)
{
    const struct conf_partition *parts[16];
    size_t np = sched_job_parts(c, j, parts, 16), up = 0;
    if (j->hold)
        return j->hold_admin ? "JobHeldAdmin" : "JobHeldUser";
    if (!np)
        return "PartitionConfig";
    struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
    if (q && q->q.disabled) {
        snprintf(detail, len, "queue %s is DISABLED: queued jobs wait until it is enabled",
                 q->q.name);
        return "QueueDisabled";
    }
    for (size_t i = 0; i < np; i++)
        up += parts[i]->state == PART_UP || parts[i]->state == PART_DRAIN;
    if (!up) {
        snprintf(detail, len, "partition %s is %s", parts[0]->name,
                 part_state_name(parts[0]->state));
        return parts[0]->state == PART_INACTIVE ? "PartitionInactive" : "PartitionDown";
    }
    return NULL;
}

/* A dependency that can never be satisfied fails the job (the default), and
 * so cascades down a chain within one pass. */
static int deps_ready(struct ctld *c, struct job *j)
{
    if (!j->deps.n)
        return 1;
    if (j->dep_dirty || j->dep_state == DEP_NONE) {
        j->dep_dirty = 0;
        j->dep_state = dep_eval(c, j, -1);
    }
    if (j->dep_state == DEP_OK)
        return 1;
    if (j->dep_state == DEP_NEVER)
        mail_job_invalid_depend(c, j);
    if (j->dep_state == DEP_NEVER && j->kill_on_invalid_dep) {
        if (job_is_array_parent(j))
            array_cancel(c, j, NULL, 0);
        ctld_job_finish(c, j, job_is_array_parent(j) ? END_CANCELLED : END_FAILED,
                        "DependencyFailed");
        return 0;
    }
    char detail[256];
    snprintf(detail, sizeof(detail), "%s %s", j->dep_state == DEP_NEVER ? "can never satisfy"
                                                                       : "waiting for",
             j->dependency ? j->dependency : "");
    sched_set_wait(j, JOB_PENDING, j->dep_state == DEP_NEVER ? "DependencyNeverSatisfied"
                                                             : "Dependency", detail);
    return 0;
}

/* --deadline: a pending job that can no longer end in time ends DEADLINE,
 * as in Slurm; until then, a pass is due when that moment comes. */
static int deadline_passed(struct ctld *c, struct job *j)
{
    int64_t least = sched_least_time(j);
    if (!j->deadline || job_is_array_parent(j))
        return 0;
    if (ctld_now() + least <= j->deadline) {
        ctld_wake_at(c, j->deadline - least + 1);
        return 0;
    }
    ctld_job_finish(c, j, END_DEADLINE, "DeadLine");
    return 1;
}

int sched_job_ready(struct ctld *c, struct job *j)
{
    char detail[256] = "";
    if (j->het_job_id && j->het_job_offset)
        return 0;   /* started with its leader (sched_het_try), never alone */
    if (deadline_passed(c, j))
        return 0;
    const char *why = job_blocker(c, j, detail, sizeof(detail));
    if (why) {
        sched_set_wait(j, JOB_PENDING, why, detail[0] ? detail : NULL);
        return 0;
    }
    if (j->begin_time > ctld_now()) {
        char t[32];
        ctld_wake_at(c, j->begin_time);
        snprintf(detail, sizeof(detail), "not before %s",
                 format_datetime(j->begin_time, t, sizeof(t)));
        sched_set_wait(j, JOB_PENDING, "BeginTime", detail);
        return 0;
    }
    return deps_ready(c, j) && !job_is_terminal(j) && sched_array_can_start(c, j) &&
           lic_job_ready(c, j) && resv_job_ready(c, j);
}

struct ordered {
    struct job *j;
    uint32_t qprio;
    int fair;           /* ordered by fair share */
    double key;         /* fair-share virtual time, or priority */
};

static int ordered_cmp(const void *a, const void *b)
{
    const struct ordered *x = a, *y = b;
    if (x->qprio != y->qprio)
        return x->qprio > y->qprio ? -1 : 1;
    if (x->fair && y->fair && x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (!x->fair && !y->fair && x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return (x->j->id > y->j->id) - (x->j->id < y->j->id);
}

size_t sched_order(struct ctld *c, struct job ***out)
{
    size_t n = 0, cap = 256;
    struct ordered *v = malloc(cap * sizeof(*v));
    share_pass_begin(c);
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!job_is_pending(j) || job_is_terminal(j))
            continue;
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof(*v));
        struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
        struct prio_factors f;
        if (c->prio && !j->priority_set)
            j->priority = c->prio->priority(c, j, &f);
        v[n].j = j;
        v[n].qprio = q ? q->q.priority : 1;
        v[n].fair = q && q->q.policy;
        v[n].key = v[n].fair ? -(double)j->sched_priority : (double)j->priority;
        n++;
    }
    /* Within a fair-share queue, jobs go by their share's virtual time:
     * sort by share priority first, then let share.c assign the keys. */
    qsort(v, n, sizeof(*v), ordered_cmp);
    for (size_t i = 0; i < n; i++) {
        if (v[i].fair)
            v[i].key = share_virtual_time(c, v[i].j);
    }
    qsort(v, n, sizeof(*v), ordered_cmp);
    *out = malloc((n ? n : 1) * sizeof(**out));
    for (size_t i = 0; i < n; i++)
        (*out)[i] = v[i].j;
    free(v);
    return n;
}
