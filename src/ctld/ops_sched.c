/* ops_sched.c: sprio and sshare's data, and MaxRunnableTime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "queue.h"
#include "sched_api.h"
#include "share.h"


/* sprio: each pending job's priority and, under multifactor, its factors
 * and the weights they were multiplied by. */
void op_prio_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *jobs = json_array();
    const conf_t *cf = c->conf;
    uid_t uid = conn_uid(conn);
    int all = ctld_sees_all(c, uid, PRIVATE_JOBS);
    share_pass_begin(c);
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!job_is_pending(j) || job_is_terminal(j) || (!all && j->uid != uid))
            continue;
        struct prio_factors f = { 0 };
        uint32_t prio = c->prio ? c->prio->priority(c, j, &f) : j->priority;
        json_array_append_new(jobs, json_pack(
            "{s:i, s:s, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:i}", "job_id", (int)j->id, "user",
            j->user ? j->user : "", "queue", j->queue ? j->queue : "", "share", share_id(j),
            "priority", (json_int_t)prio, "age", f.age, "fairshare", f.fairshare, "jobsize",
            f.jobsize, "partition", f.partition, "nice", (int)f.nice));
    }
    conn_reply(conn, id, json_pack("{s:o, s:s, s:{s:i, s:i, s:i, s:i, s:i}}", "jobs", jobs,
                                   "priority_type", cf->priority_type, "weights", "age",
                                   (int)cf->prio_weight_age, "fairshare",
                                   (int)cf->prio_weight_fairshare, "jobsize",
                                   (int)cf->prio_weight_jobsize, "partition",
                                   (int)cf->prio_weight_partition, "nice",
                                   (int)cf->prio_weight_nice));
}

/* With PrivateData=usage an ordinary user sees the shares named after
 * them and those their active jobs draw on. */
static int share_is_users(struct ctld *c, const char *share, uid_t uid)
{
    if (!strcmp(share, ctld_user_name(uid)))
        return 1;
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next)
        if (j->uid == uid && !strcmp(share_id(j), share))
            return 1;
    return 0;
}

void op_share_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uid_t uid = conn_uid(conn);
    json_t *rows = share_list(c);
    for (size_t i = 0; !ctld_sees_all(c, uid, PRIVATE_USAGE) && i < json_array_size(rows);) {
        const char *share = json_string_value(json_object_get(json_array_get(rows, i), "share"));
        if (share && share_is_users(c, share, uid))
            i++;
        else
            json_array_remove(rows, i);
    }
    conn_reply(conn, id, json_pack("{s:o}", "shares", rows));
}

/* A job at the head of its queue longer than MaxRunnableTime is cancelled
 * with the queue's Reason (AWS jobStateTimeLimitActions). */
void queue_heads_check(struct ctld *c)
{
    int64_t now = ctld_now();
    for (size_t i = 0; i < c->nqueues; i++) {
        struct queue *q = c->queues[i];
        if (!q->q.max_runnable_time)
            continue;
        struct job *head = NULL;
        for (struct job *j = jobtab_first(c->jobs); j && !head; j = j->next) {
            if (j->queue && !strcmp(j->queue, q->q.name) && j->state == JOB_RUNNABLE)
                head = j;
        }
        if (!head) {
            q->head_job = 0;
            continue;
        }
        if (head->id != q->head_job) {
            q->head_job = head->id;
            q->head_since = now;
        }
        if (now - q->head_since >= q->q.max_runnable_time) {
            log_info("job %u waited %lld s at the head of queue %s: cancelled (%s)", head->id,
                     (long long)(now - q->head_since), q->q.name, q->q.reason);
            if (job_is_array_parent(head))
                array_cancel(c, head, NULL, 0);
            ctld_job_finish(c, head, END_CANCELLED, q->q.reason);
            q->head_job = 0;
        } else {
            ctld_wake_at(c, q->head_since + q->q.max_runnable_time);
        }
    }
}
