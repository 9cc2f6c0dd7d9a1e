/* power_tick.c: what power saving does once a second: send the resumes
 * that ResumeRate allows, fail nodes past ResumeTimeout, power down nodes
 * idle for their SuspendTime at SuspendRate, finish power-downs after
 * SuspendTimeout; and the controller's side of describe (reconciliation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "hostlist.h"
#include "log.h"
#include "elastic_part.h"
#include "power.h"

/* Periodic describe: instances lost behind Sluice's back, leftovers. */
#define POWER_DESCRIBE_S 15

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Idle seconds before a node powers down (-1: never): PowerDownOnIdle
 * (0), else the largest SuspendTime of its partitions that give one, else
 * the global one; never for SuspendExcNodes/SuspendExcParts. */
static int node_suspend_after(struct ctld *c, struct power *pw, size_t idx)
{
    const conf_t *conf = c->conf;
    int best = CONF_SUSPEND_GLOBAL, excluded = 0, on_idle = 0;
    for (size_t i = 0; i < conf->nparts; i++) {
        const struct conf_partition *p = &conf->parts[i];
        int in = 0;
        for (size_t k = 0; k < p->nnodes && !in; k++)
            in = p->node_idx[k] == idx;
        if (!in)
            continue;
        on_idle |= p->power_down_on_idle;
        if (p->suspend_time != CONF_SUSPEND_GLOBAL && p->suspend_time > best)
            best = p->suspend_time;
        if (conf->suspend_exc_parts) {
            char *copy = strdup(conf->suspend_exc_parts), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                excluded |= strcmp(t, p->name) == 0;
            free(copy);
        }
    }
    if (excluded || (pw->exc_nodes && hostlist_find(pw->exc_nodes, conf->nodes[idx].name) >= 0))
        return -1;
    if (on_idle)
        return 0;
    return best == CONF_SUSPEND_GLOBAL ? conf->suspend_time : best;
}

static void suspend_table(struct ctld *c, struct power *pw)
{
    if (pw->for_conf == c->conf)
        return;
    hostlist_destroy(pw->exc_nodes);
    pw->exc_nodes = c->conf->suspend_exc_nodes ? hostlist_expand(c->conf->suspend_exc_nodes, NULL)
                                               : NULL;
    free(pw->suspend_after);
    pw->suspend_after = calloc(c->nnodes ? c->nnodes : 1, sizeof(int));
    for (size_t i = 0; i < c->nnodes; i++)
        pw->suspend_after[i] = node_suspend_after(c, pw, i);
    pw->for_conf = c->conf;
    pw->resume.per_min = c->conf->resume_rate;
    pw->suspend.per_min = c->conf->suspend_rate;
}

static int str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int power_reconfigure_check(struct ctld *c, const conf_t *nc, sl_error_t *e)
{
    const conf_t *oc = c->conf;
    if (!str_same(oc->cloud_type, nc->cloud_type) ||
        !str_same(oc->cloud_local_sluiced, nc->cloud_local_sluiced) ||
        oc->cloud_local_boot_delay != nc->cloud_local_boot_delay ||
        oc->cloud_local_fail_rate != nc->cloud_local_fail_rate)
        return sl_errprintf(e, "CloudType and the plugin's keys (CloudLocal*) cannot change "
                               "without a restart");
    for (size_t i = 0; i < nc->nnodes && !nc->cloud_type; i++)
        if (nc->nodes[i].cloud)
            return sl_errprintf(e, "node %s is State=CLOUD but no CloudType is set",
                                nc->nodes[i].name);
    return 0;
}

static int node_wants_down(struct ctld *c, struct power *pw, struct node *n, int64_t now)
{
    if (n->power != POWER_ON || !n->cfg->cloud || !n->registered || n->njobs)
        return 0;
    if (n->power_req)
        return 1;
    int after = pw->suspend_after[n->index];
    return elastic_node_scale_in(c, n, after >= 0 && now - n->idle_since >= after);
}

/* The host list of a batch, and for a resume the jobs that wait for its
 * nodes (what Slurm's SLURM_RESUME_FILE lists): "all_nodes" and "jobs":
 * [{"job_id", "partition", "features", "nodes_alloc", "nodes_resume"}]. */
