/* elastic_part.c: Elastic=YES partitions in the controller: the vCPUs they
 * run (DesiredvCPUs), MaxvCPUs on placements, MinvCPUs kept running, scale
 * in above MinvCPUs, State=DISABLED, and scontrol update PartitionName=.
 *
 * The nodes and their types come from the config (src/common/conf_elastic.c);
 * what an admin changes at run time (MinvCPUs, MaxvCPUs, State) is kept in
 * the database (the nodes table, under "@partition:NAME", beside the power
 * states) so it survives a kill -9.  A stored change applies only while the
 * config still says what it said when the change was made: an edited
 * sluice.conf wins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "db.h"
#include "elastic.h"
#include "elastic_part.h"
#include "hostlist.h"
#include "log.h"
#include "power.h"

struct elastic_rt {
    char *name;
    uint32_t conf_min, conf_max;   /* the config's values the overrides were made against */
    uint32_t min, max;
    int disabled;
};

struct elastic_state {
    struct elastic_rt *parts;
    size_t nparts;
};

static void rt_key(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "@partition:%s", name);
}

/* The run-time values of p, made from the config (and the database) the
 * first time p is seen. */
static struct elastic_rt *rt_of(struct ctld *c, const struct conf_partition *p)
{
    struct elastic_state *es = c->elastic;
    for (size_t i = 0; i < es->nparts; i++) {
        struct elastic_rt *r = &es->parts[i];
        if (strcmp(r->name, p->name) == 0) {
            if (r->conf_min != p->min_vcpus || r->conf_max != p->max_vcpus) {
                r->conf_min = r->min = p->min_vcpus;   /* reconfigured: the file wins */
                r->conf_max = r->max = p->max_vcpus;
            }
            return r;
        }
    }
    struct elastic_rt *grown = realloc(es->parts, (es->nparts + 1) * sizeof(*grown));
    if (!grown)
        abort();
    es->parts = grown;
    struct elastic_rt *r = &es->parts[es->nparts++];
    memset(r, 0, sizeof(*r));
    r->name = strdup(p->name);
    r->conf_min = r->min = p->min_vcpus;
    r->conf_max = r->max = p->max_vcpus;
    return r;
}

void elastic_setup(struct ctld *c)
{
    c->elastic = calloc(1, sizeof(struct elastic_state));
    json_t *saved = db_nodes_load(c->db);
    for (size_t i = 0; i < c->conf->nparts; i++) {
        const struct conf_partition *p = &c->conf->parts[i];
        char key[300];
        if (!p->elastic)
            continue;
        struct elastic_rt *r = rt_of(c, p);
        rt_key(p->name, key, sizeof(key));
        json_t *rec = json_object_get(saved, key);
        if (!rec || json_integer_value(json_object_get(rec, "conf_min")) != p->min_vcpus ||
            json_integer_value(json_object_get(rec, "conf_max")) != p->max_vcpus)
            continue;
        r->min = (uint32_t)json_integer_value(json_object_get(rec, "min"));
        r->max = (uint32_t)json_integer_value(json_object_get(rec, "max"));
        r->disabled = json_is_true(json_object_get(rec, "disabled"));
        log_info("partition %s: MinvCPUs=%u MaxvCPUs=%u%s (as last updated)", p->name, r->min,
                 r->max, r->disabled ? " State=DISABLED" : "");
    }
    json_decref(saved);
}

void elastic_teardown(struct ctld *c)
{
    struct elastic_state *es = c->elastic;
    if (!es)
        return;
    for (size_t i = 0; i < es->nparts; i++)
        free(es->parts[i].name);
    free(es->parts);
    free(es);
    c->elastic = NULL;
}

/* Running or starting: what the partition pays for. */
static int node_counts(const struct node *n)
{
    return (n->power == POWER_ON || n->power == POWER_UP) && !n->down;
}

uint32_t elastic_vcpus(struct ctld *c, const struct conf_partition *p)
{
    uint32_t v = 0;
    for (size_t k = 0; k < p->nnodes; k++) {
        struct node *n = node_of_part(c, p, k);
        if (node_counts(n))
            v += n->cfg->cpus;
    }
    return v;
}

uint32_t elastic_max_vcpus(struct ctld *c, const struct conf_partition *p)
{
    return rt_of(c, p)->max;
}

