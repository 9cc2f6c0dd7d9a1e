/* power.c: power saving: the nodes' power states, resumes for jobs,
 * ResumeTimeout, idle power-down at SuspendRate, and the reconciliation
 * with the provider after a restart.  Slurm's power_save is the model:
 * powered down '~', powering up '#', powering down '%', power down asked '!'.
 *
 * What must survive a kill -9 is in the nodes' saved records (power,
 * power_since, instance, power_req) and in the jobs' (a CONFIGURING job
 * holds its nodes); "which job waits for which node" is a STARTING job on a
 * node that is not powered up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "hostlist.h"
#include "log.h"
#include "elastic_part.h"
#include "power.h"

const char *power_state_name(enum power_state s)
{
    static const char *const names[] = { "", "POWERED_DOWN", "POWERING_UP", "POWERING_DOWN" };
    return (unsigned)s < 4 ? names[s] : "";
}

static enum power_state power_parse(const char *s)
{
    for (int i = POWER_OFF; s && i <= POWER_DOWN; i++)
        if (strcmp(s, power_state_name((enum power_state)i)) == 0)
            return (enum power_state)i;
    return POWER_ON;
}

void power_node_load(struct node *n, json_t *rec)
{
    json_t *p = json_object_get(rec, "power");
    n->power = POWER_ON;
    if (!n->cfg->cloud)
        return;
    if (!json_is_string(p)) {      /* first start: a cloud node starts powered down */
        n->power = POWER_OFF;
        n->power_since = ctld_now();
        return;
    }
    n->power = power_parse(json_string_value(p));
    n->power_since = json_integer_value(json_object_get(rec, "power_since"));
    n->power_req = (int)json_integer_value(json_object_get(rec, "power_req"));
    job_set_str(&n->instance, json_string_value(json_object_get(rec, "instance")));
    const char *type = json_string_value(json_object_get(rec, "instance_type"));
    if (type && n->cfg->instance_type && strcmp(type, n->cfg->instance_type) &&
        elastic_node_retype_name(n->ctld->conf, n, type) < 0)
        log_info("node %s: was resumed as %s, which its partition no longer has", n->name, type);
}

void power_node_save(const struct node *n, json_t *rec)
{
    if (!n->cfg->cloud)
        return;
    json_object_update_new(rec, json_pack("{s:s, s:I, s:i, s:s?}", "power",
                                          n->power == POWER_ON ? "ON" : power_state_name(n->power),
                                          "power_since", (json_int_t)n->power_since, "power_req", n->power_req,
                                          "instance", n->instance));
    if (n->etype_cfg)       /* resumed as another type than its name's */
        json_object_set_new(rec, "instance_type", json_string(n->etype_cfg->instance_type));
}

void power_node_json(const struct node *n, json_t *o)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s%s%s", power_state_name(n->power),
             n->power_req && n->power != POWER_ON ? "+" : "", n->power_req ? "POWER_DOWN" : "");
    json_object_update_new(o, json_pack("{s:b, s:s, s:I}", "cloud", n->cfg->cloud, "power", buf,
                                        "power_since", (json_int_t)n->power_since));
    if (n->instance)
        json_object_set_new(o, "instance", json_string(n->instance));
    if (power_node_off(n) && !n->down)   /* not answering is expected: not '*' */
        json_object_set_new(o, "responding", json_true());
}

int power_node_off(const struct node *n)
{
    return n->power != POWER_ON;
}

int power_node_plannable(const struct node *n)
{
    return (n->power == POWER_OFF || n->power == POWER_UP) && !n->down && !n->drain &&
           !n->power_req;
}

void power_node_state(struct ctld *c, struct node *n, enum power_state s)
{
    const struct conf_node *base = n->etype_cfg ? conf_node_find(c->conf, n->name) : NULL;
    if (s == POWER_OFF && base)   /* powered down: its name's type again, until resumed */
        elastic_node_retype(c->conf, n, base);
    n->power = s;
    n->power_since = ctld_now();
    n->power_sent = 0;
    node_save(c, n);
}

/* A STARTING job on n: the job that waits for it (or runs there). */
static int job_on(const struct job *j, const struct node *n)
{
    if (job_is_pending(j) || job_is_terminal(j) || !j->nodes)
        return 0;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    int hit = hl && hostlist_find(hl, n->name) >= 0;
    hostlist_destroy(hl);
    return hit;
}

