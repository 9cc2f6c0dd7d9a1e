/* conf_part.c: PartitionName lines.
 *
 * As with nodes, a line's keys apply to a copy of the PartitionName=DEFAULT
 * template.  Nodes= is resolved once the whole file is read, so partitions
 * may name nodes defined further down. */
#include "conf_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hostlist.h"
#include "parse.h"

static const char *const part_state_names[] = {
    [PART_UP] = "UP", [PART_DOWN] = "DOWN", [PART_DRAIN] = "DRAIN",
    [PART_INACTIVE] = "INACTIVE",
};
#define NSTATES (sizeof(part_state_names) / sizeof(part_state_names[0]))

const char *part_state_name(enum part_state s)
{
    return (size_t)s < NSTATES ? part_state_names[s] : "UNKNOWN";
}

int part_state_parse(const char *s, enum part_state *out)
{
    for (size_t i = 0; i < NSTATES; i++) {
        if (strcasecmp(s, part_state_names[i]) == 0) {
            *out = (enum part_state)i;
            return 0;
        }
    }
    return -1;
}

struct part_tmpl {
    struct conf_partition p;
    unsigned set;            /* bit i: part_keys[i] was given */
};

struct conf_part_state {
    struct part_tmpl def;
    struct conf_where *where;   /* line of each partition, for Nodes= errors */
};

static int state_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    if (part_state_parse(val, CONF_FIELD(obj, k, enum part_state)) < 0)
        return sl_errprintf(e, "'%s' is not one of UP, DOWN, DRAIN, INACTIVE", val);
    return 0;
}

static int maxnodes_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    uint64_t v;
    if (strcasecmp(val, "UNLIMITED") == 0 || strcasecmp(val, "INFINITE") == 0)
        v = 0;
    else if (parse_u64(val, 0, UINT32_MAX, NULL, &v, NULL) < 0)
        return sl_errprintf(e, "'%s' is not a number or UNLIMITED", val);
    *CONF_FIELD(obj, k, uint32_t) = (uint32_t)v;
    return 0;
}

static int part_suspend_set(const struct conf_key *k, void *obj, const char *val,
                            sl_error_t *e);

static const char *const strategy_names[] = {
    [ES_BEST_FIT] = "BEST_FIT", [ES_BEST_FIT_PROGRESSIVE] = "BEST_FIT_PROGRESSIVE",
    [ES_SPOT_CAPACITY_OPTIMIZED] = "SPOT_CAPACITY_OPTIMIZED",
    [ES_SPOT_PRICE_CAPACITY_OPTIMIZED] = "SPOT_PRICE_CAPACITY_OPTIMIZED",
};
#define NSTRATEGIES (sizeof(strategy_names) / sizeof(strategy_names[0]))

const char *elastic_strategy_name(int s)
{
    return s >= 0 && (size_t)s < NSTRATEGIES ? strategy_names[s] : "UNKNOWN";
}

static int strategy_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        if (strcasecmp(val, strategy_names[i]) == 0) {
            *CONF_FIELD(obj, k, int) = (int)i;
            return 0;
        }
    }
    return sl_errprintf(e, "'%s' is not one of BEST_FIT, BEST_FIT_PROGRESSIVE, "
                           "SPOT_CAPACITY_OPTIMIZED, SPOT_PRICE_CAPACITY_OPTIMIZED", val);
}

static const char *strategy_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    snprintf(buf, len, "%s", elastic_strategy_name(*(const int *)((const char *)obj + k->offset)));
    return buf;
}

static int purchasing_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    if (strcasecmp(val, "spot") && strcasecmp(val, "on-demand") && strcasecmp(val, "ondemand"))
        return sl_errprintf(e, "'%s' is not on-demand or spot", val);
    *CONF_FIELD(obj, k, int) = strcasecmp(val, "spot") == 0;
    return 0;
}

static const char *purchasing_show(const struct conf_key *k, const void *obj, char *buf,
                                   size_t len)
{
    snprintf(buf, len, "%s", *(const int *)((const char *)obj + k->offset) ? "spot" : "on-demand");
    return buf;
}

#define OFF(field) offsetof(struct part_tmpl, field)

