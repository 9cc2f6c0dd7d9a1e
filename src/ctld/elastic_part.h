/* elastic_part.h: Elastic=YES partitions in the controller (elastic_part.c). */
#ifndef CTLD_ELASTIC_PART_H
#define CTLD_ELASTIC_PART_H

#include <stdint.h>
#include <jansson.h>
#include "ctld.h"
#include "hostlist.h"

void elastic_setup(struct ctld *c);
void elastic_teardown(struct ctld *c);
/* vCPUs of p's nodes running or powering up: its DesiredvCPUs. */
uint32_t elastic_vcpus(struct ctld *c, const struct conf_partition *p);
/* sched_pick_now's last word on got nodes of elastic p: got, or 0 with why
 * (PartitionDisabled, MaxvCPUsReached). */
size_t elastic_pick_check(struct ctld *c, const struct conf_partition *p, struct node **out,
                          size_t got, const char **why);
/* Should idle node n power down?  idle_long: idle past its SuspendTime
 * (ScaleDownDelay).  Keeps MinvCPUs; above a lowered MaxvCPUs, at once. */
int elastic_node_scale_in(struct ctld *c, const struct node *n, int idle_long);
/* scontrol power up of hl: -1 with why when its powered-down nodes would
 * take an elastic partition past MaxvCPUs (as a placement may not). */
int elastic_power_up_check(struct ctld *c, hostlist_t *hl, char *why, size_t len);
/* Once a second (power tick): power up nodes to keep MinvCPUs. */
void elastic_tick(struct ctld *c);
/* Its elastic fields into a partition's listing. */
void elastic_part_json(struct ctld *c, const struct conf_partition *p, json_t *o);
void op_part_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg);

#endif