/* Are all of j's nodes up?  Writes the ones that are not into buf. */
static int job_nodes_up(struct ctld *c, struct job *j, char *buf, size_t len,
                        int64_t *since)
{
    hostlist_t *hl = hostlist_expand(j->nodes, NULL), *wait = hostlist_create();
    for (size_t i = 0; hl && i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        if (n && (power_node_off(n) || !n->registered)) {
            hostlist_push_host(wait, n->name);
            if (since && (!*since || n->power_since < *since))
                *since = n->power_since;
        }
    }
    char *s = hostlist_count(wait) ? hostlist_ranged_string(wait) : NULL;
    snprintf(buf, len, "%s", s ? s : "");
    int up = s == NULL;
    free(s);
    hostlist_destroy(hl);
    hostlist_destroy(wait);
    return up;
}

int power_job_hold(struct ctld *c, struct job *j)
{
    if (!c->power || !j->nodes)
        return 0;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    int wait = 0;
    for (size_t i = 0; hl && i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        if (!n || !power_node_off(n))
            continue;
        wait = 1;
        if (n->power == POWER_OFF) {
            log_info("job %u: powering up node %s", j->id, n->name);
            power_node_state(c, n, POWER_UP);
        }
    }
    hostlist_destroy(hl);
    if (!wait)
        return 0;
    char names[256], when[32], detail[400];
    int64_t since = 0;
    job_nodes_up(c, j, names, sizeof(names), &since);
    time_t t = (time_t)since;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&t));
    snprintf(detail, sizeof(detail), "waiting for nodes %s to power up (since %s)", names, when);
    job_set_reason(j, "NodesPoweringUp");
    job_set_str(&j->reason_detail, detail);
    ctld_job_save(c, j);
    power_kick(c);
    return 1;
}

/* Every job that waited for n and now has all its nodes: launch. */
static void jobs_launch_ready(struct ctld *c, struct node *n)
{
    char rest[256];
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (j->state != JOB_STARTING || !job_on(j, n) || !job_nodes_up(c, j, rest, sizeof(rest), NULL))
            continue;
        if (j->completing) {       /* cancelled while it waited: nothing to stop */
            ctld_job_finish(c, j, job_cancel_end(j), NULL);
            continue;
        }
        job_set_reason(j, NULL);
        job_set_str(&j->reason_detail, NULL);
        ctld_job_save(c, j);
        log_info("job %u: its nodes are up, launching", j->id);
        launch_job(c, j);
    }
}

int power_node_registered(struct ctld *c, struct node *n)
{
    if (!c->power || n->power == POWER_ON)
        return 0;
    int fresh = n->power == POWER_UP;
    if (n->power == POWER_DOWN)    /* still going down: the suspend stops it */
        return 0;
    log_info("node %s powered up%s", n->name, fresh ? "" : " (it registered by itself)");
    power_node_state(c, n, POWER_ON);
    n->idle_since = ctld_now();
    jobs_launch_ready(c, n);
    return fresh;
}

/* The node will not come (ResumeTimeout, the provider refused, the
 * instance is lost): DOWN with why; jobs waiting for it go back to the
 * queue (they never ran); jobs running there end as a node failure. */
void power_node_fail(struct ctld *c, struct node *n, const char *why)
{
    int was_up = n->power == POWER_ON;
    log_warn("node %s: %s: setting it DOWN", n->name, why);
    n->down = 1;
    n->registered = 0;
    job_set_str(&n->reason, why);
    n->reason_time = ctld_now();
    n->reason_uid = 0;
    nodechan_detach(n);
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (!job_on(j, n))
            continue;
        if (j->completing)
            ctld_job_finish(c, j, job_cancel_end(j), NULL);
        else if (j->state == JOB_STARTING && !was_up) {
            ctld_job_record_attempt(c, j, END_NODE_FAIL, why);
            ctld_job_requeue(c, j, why);
        } else
            ctld_job_node_failed(c, j);
    }
    /* Whatever the provider has for it is let go of. */
    json_t *req = json_pack("{s:[o], s:s, s:s, s:b}", "nodes", power_node_desc(n), "partition",
                            "", "all_nodes", n->name, "resume_failed", !was_up);
    power_node_state(c, n, POWER_DOWN);
    n->power_sent = 1;
    power_cloud_suspend(c->power->pc, req);
    ctld_sched_request(c);
}

