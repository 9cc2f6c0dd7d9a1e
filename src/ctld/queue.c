/* queue.c: run-time queues and their operations. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "db.h"
#include "log.h"
#include "queue.h"

static struct queue *queue_add(struct ctld *c)
{
    c->queues = realloc(c->queues, (c->nqueues + 1) * sizeof(*c->queues));
    c->queues[c->nqueues] = calloc(1, sizeof(struct queue));
    return c->queues[c->nqueues++];
}

struct queue *queue_find(struct ctld *c, const char *name)
{
    for (size_t i = 0; i < c->nqueues; i++) {
        if (!strcmp(c->queues[i]->q.name, name))
            return c->queues[i];
    }
    return NULL;
}

static void queue_remove(struct ctld *c, struct queue *q)
{
    for (size_t i = 0; i < c->nqueues; i++) {
        if (c->queues[i] == q) {
            memmove(&c->queues[i], &c->queues[i + 1], (c->nqueues - i - 1) * sizeof(q));
            c->nqueues--;
            break;
        }
    }
    conf_queue_free(&q->q);
    free(q);
}

/* Keys as the config spells them, so that a change stored as "priority" and
 * a later one as "Priority" do not both survive in the database. */
static json_t *keys_canonical(json_t *keys, const char *const *names)
{
    json_t *out = json_object(), *v;
    const char *k;
    json_object_foreach(keys, k, v) {
        const char *name = k;
        for (size_t i = 0; names[i]; i++)
            if (!strcasecmp(k, names[i]))
                name = names[i];
        json_object_set(out, name, v);
    }
    return out;
}

static const char *const queue_keys[] = { "Priority", "Partitions", "State", "SchedulingPolicy",
                                          "MaxRunnableTime", "Reason", NULL };
static const char *const policy_keys[] = { "ShareDecaySeconds", "ComputeReservation",
                                           "ShareDistribution", NULL };

/* Apply stored "Key": "value" pairs; errors leave the queue as it was. */
static int queue_apply(struct ctld *c, struct queue *q, json_t *keys, sl_error_t *e)
{
    struct conf_queue tmp;
    const char *k;
    json_t *v;
    if (conf_queue_copy(&tmp, &q->q) < 0)
        return sl_errprintf(e, "out of memory");
    json_object_foreach(keys, k, v) {
        if (!json_is_string(v)) {
            conf_queue_free(&tmp);
            return sl_errprintf(e, "value of %s must be a string", k);
        }
        if (conf_queue_set(&tmp, k, json_string_value(v), e) < 0) {
            conf_queue_free(&tmp);
            return -1;
        }
    }
    if (conf_queue_check(c->conf, &tmp, e) < 0) {
        conf_queue_free(&tmp);
        return -1;
    }
    conf_queue_free(&q->q);
    q->q = tmp;
    return 0;
}

int queues_setup(struct ctld *c, sl_error_t *e)
{
    for (size_t i = 0; i < c->conf->nparts; i++) {
        struct queue *q = queue_add(c);
        const struct conf_partition *p = &c->conf->parts[i];
        q->implicit = 1;
        q->q.name = strdup(p->name);
        q->q.priority = p->priority_tier;
        q->q.partitions = calloc(1, sizeof(char *));
        q->q.partitions[0] = strdup(p->name);
        q->q.partitions_expr = strdup(p->name);
        q->q.nparts = 1;
    }
    for (size_t i = 0; i < c->conf->nqueues; i++)
        conf_queue_copy(&queue_add(c)->q, &c->conf->queues[i]);
    /* Changes made at run time win over the file. */
    json_t *stored = db_queues_load(c->db), *v;
    const char *name;
    json_object_foreach(stored, name, v) {
        struct queue *q = queue_find(c, name);
        if (json_is_true(json_object_get(v, "deleted"))) {
            if (q && !q->implicit)
                queue_remove(c, q);
            continue;
        }
        if (!q) {
            q = queue_add(c);
            q->q.name = strdup(name);
            q->q.priority = 1;
        }
        if (queue_apply(c, q, json_object_get(v, "keys"), e) < 0)
            log_warn("stored change to queue %s no longer applies: %s", name, e->text);
    }
    json_decref(stored);
    return 0;
}

