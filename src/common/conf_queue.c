/* conf_queue.c: QueueName and SchedulingPolicyName lines.  The same setters
 * serve the config file and scontrol's create/update at run time. */
#include "conf_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hostlist.h"
#include "parse.h"

static int set_u32(uint32_t *dst, const char *val, uint64_t max, sl_error_t *e)
{
    uint64_t v;
    if (parse_u64(val, 0, max, NULL, &v, e) < 0)
        return -1;
    *dst = (uint32_t)v;
    return 0;
}

static int set_seconds(int64_t *dst, const char *val, sl_error_t *e)
{
    uint64_t v;
    if (parse_u64(val, 0, 315360000, NULL, &v, e) < 0)
        return -1;
    *dst = (int64_t)v;
    return 0;
}

static int set_partitions(struct conf_queue *q, const char *val, sl_error_t *e)
{
    hostlist_t *hl = hostlist_expand(val, e);
    if (!hl)
        return -1;
    size_t n = hostlist_count(hl);
    if (n == 0 || n > 16) {
        hostlist_destroy(hl);
        return sl_errprintf(e, "give 1 to 16 partitions, in spill-over order");
    }
    for (size_t i = 0; i < q->nparts; i++)
        free(q->partitions[i]);
    free(q->partitions);
    q->partitions = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        q->partitions[i] = strdup(hostlist_nth(hl, i));
    q->nparts = n;
    hostlist_destroy(hl);
    return conf_strset(&q->partitions_expr, val);
}

int conf_queue_set(struct conf_queue *q, const char *key, const char *val, sl_error_t *e)
{
    int rc;
    if (!strcasecmp(key, "Priority"))
        rc = set_u32(&q->priority, val, 1000000, e);
    else if (!strcasecmp(key, "Partitions"))
        rc = set_partitions(q, val, e);
    else if (!strcasecmp(key, "State")) {
        q->disabled = !strcasecmp(val, "DISABLED");
        rc = q->disabled || !strcasecmp(val, "ENABLED") ? 0
             : sl_errprintf(e, "'%s' is not ENABLED or DISABLED", val);
    } else if (!strcasecmp(key, "SchedulingPolicy"))
        rc = conf_strset(&q->policy, *val ? val : NULL);
    else if (!strcasecmp(key, "MaxRunnableTime"))
        rc = set_seconds(&q->max_runnable_time, val, e);
    else if (!strcasecmp(key, "Reason"))
        rc = conf_strset(&q->reason, *val ? val : NULL);
    else
        return sl_errprintf(e, "unknown queue key '%s' (Priority, Partitions, State, "
                               "SchedulingPolicy, MaxRunnableTime, Reason)", key);
    return rc < 0 ? sl_errprefix(e, "bad value for %s", key) : 0;
}

int conf_shares_parse(const char *expr, struct conf_share **out, size_t *n, sl_error_t *e)
{
    char *copy = strdup(expr), *save = NULL;
    *out = NULL;
    *n = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':'), *end;
        double w = colon ? strtod(colon + 1, &end) : 0;
        if (!colon || colon == item || end == colon + 1 || *end || !(w > 0) || !isfinite(w)) {
            sl_errprintf(e, "bad share '%s': use ID:WEIGHT or PREFIX*:WEIGHT with a weight > 0",
                         item);
            goto fail;
        }
        *colon = '\0';
        struct conf_share *grown = realloc(*out, (*n + 1) * sizeof(*grown));
        if (!grown)
            goto fail;
        *out = grown;
        size_t len = strlen(item);
        int prefix = item[len - 1] == '*';
        if (prefix)
            item[len - 1] = '\0';
        (*out)[(*n)++] = (struct conf_share){ strdup(item), prefix, w };
    }
    free(copy);
    if (!*n)
        return sl_errprintf(e, "empty share distribution");
    return 0;
fail:
    free(copy);
    for (size_t i = 0; i < *n; i++)
        free((*out)[i].id);
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

int conf_policy_set(struct conf_policy *p, const char *key, const char *val, sl_error_t *e)
{
    int rc;
    if (!strcasecmp(key, "ShareDecaySeconds"))
        rc = set_seconds(&p->share_decay, val, e);
    else if (!strcasecmp(key, "ComputeReservation"))
        rc = set_u32(&p->compute_reservation, val, 99, e);
    else if (!strcasecmp(key, "ShareDistribution")) {
        struct conf_share *shares;
        size_t n;
        rc = conf_shares_parse(val, &shares, &n, e);
        if (rc == 0) {
            for (size_t i = 0; i < p->nshares; i++)
                free(p->shares[i].id);
            free(p->shares);
            p->shares = shares;
            p->nshares = n;
            rc = conf_strset(&p->distribution, val);
        }
    } else
        return sl_errprintf(e, "unknown scheduling policy key '%s' (ShareDecaySeconds, "
                               "ComputeReservation, ShareDistribution)", key);
    return rc < 0 ? sl_errprefix(e, "bad value for %s", key) : 0;
}