static void batch_describe(struct ctld *c, json_t *req, json_t *nodes, int resume)
{
    hostlist_t *all = hostlist_create();
    size_t i;
    json_t *v, *jobs = json_array();
    json_array_foreach(nodes, i, v)
        hostlist_push_host(all, json_string_value(json_object_get(v, "name")));
    char *s = hostlist_ranged_string(all);
    json_object_set_new(req, "all_nodes", json_string(s ? s : ""));
    free(s);
    for (struct job *j = resume ? jobtab_first(c->jobs) : NULL; j; j = j->next) {
        if (j->state != JOB_STARTING || !j->nodes)
            continue;
        hostlist_t *mine = hostlist_expand(j->nodes, NULL), *res = hostlist_create();
        for (size_t k = 0; mine && k < hostlist_count(mine); k++)
            if (hostlist_find(all, hostlist_nth(mine, k)) >= 0)
                hostlist_push_host(res, hostlist_nth(mine, k));
        if (hostlist_count(res)) {
            char *r = hostlist_ranged_string(res);
            json_array_append_new(jobs, json_pack("{s:i, s:s, s:s, s:s, s:s}", "job_id",
                                                  (int)j->id, "partition",
                                                  j->partition ? j->partition : "", "features",
                                                  j->constraint ? j->constraint : "",
                                                  "nodes_alloc", j->nodes, "nodes_resume", r));
            if (!json_string_length(json_object_get(req, "partition")))
                json_object_set_new(req, "partition", json_string(j->partition ? j->partition : ""));
            free(r);
        }
        hostlist_destroy(mine);
        hostlist_destroy(res);
    }
    json_object_set_new(req, "jobs", jobs);
    hostlist_destroy(all);
}

static void send_batch(struct ctld *c, json_t *nodes, int resume)
{
    if (!json_array_size(nodes)) {
        json_decref(nodes);
        return;
    }
    json_t *req = json_pack("{s:o, s:s}", "nodes", nodes, "partition", "");
    batch_describe(c, req, nodes, resume);
    if (resume)
        power_cloud_resume(c->power->pc, req);
    else
        power_cloud_suspend(c->power->pc, req);
}

static void tick_resumes(struct ctld *c, struct power *pw, int64_t now, double mono)
{
    json_t *batch = json_array();
    for (size_t i = 0; i < c->nnodes; i++) {
        struct node *n = c->nodes[i];
        if (n->power != POWER_UP)
            continue;
        if (n->power_sent && now - n->power_since >= c->conf->resume_timeout) {
            power_node_fail(c, n, "ResumeTimeout reached");
            continue;
        }
        if (n->power_sent || !pw->reconciled || !power_rate_take(&pw->resume, 1, mono))
            continue;
        n->power_sent = 1;
        /* A previous instance is done with (suspend named it): from now
         * on n->instance is set only by this resume's result, which
         * describe_done relies on. */
        job_set_str(&n->instance, NULL);
        json_array_append_new(batch, power_node_desc(n));
    }
    send_batch(c, batch, 1);
}

static void tick_suspends(struct ctld *c, struct power *pw, int64_t now, double mono)
{
    json_t *batch = json_array();
    for (size_t i = 0; i < c->nnodes; i++) {
        struct node *n = c->nodes[i];
        if (n->power == POWER_DOWN && n->power_sent == 2 &&
            now - n->power_since >= c->conf->suspend_timeout) {
            log_info("node %s powered down", n->name);
            n->power_req = 0;
            n->registered = 0;   /* a registration while it went down is void */
            power_node_state(c, n, POWER_OFF);
            ctld_sched_request(c);
            continue;
        }
        if (n->power != POWER_ON || !n->cfg->cloud)
            continue;
        if (n->njobs || !n->registered || !n->idle_since)
            n->idle_since = now;
        if (!node_wants_down(c, pw, n, now) || !power_rate_take(&pw->suspend, 1, mono))
            continue;
        log_info("node %s: powering down (%s)", n->name, n->power_req ? "asked" : "idle");
        n->registered = 0;
        nodechan_detach(n);
        power_node_state(c, n, POWER_DOWN);
        n->power_sent = 1;
        json_array_append_new(batch, power_node_desc(n));
    }
    send_batch(c, batch, 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    struct power *pw = c->power;
    int64_t now = ctld_now();
    double mono = mono_now();
    suspend_table(c, pw);
    elastic_tick(c);
    tick_resumes(c, pw, now, mono);
    tick_suspends(c, pw, now, mono);
}

static void describe_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctld *c = arg;
    power_cloud_describe(c->power->pc);
}

void power_kick(struct ctld *c)
{
    if (c->power)
        event_active(c->power->tick_ev, EV_TIMEOUT, 0);
}

/* Instances without a node (or whose node is powered down) are stopped;
 * a node powering up whose instance exists is not resumed again (first
 * describe after a start only); a powered-up node whose instance is gone
 * has lost it. */