void queues_teardown(struct ctld *c)
{
    for (size_t i = 0; i < c->nqueues; i++) {
        conf_queue_free(&c->queues[i]->q);
        free(c->queues[i]);
    }
    free(c->queues);
    c->queues = NULL;
    c->nqueues = 0;
}

uint32_t queue_max_priority(struct ctld *c)
{
    uint32_t max = 1;
    for (size_t i = 0; i < c->nqueues; i++)
        if (c->queues[i]->q.priority > max)
            max = c->queues[i]->q.priority;
    return max;
}

json_t *queue_to_json(struct ctld *c, const struct queue *q)
{
    json_t *parts = json_array();
    uint32_t pending = 0, running = 0;
    for (size_t i = 0; i < q->q.nparts; i++)
        json_array_append_new(parts, json_string(q->q.partitions[i]));
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!j->queue || strcmp(j->queue, q->q.name))
            continue;
        if (job_is_array_parent(j))
            pending += j->array_pending ? idset_count(j->array_pending) : 0;
        else if (job_is_pending(j))
            pending++;
        else if (!job_is_terminal(j))
            running++;
    }
    return json_pack("{s:s, s:i, s:o, s:s, s:s?, s:I, s:s?, s:b, s:i, s:i}", "name", q->q.name,
                     "priority", (int)q->q.priority, "partitions", parts, "state",
                     q->q.disabled ? "DISABLED" : "ENABLED", "scheduling_policy", q->q.policy,
                     "max_runnable_time", (json_int_t)q->q.max_runnable_time, "reason",
                     q->q.reason, "implicit", q->implicit, "pending", (int)pending, "running",
                     (int)running);
}

void op_queue_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    json_t *out = json_array();
    for (size_t i = 0; i < c->nqueues; i++) {
        if (!name || !strcmp(name, c->queues[i]->q.name))
            json_array_append_new(out, queue_to_json(c, c->queues[i]));
    }
    if (name && !json_array_size(out)) {
        json_decref(out);
        conn_error(conn, id, "ENOENT", "Invalid queue name specified: %s", name);
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "queues", out));
}

static int queue_busy(struct ctld *c, const char *name)
{
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (j->queue && !strcmp(j->queue, name) && !job_is_terminal(j))
            return 1;
    }
    return 0;
}

/* Keep what was set at run time, merged with what was kept before (a fresh
 * object drops the old keys), so that restarts and reconfigures apply it. */
static void change_store(struct ctld *c, int policy, const char *name, json_t *keys, int fresh)
{
    json_t *stored = policy ? db_policies_load(c->db) : db_queues_load(c->db);
    json_t *prev = json_object_get(json_object_get(stored, name), "keys");
    json_t *all = prev && !fresh ? json_deep_copy(prev) : json_object();
    json_object_update(all, keys);
    json_decref(stored);
    if (policy)
        db_policy_save(c->db, name, json_pack("{s:o}", "keys", all));
    else
        db_queue_save(c->db, name, json_pack("{s:o}", "keys", all));
}

static const char *queue_create(struct ctld *c, const char *name, json_t *keys, sl_error_t *e)
{
    if (queue_find(c, name) || conf_part_find(c->conf, name)) {
        sl_errprintf(e, "queue '%s' already exists", name);
        return "EINVAL";
    }
    struct queue *queue = queue_add(c);
    queue->q.name = strdup(name);
    queue->q.priority = 1;
    if (queue_apply(c, queue, keys, e) < 0) {
        queue_remove(c, queue);
        return "EINVAL";
    }
    return NULL;
}

static const char *queue_delete(struct ctld *c, struct queue *queue, const char *name,
                                sl_error_t *e)
{
    if (queue->implicit) {
        sl_errprintf(e, "queue '%s' is a partition's own queue: remove the partition instead",
                     name);
        return "EINVAL";
    }
    if (!queue->q.disabled || queue_busy(c, name)) {
        sl_errprintf(e, "queue '%s' must be DISABLED and empty before it is deleted", name);
        return "EBUSY";
    }
    queue_remove(c, queue);
    db_queue_save(c->db, name, json_pack("{s:b}", "deleted", 1));
    return NULL;
}