static const struct conf_key part_keys[] = {
    { "Nodes", CT_OPT_STRING, OFF(p.nodes_expr), NULL, 0, 0, NULL, NULL, NULL,
      "host list of the partition's nodes, or ALL" },
    { "Default", CT_BOOL, OFF(p.is_default), "NO", 0, 0, NULL, NULL, NULL,
      "YES: jobs that name no partition go here (one partition at most)" },
    { "MaxTime", CT_TIME, OFF(p.max_time), "UNLIMITED", 0, 0, NULL, NULL, NULL,
      "longest time limit a job may have" },
    { "DefaultTime", CT_TIME, OFF(p.default_time), NULL, 0, 0, NULL, NULL, NULL,
      "time limit of jobs that give none (default MaxTime)" },
    { "State", CT_CUSTOM, OFF(p.state), "UP", 0, 0, NULL, state_set, NULL,
      "UP, DOWN (queue but do not start), DRAIN (start but do not queue) or INACTIVE" },
    { "MaxNodes", CT_CUSTOM, OFF(p.max_nodes), "UNLIMITED", 0, 0, NULL, maxnodes_set, NULL,
      "most nodes one job may use, or UNLIMITED" },
    { "MaxCPUsPerNode", CT_CUSTOM, OFF(p.max_cpus_per_node), "UNLIMITED", 0, 0, NULL,
      maxnodes_set, NULL,
      "most CPUs of a node the partition's jobs may hold together (keeps CPU jobs off the "
      "cores a node's GPUs need), or UNLIMITED" },
    { "SuspendTime", CT_CUSTOM, OFF(p.suspend_time), "-2", 0, 0, NULL, part_suspend_set,
      conf_suspend_time_show, "idle seconds before its State=CLOUD nodes power down (NONE: "
      "never); overrides the global SuspendTime" },
    { "PowerDownOnIdle", CT_BOOL, OFF(p.power_down_on_idle), "NO", 0, 0, NULL, NULL, NULL,
      "YES: its State=CLOUD nodes power down as soon as they are idle" },
    { "PriorityTier", CT_U32, OFF(p.priority_tier), "1", 0, 65535, NULL, NULL, NULL,
      "jobs in partitions of a higher tier are scheduled first" },
    /* Elastic partitions (conf_elastic.c, doc/guide-elastic.md). */
    { "Elastic", CT_BOOL, OFF(p.elastic), "NO", 0, 0, NULL, NULL, NULL,
      "YES: an AWS Batch-style compute environment: nodes <partition>-<n> are generated "
      "from InstanceTypes and powered up and down between MinvCPUs and MaxvCPUs" },
    { "MinvCPUs", CT_U32, OFF(p.min_vcpus), "0", 0, 10000000, NULL, NULL, NULL,
      "Elastic: vCPUs kept running even when idle" },
    { "MaxvCPUs", CT_U32, OFF(p.max_vcpus), "0", 0, 10000000, NULL, NULL, NULL,
      "Elastic: most vCPUs running at once (BEST_FIT strictly; other strategies may pass "
      "it by one instance)" },
    { "InstanceTypes", CT_OPT_STRING, OFF(p.instance_types), NULL, 0, 0, NULL, NULL, NULL,
      "Elastic: comma list of instance types (or families such as c6i) from the catalogue" },
    { "AllocationStrategy", CT_CUSTOM, OFF(p.strategy), "BEST_FIT", 0, 0, NULL, strategy_set,
      strategy_show, "Elastic: BEST_FIT, BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED or "
                     "SPOT_PRICE_CAPACITY_OPTIMIZED" },
    { "Purchasing", CT_CUSTOM, OFF(p.spot), "on-demand", 0, 0, NULL, purchasing_set,
      purchasing_show, "Elastic: on-demand or spot capacity" },
    { "BidPercentage", CT_U32, OFF(p.bid_percentage), "100", 1, 100, NULL, NULL, NULL,
      "Elastic, spot: most a spot price may be, in percent of the on-demand price" },
    { "ScaleDownDelay", CT_SECONDS, OFF(p.scale_down_delay), "300", 0, 86400 * 7, NULL, NULL,
      NULL, "Elastic: idle seconds before a node above MinvCPUs is powered down" },
    { "NodePort", CT_U32, OFF(p.node_port), "0", 0, 65535, NULL, NULL, NULL,
      "Elastic: the first of its nodes' ports, one each (nodes sharing a host, as with "
      "cloud/local); 0: every node uses the NodeName=DEFAULT Port" },
};
#define NKEYS (sizeof(part_keys) / sizeof(part_keys[0]))
#define KEYBIT(name) (1u << (conf_key_find(part_keys, NKEYS, name) - part_keys))

int conf_part_is_key(const char *key)
{
    return conf_key_find(part_keys, NKEYS, key) != NULL;
}

void conf_part_free(struct conf_partition *pt)
{
    free(pt->name);
    free(pt->nodes_expr);
    free(pt->instance_types);
    for (size_t i = 0; i < pt->nnodes; i++)
        free(pt->nodes[i]);
    free(pt->nodes);
    free(pt->node_idx);
}
/* "-2" is only the built-in default: not given, the global value applies. */
static int part_suspend_set(const struct conf_key *k, void *obj, const char *val,
                            sl_error_t *e)
{
    if (strcmp(val, "-2") == 0) {
        *CONF_FIELD(obj, k, int) = CONF_SUSPEND_GLOBAL;
        return 0;
    }
    return conf_suspend_time_set(k, obj, val, e);
}