void conf_queue_free(struct conf_queue *q)
{
    free(q->name);
    free(q->partitions_expr);
    for (size_t i = 0; i < q->nparts; i++)
        free(q->partitions[i]);
    free(q->partitions);
    free(q->policy);
    free(q->reason);
    memset(q, 0, sizeof(*q));
}

void conf_policy_free(struct conf_policy *p)
{
    free(p->name);
    free(p->distribution);
    for (size_t i = 0; i < p->nshares; i++)
        free(p->shares[i].id);
    free(p->shares);
    memset(p, 0, sizeof(*p));
}

int conf_queue_copy(struct conf_queue *dst, const struct conf_queue *src)
{
    sl_error_t e;
    memset(dst, 0, sizeof(*dst));
    *dst = (struct conf_queue){ .priority = src->priority, .disabled = src->disabled,
                                .max_runnable_time = src->max_runnable_time };
    if (conf_strset(&dst->name, src->name) < 0 || conf_strset(&dst->policy, src->policy) < 0 ||
        conf_strset(&dst->reason, src->reason) < 0 ||
        (src->partitions_expr && set_partitions(dst, src->partitions_expr, &e) < 0))
        return -1;
    return 0;
}

int conf_policy_copy(struct conf_policy *dst, const struct conf_policy *src)
{
    sl_error_t e;
    memset(dst, 0, sizeof(*dst));
    dst->share_decay = src->share_decay;
    dst->compute_reservation = src->compute_reservation;
    if (conf_strset(&dst->name, src->name) < 0 ||
        (src->distribution && conf_policy_set(dst, "ShareDistribution", src->distribution, &e) < 0))
        return -1;
    return 0;
}

int conf_queue_check(const conf_t *c, struct conf_queue *q, sl_error_t *e)
{
    if (!q->nparts)
        return sl_errprintf(e, "queue '%s' needs Partitions=", q->name);
    for (size_t i = 0; i < q->nparts; i++) {
        if (!conf_part_find(c, q->partitions[i]))
            return sl_errprintf(e, "queue '%s': partition '%s' does not exist", q->name,
                                q->partitions[i]);
    }
    if (q->policy && !conf_policy_find(c, q->policy))
        return sl_errprintf(e, "queue '%s': scheduling policy '%s' does not exist", q->name,
                            q->policy);
    if (q->max_runnable_time && !q->reason)
        return sl_errprintf(e, "queue '%s': MaxRunnableTime needs a Reason=", q->name);
    return 0;
}

/* "QueueName=x Key=Val ..." or "SchedulingPolicyName=x ..." */
int conf_queue_line(struct conf_parser *p, const struct conf_where *w,
                    const struct conf_pair *kv, size_t n, sl_error_t *e)
{
    conf_t *c = p->c;
    int policy = !strcasecmp(kv[0].key, "SchedulingPolicyName");
    const char *name = kv[0].val;
    if (!*name)
        return sl_errprintf(e, "%s:%d: empty %s", w->file, w->line, kv[0].key);
    if (policy ? conf_policy_find(c, name) != NULL
               : (conf_queue_find(c, name) != NULL || conf_part_find(c, name) != NULL))
        return sl_errprintf(e, "%s:%d: %s '%s' is defined twice (every partition is also a "
                               "queue of its name)", w->file, w->line,
                            policy ? "scheduling policy" : "queue", name);
    struct conf_queue q = { .priority = 1 };
    struct conf_policy pol = { 0 };
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++)
        rc = policy ? conf_policy_set(&pol, kv[i].key, kv[i].val, e)
                    : conf_queue_set(&q, kv[i].key, kv[i].val, e);
    if (rc == 0 && policy) {
        pol.name = strdup(name);
        c->policies = realloc(c->policies, (c->npolicies + 1) * sizeof(*c->policies));
        c->policies[c->npolicies++] = pol;
        return 0;
    }
    if (rc == 0) {
        q.name = strdup(name);
        c->queues = realloc(c->queues, (c->nqueues + 1) * sizeof(*c->queues));
        c->queues[c->nqueues++] = q;
        return 0;
    }
    conf_queue_free(&q);
    conf_policy_free(&pol);
    return sl_errprefix(e, "%s:%d", w->file, w->line);
}

/* After the whole file: queues name existing partitions and policies. */
int conf_queues_finish(struct conf_parser *p, sl_error_t *e)
{
    for (size_t i = 0; i < p->c->nqueues; i++) {
        if (conf_part_find(p->c, p->c->queues[i].name))
            return sl_errprintf(e, "%s: queue '%s' has the name of a partition (every "
                                   "partition is already a queue of its name)",
                                p->c->path, p->c->queues[i].name);
        if (conf_queue_check(p->c, &p->c->queues[i], e) < 0)
            return sl_errprefix(e, "%s", p->c->path);
    }
    return 0;
}

const struct conf_queue *conf_queue_find(const conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (!strcmp(c->queues[i].name, name))
            return &c->queues[i];
    return NULL;
}

const struct conf_policy *conf_policy_find(const conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->npolicies; i++)
        if (!strcmp(c->policies[i].name, name))
            return &c->policies[i];
    return NULL;
}
