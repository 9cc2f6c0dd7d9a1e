/* power.h: power saving.  State=CLOUD nodes start powered down; the
 * scheduler may place jobs on them, which resumes them through the cloud
 * plugin (power_cloud.c); nodes idle for SuspendTime are suspended.  Rates,
 * timeouts and the states follow Slurm's power_save (doc/design.md, "Power
 * saving and cloud plugins"). */
#ifndef CTLD_POWER_H
#define CTLD_POWER_H

#include <stdint.h>
#include <jansson.h>
#include "ctld.h"

/* A node's power state (struct node.power). */
enum power_state {
    POWER_ON = 0,         /* powered up (or not managed) */
    POWER_OFF,            /* POWERED_DOWN, sinfo '~' */
    POWER_UP,             /* POWERING_UP, sinfo '#' */
    POWER_DOWN,           /* POWERING_DOWN, sinfo '%' */
};

/* struct node.power_req: a power-down asked for (sinfo '!'). */
enum power_req { POWER_REQ_NONE = 0, POWER_REQ_DOWN, POWER_REQ_ASAP };

/* Token bucket of a rate in nodes per minute (0: unlimited): pure logic,
 * unit-tested (testsuite/unit/test_power_rate.c). */
struct power_rate {
    uint32_t per_min;
    double tokens;
    double last;          /* seconds, monotonic */
};
void power_rate_init(struct power_rate *r, uint32_t per_min, double now);
/* How many may go now (at most want); takes them from the bucket. */
uint32_t power_rate_take(struct power_rate *r, uint32_t want, double now);

/* The node's state in Slurm's words, or "" when powered up:
 * POWERED_DOWN, POWERING_UP, POWERING_DOWN; "+POWER_DOWN" is added by
 * power_node_json for a requested power-down. */
const char *power_state_name(enum power_state s);

/* The controller's power-saving state (c->power; NULL without CloudType). */
struct power {
    struct power_cloud *pc;
    struct event *tick_ev, *describe_ev;
    struct power_rate resume, suspend;
    struct hostlist *exc_nodes;   /* SuspendExcNodes */
    const conf_t *for_conf;       /* the config suspend_after was computed from */
    int *suspend_after;           /* per node: idle seconds before power-down, -1 never */
    int reconciled;               /* the first describe has come back */
};

/* Controller life (power_tick.c). */
int power_setup(struct ctld *c, sl_error_t *e);
void power_teardown(struct ctld *c);
/* The plugin and its settings are read at start: refuse a reconfigure that
 * changes them (or adds State=CLOUD nodes without a CloudType). */
int power_reconfigure_check(struct ctld *c, const conf_t *nc, sl_error_t *e);
/* A node's power state: from its saved record, else from its config. */
void power_node_load(struct node *n, json_t *rec);
/* Its power fields into its saved record / its listing. */
void power_node_save(const struct node *n, json_t *rec);
void power_node_json(const struct node *n, json_t *o);

/* May the scheduler place a job on this powered-down or powering-up node
 * (it will be resumed)?  0 for a powered-up node: node_usable decides. */
int power_node_plannable(const struct node *n);
/* Not powered up: no link expected, NodeTimeout does not apply. */
int power_node_off(const struct node *n);
/* launch_job's hook: if some of the job's nodes are not up yet, resume
 * them, keep the job CONFIGURING and return 1; it launches when they have
 * all registered. */
int power_job_hold(struct ctld *c, struct job *j);
/* A node registered: 1 if it was powering up (a fresh boot: nothing of
 * ours runs there, no reconcile needed); launches jobs that waited. */
int power_node_registered(struct ctld *c, struct node *n);

/* The cloud plugin and its worker (power_cloud.c). */
struct power_cloud;
struct power_cloud *power_cloud_start(struct ctld *c, sl_error_t *e);
void power_cloud_stop(struct power_cloud *pc);
/* Queue a call; its result comes back on the loop (power_*_done). */
void power_cloud_resume(struct power_cloud *pc, json_t *req);
void power_cloud_suspend(struct power_cloud *pc, json_t *req);
void power_cloud_describe(struct power_cloud *pc);
json_t *power_node_desc(const struct node *n);

/* Results, on the loop (power.c). */
void power_resume_done(struct ctld *c, json_t *req, json_t *result, const char *err);
/* Internal to power*.c: change state (saved), fail a node, run the tick now. */
void power_node_state(struct ctld *c, struct node *n, enum power_state s);
void power_node_fail(struct ctld *c, struct node *n, const char *why);
void power_kick(struct ctld *c);
void power_suspend_done(struct ctld *c, json_t *req, json_t *result, const char *err);
void power_describe_done(struct ctld *c, json_t *result, const char *err);
void power_instance_lost(struct ctld *c, const char *node, const char *why);

#endif