static int tmpl_init(struct part_tmpl *t, sl_error_t *e)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < NKEYS; i++)
        if (part_keys[i].def && conf_key_set(&part_keys[i], t, part_keys[i].def, e) < 0)
            return -1;
    return 0;
}

static int state_init(struct conf_parser *p, sl_error_t *e)
{
    if (p->ps)
        return 0;
    if (!(p->ps = calloc(1, sizeof(*p->ps))))
        return sl_errprintf(e, "out of memory");
    return tmpl_init(&p->ps->def, e);
}

/* The elastic keys: meaningful only together, never ignored. */
static int elastic_check(const struct conf_where *w, struct conf_partition *pt, unsigned set,
                         sl_error_t *e)
{
    static const char *const only[] = { "MinvCPUs", "MaxvCPUs", "InstanceTypes",
                                        "AllocationStrategy", "Purchasing", "BidPercentage",
                                        "ScaleDownDelay", "NodePort" };
    if (!pt->elastic) {
        for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
            if (set & KEYBIT(only[i]))
                return sl_errprintf(e, "%s:%d: partition '%s': %s needs Elastic=YES", w->file,
                                    w->line, pt->name, only[i]);
        return 0;
    }
    if (pt->nodes_expr)
        return sl_errprintf(e, "%s:%d: partition '%s': an Elastic=YES partition generates its "
                               "nodes (%s-<n>): Nodes= is not allowed", w->file, w->line,
                            pt->name, pt->name);
    if (!pt->instance_types)
        return sl_errprintf(e, "%s:%d: partition '%s': Elastic=YES needs InstanceTypes=",
                            w->file, w->line, pt->name);
    if (pt->max_vcpus == 0)
        return sl_errprintf(e, "%s:%d: partition '%s': Elastic=YES needs MaxvCPUs= above 0",
                            w->file, w->line, pt->name);
    if (pt->min_vcpus > pt->max_vcpus)
        return sl_errprintf(e, "%s:%d: partition '%s': MinvCPUs (%u) exceeds MaxvCPUs (%u)",
                            w->file, w->line, pt->name, pt->min_vcpus, pt->max_vcpus);
    int spot_strategy = pt->strategy == ES_SPOT_CAPACITY_OPTIMIZED ||
                        pt->strategy == ES_SPOT_PRICE_CAPACITY_OPTIMIZED;
    if (spot_strategy && !pt->spot)
        return sl_errprintf(e, "%s:%d: partition '%s': AllocationStrategy=%s needs "
                               "Purchasing=spot", w->file, w->line, pt->name,
                            elastic_strategy_name(pt->strategy));
    if ((set & KEYBIT("BidPercentage")) && !pt->spot)
        return sl_errprintf(e, "%s:%d: partition '%s': BidPercentage needs Purchasing=spot",
                            w->file, w->line, pt->name);
    if (set & KEYBIT("SuspendTime"))
        return sl_errprintf(e, "%s:%d: partition '%s': an Elastic=YES partition scales in "
                               "after ScaleDownDelay, not SuspendTime", w->file, w->line,
                            pt->name);
    pt->suspend_time = pt->scale_down_delay;
    return 0;
}

/* Checks that need the whole record: unique name, one default, times. */
static int part_check(const struct conf_parser *p, const struct conf_where *w,
                      struct conf_partition *pt, unsigned set, sl_error_t *e)
{
    const conf_t *c = p->c;
    char dt[32], mt[32];

    for (size_t i = 0; i < c->nparts; i++) {
        if (strcmp(c->parts[i].name, pt->name) == 0)
            return sl_errprintf(e, "%s:%d: partition '%s' is defined twice", w->file,
                                w->line, pt->name);
        if (pt->is_default && c->parts[i].is_default)
            return sl_errprintf(e, "%s:%d: partition '%s' is Default=YES but '%s' already is",
                                w->file, w->line, pt->name, c->parts[i].name);
    }
    if (elastic_check(w, pt, set, e) < 0)
        return -1;
    if (pt->max_time != TIME_INFINITE
        && (pt->default_time == TIME_INFINITE || pt->default_time > pt->max_time))
        return sl_errprintf(e, "%s:%d: DefaultTime (%s) exceeds MaxTime (%s)", w->file,
                            w->line, format_duration(pt->default_time, dt, sizeof(dt)),
                            format_duration(pt->max_time, mt, sizeof(mt)));
    return 0;
}

