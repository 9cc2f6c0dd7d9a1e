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
/* The partition's MaxvCPUs now (scontrol update may have changed it). */
uint32_t elastic_max_vcpus(struct ctld *c, const struct conf_partition *p);

/* elastic_type.c: the instance type a node is resumed as. */
/* n takes the type of conf node tmpl (a node of the same partition). */
void elastic_node_retype(const conf_t *conf, struct node *n, const struct conf_node *tmpl);
/* The same by type name; -1 when n's partition has no such type. */
int elastic_node_retype_name(const conf_t *conf, struct node *n, const char *type);
/* node_reconfigure: n's entry is now cfg (of newconf); keep its type. */
void elastic_node_reconfigure(const conf_t *newconf, struct node *n,
                              const struct conf_node *cfg);
/* Does the job (arg) fit probe as it is typed now? */
typedef int (*elastic_fits_fn)(struct ctld *c, struct node *probe, void *arg);
/* The type to resume count powered-down nodes of p as for a job: the
 * strategy's choice (elastic_choose) among the types that fit it, tried on
 * probe (a powered-down node of p, left typed as the last one tried).
 * NULL when none fits. */
const struct conf_node *elastic_job_type(struct ctld *c, const struct conf_partition *p,
                                         struct node *probe, uint32_t count,
                                         elastic_fits_fn fits, void *arg);
void op_part_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg);

#endif
