/* queue.h: queues at run time: the config's QueueName lines, one implicit
 * queue per partition, and what scontrol created, changed or deleted since
 * (kept in the database). */
#ifndef CTLD_QUEUE_H
#define CTLD_QUEUE_H

#include <jansson.h>
#include "conf.h"
#include "error.h"

struct ctld;
struct job;

struct queue {
    struct conf_queue q;           /* own copy */
    int implicit;                  /* a partition's own queue */
    uint32_t head_job;             /* job at the head, for MaxRunnableTime */
    int64_t head_since;
};

/* Build c->queues from the config and the database's changes. */
int queues_setup(struct ctld *c, sl_error_t *e);
void queues_teardown(struct ctld *c);
struct queue *queue_find(struct ctld *c, const char *name);
uint32_t queue_max_priority(struct ctld *c);
json_t *queue_to_json(struct ctld *c, const struct queue *q);
/* Apply the policies created, changed or deleted at run time. */
void policies_overlay(struct ctld *c);
json_t *policy_to_json(const struct conf_policy *p);

#endif