static int part_add(struct conf_parser *p, const struct conf_where *w, struct part_tmpl *t,
                    const char *name, sl_error_t *e)
{
    conf_t *c = p->c;
    struct conf_partition *pt;

    if (!(t->set & KEYBIT("DefaultTime")))
        t->p.default_time = t->p.max_time;
    if (conf_strset(&t->p.name, name) < 0)
        return sl_errprintf(e, "out of memory");
    if (part_check(p, w, &t->p, t->set, e) < 0)
        return -1;
    if (c->nparts == p->parts_cap) {
        size_t cap = p->parts_cap ? p->parts_cap * 2 : 8;
        struct conf_partition *parts = realloc(c->parts, cap * sizeof(*parts));
        struct conf_where *where = realloc(p->ps->where, cap * sizeof(*where));
        if (parts)
            c->parts = parts;
        if (where)
            p->ps->where = where;
        if (!parts || !where)
            return sl_errprintf(e, "out of memory");
        p->parts_cap = cap;
    }
    pt = &c->parts[c->nparts];
    p->ps->where[c->nparts++] = *w;
    *pt = t->p;
    /* The record now owns the template's strings. */
    t->p.name = t->p.nodes_expr = t->p.instance_types = NULL;
    return 0;
}

int conf_part_line(struct conf_parser *p, const struct conf_where *w,
                   const struct conf_pair *kv, size_t n, sl_error_t *e)
{
    struct part_tmpl t;
    int rc = -1;

    if (state_init(p, e) < 0)
        return -1;
    if (!*kv[0].val)
        return sl_errprintf(e, "%s:%d: bad value for PartitionName: empty value", w->file,
                            w->line);
    t = p->ps->def;
    t.p.name = NULL;
    t.p.nodes_expr = t.p.instance_types = NULL;
    if (conf_strset(&t.p.nodes_expr, p->ps->def.p.nodes_expr) < 0 ||
        conf_strset(&t.p.instance_types, p->ps->def.p.instance_types) < 0)
        return sl_errprintf(e, "out of memory");
    if (conf_keys_apply(part_keys, NKEYS, &t, &t.set, w, kv, n, e) < 0)
        goto out;
    if (strcasecmp(kv[0].val, "DEFAULT") == 0) {
        conf_part_free(&p->ps->def.p);
        p->ps->def = t;
        return 0;
    }
    rc = part_add(p, w, &t, kv[0].val, e);
out:
    conf_part_free(&t.p);
    return rc;
}

/* Order of definition, so that a partition lists nodes as the file does. */
static int index_cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Expand Nodes= into node names, each defined, without repeats. */
static int part_resolve(struct conf_parser *p, struct conf_partition *pt,
                        const struct conf_where *w, sl_error_t *e)
{
    const conf_t *c = p->c;
    int all = pt->nodes_expr && strcasecmp(pt->nodes_expr, "ALL") == 0;
    hostlist_t *hl = pt->nodes_expr && !all ? hostlist_expand(pt->nodes_expr, e) : NULL;
    size_t n = all ? c->nnodes : hl ? hostlist_count(hl) : 0;
    long *idx = calloc(n ? n : 1, sizeof(*idx));
    int rc = -1;

    if (pt->nodes_expr && !all && !hl) {
        sl_errprefix(e, "%s:%d: bad value for Nodes", w->file, w->line);
        goto out;
    }
    if (!idx || !(pt->nodes = calloc(n ? n : 1, sizeof(char *))) ||
        !(pt->node_idx = calloc(n ? n : 1, sizeof(size_t)))) {
        sl_errprintf(e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        idx[i] = all ? (long)i : conf_node_idx(c, hostlist_nth(hl, i));
        if (idx[i] < 0) {
            sl_errprintf(e, "%s:%d: partition '%s': node '%s' is not defined", w->file,
                         w->line, pt->name, hostlist_nth(hl, i));
            goto out;
        }
    }
    qsort(idx, n, sizeof(*idx), index_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && idx[i] == idx[i - 1])
            continue;
        if (!(pt->nodes[pt->nnodes] = strdup(c->nodes[idx[i]].name))) {
            sl_errprintf(e, "out of memory");
            goto out;
        }
        pt->node_idx[pt->nnodes++] = (size_t)idx[i];
    }
    rc = 0;
out:
    hostlist_destroy(hl);
    free(idx);
    return rc;
}

int conf_parts_finish(struct conf_parser *p, sl_error_t *e)
{
    for (size_t i = 0; i < p->c->nparts; i++)
        if (part_resolve(p, &p->c->parts[i], &p->ps->where[i], e) < 0)
            return -1;
    return 0;
}

void conf_part_state_free(struct conf_parser *p)
{
    if (!p->ps)
        return;
    conf_part_free(&p->ps->def.p);
    free(p->ps->where);
    free(p->ps);
    p->ps = NULL;
}

const struct conf_where *conf_part_where(const struct conf_parser *p)
{
    return p->ps ? p->ps->where : NULL;
}