void power_describe_done(struct ctld *c, json_t *result, const char *err)
{
    struct power *pw = c->power;
    size_t i;
    json_t *v, *stray = json_array(), *reasons = json_object();
    if (err) {
        log_error("cloud describe failed: %s", err);
        if (!pw->reconciled)
            log_warn("resumes wait for a describe that succeeds");
        json_decref(stray);
        json_decref(reasons);
        return;
    }
    /* A plugin that cannot list instances (cloud/script) says so: then a
     * node powering up is taken to have been resumed (ResumeTimeout settles
     * it), and nothing is stopped or declared lost. */
    if (json_is_false(json_object_get(result, "complete"))) {
        for (size_t k = 0; k < c->nnodes && !pw->reconciled; k++) {
            struct node *n = c->nodes[k];
            if (n->power == POWER_UP)
                n->power_sent = 1;
            else if (n->power == POWER_DOWN)
                n->power_sent = 2;
        }
        json_decref(stray);
        json_decref(reasons);
        pw->reconciled = 1;
        power_kick(c);
        return;
    }
    char *seen = calloc(c->nnodes ? c->nnodes : 1, 1);
    json_array_foreach(json_object_get(result, "instances"), i, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        struct node *n = node_find(c, json_string_value(json_object_get(v, "node")));
        int running = json_is_true(json_object_get(v, "running"));
        const char *why = json_string_value(json_object_get(v, "reason"));
        if (id && !running && n && why && n->instance && !strcmp(n->instance, id))
            json_object_set_new(reasons, n->name, json_string(why));   /* e.g. spot */
        if (!id || !running)
            continue;
        if (!n || !n->cfg->cloud || n->power == POWER_OFF) {
            log_warn("instance %s has no node that wants it: stopping it", id);
            json_array_append_new(stray, json_pack("{s:s, s:s, s:s, s:i}", "name",
                                                   n ? n->name : json_string_value(json_object_get(v, "node")),
                                                   "instance", id, "hostname", "", "port", 0));
            continue;
        }
        seen[n->index] = 1;
        if (n->power == POWER_UP && !pw->reconciled) {
            n->power_sent = 1;
            job_set_str(&n->instance, id);
        }
    }
    for (size_t k = 0; k < c->nnodes; k++) {
        struct node *n = c->nodes[k];
        if (!n->cfg->cloud || seen[k])
            continue;
        if (n->power == POWER_UP && !pw->reconciled)
            n->power_sent = 0;            /* never started, or died: resume it */
        else if (n->power == POWER_ON && n->instance && !n->down) {
            const char *why = json_string_value(json_object_get(reasons, n->name));
            char buf[160];
            snprintf(buf, sizeof(buf), "its instance %s stopped: %s", n->instance, why ? why : "");
            power_instance_lost(c, n->name, why ? buf : "its instance no longer exists");
        } else if (n->power == POWER_UP && n->power_sent == 1 && n->instance && pw->reconciled)
            /* Its resume's result came before this describe's, so the
             * describe ran after the instance was started (one worker, in
             * order): it died before its sluiced registered (a port taken,
             * a crash).  Waiting for ResumeTimeout would only delay that. */
            power_instance_lost(c, n->name, "its instance ended before the node registered");
        else if (n->power == POWER_DOWN && !pw->reconciled)
            n->power_sent = 2;            /* gone already */
    }
    free(seen);
    json_decref(reasons);
    send_batch(c, stray, 0);
    if (!pw->reconciled)
        log_info("cloud reconciled with the provider");
    pw->reconciled = 1;
    power_kick(c);
}

int power_setup(struct ctld *c, sl_error_t *e)
{
    int any = 0;
    for (size_t i = 0; i < c->nnodes; i++)
        any |= c->nodes[i]->cfg->cloud;
    if (!c->conf->cloud_type) {
        if (any)
            return sl_errprintf(e, "nodes are State=CLOUD but no CloudType is set: nothing "
                                   "could power them up (CloudType=cloud/local)");
        return 0;
    }
    struct power *pw = calloc(1, sizeof(*pw));
    c->power = pw;
    if (!(pw->pc = power_cloud_start(c, e)))
        return -1;
    double mono = mono_now();
    power_rate_init(&pw->resume, c->conf->resume_rate, mono);
    power_rate_init(&pw->suspend, c->conf->suspend_rate, mono);
    struct timeval sec = { 1, 0 }, desc = { POWER_DESCRIBE_S, 0 };
    pw->tick_ev = event_new(c->base, -1, EV_PERSIST, tick_cb, c);
    pw->describe_ev = event_new(c->base, -1, EV_PERSIST, describe_cb, c);
    event_add(pw->tick_ev, &sec);
    event_add(pw->describe_ev, &desc);
    /* Nothing is resumed before the provider says what exists. */
    power_cloud_describe(pw->pc);
    return 0;
}

void power_teardown(struct ctld *c)
{
    struct power *pw = c->power;
    if (!pw)
        return;
    power_cloud_stop(pw->pc);
    if (pw->tick_ev)
        event_free(pw->tick_ev);
    if (pw->describe_ev)
        event_free(pw->describe_ev);
    hostlist_destroy(pw->exc_nodes);
    free(pw->suspend_after);
    free(pw);
    c->power = NULL;
}