/* create / update / delete: {"action": ..., "name": N, "keys": {"Priority": "10", ...}} */
static void queue_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg, json_t *keys)
{
    struct ctld *c = arg;
    const char *what = json_string_value(json_object_get(q, "action"));
    const char *name = json_string_value(json_object_get(q, "name"));
    struct queue *queue = name ? queue_find(c, name) : NULL;
    const char *code = NULL;
    sl_error_t e;
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator can "
                                      "change queues");
        return;
    }
    if (!what || !name || !*name) {
        conn_error(conn, id, "EINVAL", "queue_change needs an action and a name");
        return;
    }
    if (strcmp(what, "create") && !queue) {
        conn_error(conn, id, "ENOENT", "Invalid queue name specified: %s", name);
        return;
    }
    if (!strcmp(what, "create"))
        code = queue_create(c, name, keys, &e);
    else if (!strcmp(what, "update"))
        code = queue_apply(c, queue, keys, &e) < 0 ? "EINVAL" : NULL;
    else if (!strcmp(what, "delete"))
        code = queue_delete(c, queue, name, &e);
    else
        code = (sl_errprintf(&e, "unknown queue action '%s'", what), "EINVAL");
    if (code) {
        conn_error(conn, id, code, "%s", e.text);
        return;
    }
    if (!strcmp(what, "delete")) {
        ctld_kick(c);
        ctld_reply_later(c, conn, id, json_object());
        return;
    }
    change_store(c, 0, name, keys, !strcmp(what, "create"));
    log_info("queue %s %sd by uid %u", name, what, (unsigned)conn_uid(conn));
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, queue_to_json(c, queue_find(c, name)));
}

/* Scheduling policies live in the config struct, which the controller owns;
 * run-time changes are applied there and kept in the database, so they are
 * applied again after a restart or a reconfigure. */
static struct conf_policy *policy_slot(struct ctld *c, const char *name)
{
    for (size_t i = 0; i < c->conf->npolicies; i++)
        if (!strcmp(c->conf->policies[i].name, name))
            return &c->conf->policies[i];
    return NULL;
}

static int policy_apply(struct conf_policy *p, json_t *keys, sl_error_t *e)
{
    struct conf_policy tmp;
    const char *k;
    json_t *v;
    if (conf_policy_copy(&tmp, p) < 0)
        return sl_errprintf(e, "out of memory");
    json_object_foreach(keys, k, v) {
        if (!json_is_string(v) || conf_policy_set(&tmp, k, json_string_value(v), e) < 0) {
            conf_policy_free(&tmp);
            return json_is_string(v) ? -1 : sl_errprintf(e, "value of %s must be a string", k);
        }
    }
    conf_policy_free(p);
    *p = tmp;
    return 0;
}

static void policy_remove(struct ctld *c, struct conf_policy *p)
{
    size_t i = (size_t)(p - c->conf->policies);
    conf_policy_free(p);
    memmove(p, p + 1, (c->conf->npolicies - i - 1) * sizeof(*p));
    c->conf->npolicies--;
}

static struct conf_policy *policy_add(struct ctld *c, const char *name)
{
    c->conf->policies = realloc(c->conf->policies,
                                (c->conf->npolicies + 1) * sizeof(*c->conf->policies));
    struct conf_policy *p = &c->conf->policies[c->conf->npolicies++];
    memset(p, 0, sizeof(*p));
    p->name = strdup(name);
    return p;
}

void policies_overlay(struct ctld *c)
{
    json_t *stored = db_policies_load(c->db), *v;
    const char *name;
    sl_error_t e;
    json_object_foreach(stored, name, v) {
        struct conf_policy *p = policy_slot(c, name);
        if (json_is_true(json_object_get(v, "deleted"))) {
            if (p)
                policy_remove(c, p);
            continue;
        }
        if (!p)
            p = policy_add(c, name);
        if (policy_apply(p, json_object_get(v, "keys"), &e) < 0)
            log_warn("stored change to policy %s no longer applies: %s", name, e.text);
    }
    json_decref(stored);
}