void power_instance_lost(struct ctld *c, const char *node, const char *why)
{
    struct node *n = node ? node_find(c, node) : NULL;
    char buf[200];
    if (!n || !n->cfg->cloud || n->power == POWER_OFF || n->power == POWER_DOWN)
        return;
    snprintf(buf, sizeof(buf), "instance lost: %s", why ? why : "?");
    power_node_fail(c, n, buf);
}

json_t *power_node_desc(const struct node *n)
{
    const struct conf_node *cfg = n->cfg;
    json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:I, s:s, s:s?}", "name", n->name, "hostname",
                          cfg->hostname, "port", cfg->port, "cpus", (int)cfg->cpus, "memory_mb",
                          (json_int_t)cfg->real_memory_mb, "features",
                          cfg->features ? cfg->features : "", "instance", n->instance);
    if (cfg->instance_type) {     /* an elastic partition's node (cloud_api.h) */
        json_t *types = json_array();
        char *copy = strdup(cfg->instance_types ? cfg->instance_types : cfg->instance_type);
        char *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(types, json_string(t));
        free(copy);
        json_object_set_new(o, "instance_type", json_string(cfg->instance_type));
        json_object_set_new(o, "instance_types", types);
        json_object_set_new(o, "purchasing", json_string(cfg->spot ? "spot" : "on-demand"));
        json_object_set_new(o, "allocation_strategy",
                            json_string(elastic_strategy_name(cfg->strategy)));
        for (size_t i = 0; i < cfg->ngres; i++)
            if (cfg->gres_list[i].count)
                json_object_update_new(o, json_pack("{s:i, s:s}", "gpus",
                                                    (int)cfg->gres_list[i].count, "gpu_type",
                                                    cfg->gres_list[i].type ? cfg->gres_list[i].type
                                                                           : ""));
    }
    return o;
}

void power_resume_done(struct ctld *c, json_t *req, json_t *result, const char *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(req, "nodes"), i, v) {
        struct node *n = node_find(c, json_string_value(json_object_get(v, "name")));
        if (!n || n->power != POWER_UP)
            continue;
        const char *id = json_string_value(json_object_get(json_object_get(result, "instances"),
                                                           n->name));
        const char *why = json_string_value(json_object_get(json_object_get(result, "failed"),
                                                            n->name));
        const char *type = json_string_value(json_object_get(json_object_get(result, "types"),
                                                             n->name));
        if (id && type && n->cfg->instance_type && strcmp(type, n->cfg->instance_type)) {
            log_info("node %s: launched as %s (%s had no capacity)", n->name, type,
                     n->cfg->instance_type);
            if (elastic_node_retype_name(c->conf, n, type) < 0)
                log_error("node %s: the provider launched %s, not a type of its partition",
                          n->name, type);
        }
        if (id) {
            job_set_str(&n->instance, id);
            node_save(c, n);
            log_info("node %s: instance %s starting", n->name, id);
            continue;
        }
        char buf[300];
        snprintf(buf, sizeof(buf), "resume failed: %s", why ? why : err ? err : "no instance");
        power_node_fail(c, n, buf);
    }
}

void power_suspend_done(struct ctld *c, json_t *req, json_t *result, const char *err)
{
    size_t i;
    json_t *v;
    if (err)
        log_error("cloud suspend failed: %s (describe will find what is left)", err);
    json_array_foreach(json_object_get(req, "nodes"), i, v) {
        struct node *n = node_find(c, json_string_value(json_object_get(v, "name")));
        const char *why = json_string_value(json_object_get(json_object_get(result, "failed"),
                                                            json_string_value(json_object_get(v, "name"))));
        if (why)
            log_error("node %s: suspend failed: %s", json_string_value(json_object_get(v, "name")), why);
        if (n && n->power == POWER_DOWN) {
            n->power_sent = 2;     /* the tick finishes it after SuspendTimeout */
            job_set_str(&n->instance, NULL);
            node_save(c, n);
        }
    }
}