size_t elastic_pick_check(struct ctld *c, const struct conf_partition *p, struct node **out,
                          size_t got, const char **why)
{
    struct elastic_rt *r = rt_of(c, p);
    if (r->disabled) {
        *why = "PartitionDisabled";
        return 0;
    }
    uint32_t add[got ? got : 1];
    size_t nadd = 0;
    for (size_t i = 0; i < got; i++)
        if (out[i]->power == POWER_OFF)
            add[nadd++] = out[i]->cfg->cpus;
    if (elastic_budget_allows(p->strategy, elastic_vcpus(c, p), r->max, add, nadd))
        return got;
    *why = "MaxvCPUsReached";
    return 0;
}

/* The elastic partition a node belongs to (generated nodes have one). */
static const struct conf_partition *part_of(struct ctld *c, const struct node *n)
{
    if (!n->cfg->instance_type)
        return NULL;
    for (size_t i = 0; i < c->conf->nparts; i++) {
        const struct conf_partition *p = &c->conf->parts[i];
        size_t len = strlen(p->name);
        if (p->elastic && !strncmp(n->name, p->name, len) && n->name[len] == '-')
            return p;
    }
    return NULL;
}

int elastic_node_scale_in(struct ctld *c, const struct node *n, int idle_long)
{
    const struct conf_partition *p = part_of(c, n);
    if (!p)
        return idle_long;
    struct elastic_rt *r = rt_of(c, p);
    uint32_t v = elastic_vcpus(c, p);
    if (v > r->max)          /* MaxvCPUs was lowered: idle nodes go at once */
        return 1;
    return idle_long && v - n->cfg->cpus >= r->min;
}

int elastic_power_up_check(struct ctld *c, hostlist_t *hl, char *why, size_t len)
{
    for (size_t i = 0; i < c->conf->nparts; i++) {
        const struct conf_partition *p = &c->conf->parts[i];
        if (!p->elastic)
            continue;
        uint32_t sum = 0, last = 0;
        for (size_t k = 0; k < hostlist_count(hl); k++) {
            struct node *n = node_find(c, hostlist_nth(hl, k));
            if (!n || n->power != POWER_OFF || part_of(c, n) != p)
                continue;
            sum += n->cfg->cpus;
            last = n->cfg->cpus;
        }
        if (!sum)
            continue;
        struct elastic_rt *r = rt_of(c, p);
        uint32_t cur = elastic_vcpus(c, p);
        /* As elastic_budget_allows: all but the last one within, for the others. */
        uint32_t add[2] = { sum - last, last };
        if (!elastic_budget_allows(p->strategy, cur, r->max, add, 2)) {
            snprintf(why, len, "powering up these nodes would take partition %s from %u to %u "
                               "vCPUs, over its MaxvCPUs=%u%s: raise it with scontrol update "
                               "PartitionName=%s MaxvCPUs=", p->name, cur, cur + sum, r->max,
                     p->strategy == ES_BEST_FIT ? "" : " (by more than one instance)", p->name);
            return -1;
        }
    }
    return 0;
}

/* Power up nodes (cheapest first: names go in the strategy's order) until
 * the partition runs MinvCPUs. */
static void keep_min(struct ctld *c, const struct conf_partition *p)
{
    struct elastic_rt *r = rt_of(c, p);
    uint32_t v = elastic_vcpus(c, p);
    for (size_t k = 0; k < p->nnodes && v < r->min && !r->disabled; k++) {
        struct node *n = node_of_part(c, p, k);
        if (n->power == POWER_OFF)   /* as its name's type: the cheapest come first */
            elastic_node_retype(c->conf, n, conf_part_node(c->conf, p, k));
        uint32_t add = n->cfg->cpus;
        if (!power_node_plannable(n) || n->power != POWER_OFF ||
            !elastic_budget_allows(p->strategy, v, r->max, &add, 1))
            continue;
        log_info("partition %s: powering up %s (%s) to keep MinvCPUs=%u", p->name, n->name,
                 n->cfg->instance_type, r->min);
        power_node_state(c, n, POWER_UP);
        n->idle_since = ctld_now();
        v += add;
    }
}

void elastic_tick(struct ctld *c)
{
    for (size_t i = 0; i < c->conf->nparts; i++)
        if (c->conf->parts[i].elastic)
            keep_min(c, &c->conf->parts[i]);
}