json_t *policy_to_json(const struct conf_policy *p)
{
    json_t *shares = json_array();
    for (size_t i = 0; i < p->nshares; i++)
        json_array_append_new(shares, json_pack("{s:s, s:b, s:f}", "id", p->shares[i].id,
                                                "prefix", p->shares[i].prefix, "weight",
                                                p->shares[i].weight));
    return json_pack("{s:s, s:I, s:i, s:s, s:o}", "name", p->name, "share_decay_seconds",
                     (json_int_t)p->share_decay, "compute_reservation",
                     (int)p->compute_reservation, "share_distribution",
                     p->distribution ? p->distribution : "", "shares", shares);
}

void op_policy_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    json_t *out = json_array();
    int accounts = ctld_sees_all(c, conn_uid(conn), PRIVATE_ACCOUNTS);
    for (size_t i = 0; i < c->conf->npolicies; i++) {
        if (name && strcmp(name, c->conf->policies[i].name))
            continue;
        json_t *rec = policy_to_json(&c->conf->policies[i]);
        if (!accounts) {   /* PrivateData=accounts: the policy without its accounts */
            json_object_del(rec, "share_distribution");
            json_object_del(rec, "shares");
        }
        json_array_append_new(out, rec);
    }
    if (name && !json_array_size(out)) {
        json_decref(out);
        conn_error(conn, id, "ENOENT", "Invalid scheduling policy specified: %s", name);
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "policies", out));
}

static int policy_in_use(struct ctld *c, const char *name)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (c->queues[i]->q.policy && !strcmp(c->queues[i]->q.policy, name))
            return 1;
    return 0;
}

static void policy_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg, json_t *keys)
{
    struct ctld *c = arg;
    const char *what = json_string_value(json_object_get(q, "action"));
    const char *name = json_string_value(json_object_get(q, "name"));
    struct conf_policy *p = name ? policy_slot(c, name) : NULL;
    sl_error_t e;
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator can "
                                      "change scheduling policies");
        return;
    }
    if (!what || !name || !*name) {
        conn_error(conn, id, "EINVAL", "policy_change needs an action and a name");
        return;
    }
    if (!strcmp(what, "delete")) {
        if (!p) {
            conn_error(conn, id, "ENOENT", "Invalid scheduling policy specified: %s", name);
            return;
        }
        if (policy_in_use(c, name)) {
            conn_error(conn, id, "EBUSY", "scheduling policy '%s' is used by a queue: change "
                                          "the queue first", name);
            return;
        }
        policy_remove(c, p);
        db_policy_save(c->db, name, json_pack("{s:b}", "deleted", 1));
        ctld_kick(c);
        ctld_reply_later(c, conn, id, json_object());
        return;
    }
    if (strcmp(what, "create") && strcmp(what, "update")) {
        conn_error(conn, id, "EINVAL", "unknown policy action '%s'", what);
        return;
    }
    if (!strcmp(what, "create") && p) {
        conn_error(conn, id, "EINVAL", "scheduling policy '%s' already exists", name);
        return;
    }
    if (!strcmp(what, "update") && !p) {
        conn_error(conn, id, "ENOENT", "Invalid scheduling policy specified: %s", name);
        return;
    }
    int created = !p;
    if (!p)
        p = policy_add(c, name);
    if (policy_apply(p, keys, &e) < 0) {
        if (created)
            policy_remove(c, p);
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return;
    }
    change_store(c, 1, name, keys, created);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, policy_to_json(p));
}

void op_queue_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    json_t *keys = keys_canonical(json_object_get(q, "keys"), queue_keys);
    queue_change(conn, id, q, arg, keys);
    json_decref(keys);
}

void op_policy_change(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    json_t *keys = keys_canonical(json_object_get(q, "keys"), policy_keys);
    policy_change(conn, id, q, arg, keys);
    json_decref(keys);
}