void elastic_part_json(struct ctld *c, const struct conf_partition *p, json_t *o)
{
    if (!p->elastic)
        return;
    struct elastic_rt *r = rt_of(c, p);
    json_object_update_new(o, json_pack("{s:b, s:i, s:i, s:i, s:s, s:s, s:s, s:i, s:i}",
                                        "elastic", 1, "min_vcpus", (int)r->min, "max_vcpus",
                                        (int)r->max, "desired_vcpus", (int)elastic_vcpus(c, p),
                                        "instance_types", p->instance_types,
                                        "allocation_strategy", elastic_strategy_name(p->strategy),
                                        "purchasing", p->spot ? "spot" : "on-demand",
                                        "bid_percentage", (int)p->bid_percentage,
                                        "scale_down_delay", p->scale_down_delay));
    if (r->disabled)
        json_object_set_new(o, "state", json_string("DISABLED"));
}

static int parse_vcpus(const char *key, const char *val, uint32_t *out, sl_error_t *e)
{
    char *end;
    unsigned long v = strtoul(val, &end, 10);
    if (!*val || *end || v > 10000000 || val[0] == '-')
        return sl_errprintf(e, "bad value for %s: '%s' is not a number of vCPUs", key, val);
    *out = (uint32_t)v;
    return 0;
}

/* Apply keys to a copy of r; refuse what cannot be (Min > Max, more vCPUs
 * than the partition has names for). */
static int rt_update(struct ctld *c, const struct conf_partition *p, struct elastic_rt *r,
                     json_t *keys, sl_error_t *e)
{
    struct elastic_rt t = *r;
    const char *k;
    json_t *v;
    json_object_foreach(keys, k, v) {
        const char *s = json_string_value(v);
        if (!s)
            return sl_errprintf(e, "value of %s must be a string", k);
        if (!strcasecmp(k, "MinvCPUs")) {
            if (parse_vcpus(k, s, &t.min, e) < 0)
                return -1;
        } else if (!strcasecmp(k, "MaxvCPUs")) {
            if (parse_vcpus(k, s, &t.max, e) < 0)
                return -1;
        } else if (!strcasecmp(k, "State")) {
            if (strcasecmp(s, "DISABLED") && strcasecmp(s, "ENABLED") && strcasecmp(s, "UP"))
                return sl_errprintf(e, "State of an elastic partition is ENABLED (UP) or "
                                       "DISABLED, not '%s'", s);
            t.disabled = !strcasecmp(s, "DISABLED");
        } else {
            return sl_errprintf(e, "%s cannot be updated at run time (MinvCPUs, MaxvCPUs and "
                                   "State can; the rest is in sluice.conf)", k);
        }
    }
    uint32_t cap = 0;
    for (size_t i = 0; i < p->nnodes; i++)   /* as generated, whatever they run as now */
        cap += conf_part_node(c->conf, p, i)->cpus;
    if (t.min > t.max)
        return sl_errprintf(e, "MinvCPUs (%u) exceeds MaxvCPUs (%u)", t.min, t.max);
    if (t.max > cap)
        return sl_errprintf(e, "MaxvCPUs=%u is more than the %u vCPUs of the nodes generated "
                               "for partition %s at start: raise it in sluice.conf and restart",
                            t.max, cap, p->name);
    *r = t;
    return 0;
}

void op_part_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    const char *action = json_string_value(json_object_get(q, "action"));
    const struct conf_partition *p = name ? conf_part_find(c->conf, name) : NULL;
    sl_error_t e;
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator can "
                                      "update partitions");
        return;
    }
    if (!p) {
        conn_error(conn, id, "ENOENT", "Invalid partition name specified: %s", name ? name : "");
        return;
    }
    if (!action || strcmp(action, "update")) {
        conn_error(conn, id, "EINVAL", "partitions can only be updated");
        return;
    }
    if (!p->elastic) {
        conn_error(conn, id, "EINVAL", "partition %s is not Elastic=YES: its keys change in "
                                       "sluice.conf (scontrol reconfigure)", p->name);
        return;
    }
    struct elastic_rt *r = rt_of(c, p);
    if (rt_update(c, p, r, json_object_get(q, "keys"), &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    char key[300];
    rt_key(p->name, key, sizeof(key));
    json_t *saved = json_pack("{s:i, s:i, s:i, s:i, s:b}", "conf_min", (int)r->conf_min,
                              "conf_max", (int)r->conf_max, "min", (int)r->min, "max",
                              (int)r->max, "disabled", r->disabled);
    db_node_save(c->db, key, saved);   /* does not take the reference */
    json_decref(saved);
    log_info("partition %s updated by uid %u: MinvCPUs=%u MaxvCPUs=%u State=%s", p->name,
             (unsigned)conn_uid(conn), r->min, r->max, r->disabled ? "DISABLED" : "ENABLED");
    ctld_sched_request(c);
    power_kick(c);
    ctld_reply_later(c, conn, id, json_object());
}
