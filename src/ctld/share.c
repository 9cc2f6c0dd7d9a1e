/* share.c: fair-share usage, weights and the order it gives. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "log.h"
#include "parse.h"
#include "queue.h"
#include "share.h"
#include "fairmath.h"

struct share {
    char *policy;        /* "" for the cluster-wide (multifactor) account */
    char *key;           /* identifier, or "prefix*" for a grouped entry */
    double usage;        /* decayed core-seconds as of updated */
    int64_t updated;
    double vt;           /* virtual time handed out in this pass */
    double running;      /* core-seconds of running jobs so far (this pass) */
    uint32_t running_cpus, pending;
};

/* Pointers, so that a share found earlier stays valid when one is added. */
static struct share **shares;
static size_t nshares;

const char *share_id(const struct job *j)
{
    return j->share ? j->share : j->account ? j->account : j->user ? j->user : "?";
}

const struct conf_policy *share_policy_of(struct ctld *c, const struct job *j)
{
    struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
    return q && q->q.policy ? conf_policy_find(c->conf, q->q.policy) : NULL;
}

/* The entry of the distribution that covers id, or NULL (weight 1). */
static const struct conf_share *policy_entry(const struct conf_policy *p, const char *id)
{
    for (size_t i = 0; p && i < p->nshares; i++) {
        const struct conf_share *s = &p->shares[i];
        if (s->prefix ? !strncmp(id, s->id, strlen(s->id)) : !strcmp(id, s->id))
            return s;
    }
    return NULL;
}

static double share_weight(const struct conf_policy *p, const char *id)
{
    const struct conf_share *s = policy_entry(p, id);
    return s ? s->weight : 1.0;
}

static struct share *share_get(const char *policy, const char *key)
{
    for (size_t i = 0; i < nshares; i++)
        if (!strcmp(shares[i]->policy, policy) && !strcmp(shares[i]->key, key))
            return shares[i];
    struct share **grown = realloc(shares, (nshares + 1) * sizeof(*shares));
    struct share *s = calloc(1, sizeof(*s));
    if (!grown || !s)
        log_fatal("out of memory");
    shares = grown;
    *s = (struct share){ strdup(policy), strdup(key), 0, ctld_now(), 0, 0, 0, 0 };
    shares[nshares++] = s;
    return s;
}

/* The share a job's usage goes to under policy p (NULL: cluster-wide). */
static struct share *share_of(const struct conf_policy *p, const struct job *j)
{
    const char *id = share_id(j);
    const struct conf_share *s = policy_entry(p, id);
    char key[256];
    snprintf(key, sizeof(key), "%s%s", s && s->prefix ? s->id : id, s && s->prefix ? "*" : "");
    return share_get(p ? p->name : "", key);
}

static double half_life(struct ctld *c, const char *policy)
{
    const struct conf_policy *p = *policy ? conf_policy_find(c->conf, policy) : NULL;
    return p ? (double)p->share_decay : (double)c->conf->prio_decay_half_life;
}

static void share_decay(struct ctld *c, struct share *s, int64_t now)
{
    if (now > s->updated)
        s->usage = fair_decay(s->usage, (double)(now - s->updated), half_life(c, s->policy));
    s->updated = now;
}

int shares_setup(struct ctld *c)
{
    json_t *all = db_shares_load(c->db), *v;
    size_t i;
    json_array_foreach(all, i, v) {
        struct share *s = share_get(json_string_value(json_object_get(v, "policy")),
                                    json_string_value(json_object_get(v, "id")));
        s->usage = json_real_value(json_object_get(v, "usage"));
        s->updated = json_integer_value(json_object_get(v, "updated"));
    }
    json_decref(all);
    return 0;
}

void shares_teardown(struct ctld *c)
{
    for (size_t i = 0; i < nshares; i++) {
        free(shares[i]->policy);
        free(shares[i]->key);
        free(shares[i]);
    }
    free(shares);
    shares = NULL;
    nshares = 0;
}

void share_pass_begin(struct ctld *c)
{
    int64_t now = ctld_now();
    for (size_t i = 0; i < nshares; i++) {
        share_decay(c, shares[i], now);
        shares[i]->vt = shares[i]->running = 0;
        shares[i]->running_cpus = shares[i]->pending = 0;
    }
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (job_is_terminal(j) || job_is_array_parent(j))
            continue;
        const struct conf_policy *p = share_policy_of(c, j);
        struct share *s[2] = { share_of(NULL, j), p ? share_of(p, j) : NULL };
        for (int k = 0; k < 2 && s[k]; k++) {
            if (job_is_pending(j)) {
                s[k]->pending++;
            } else {
                s[k]->running_cpus += j->num_cpus;
                s[k]->running += (double)j->num_cpus * (double)(now - j->start_time);
            }
        }
    }
}

double share_virtual_time(struct ctld *c, const struct job *j)
{
    const struct conf_policy *p = share_policy_of(c, j);
    struct share *s = share_of(p, j);
    double w = share_weight(p, share_id(j));
    int64_t limit = j->time_limit > 0 && j->time_limit < 3600 ? j->time_limit : 3600;
    double cost = (double)(j->ntasks * (j->cpus_per_task ? j->cpus_per_task : 1)) * (double)limit;
    double key = fair_key(s->usage + s->running, s->vt, w);
    s->vt += cost;
    return key;
}

int share_queue_room(struct ctld *c, const struct job *j, uint32_t cpus)
{
    const struct conf_policy *p = share_policy_of(c, j);
    struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
    if (!p || !q || !p->compute_reservation)
        return 1;
    struct share *mine = share_of(p, j);
    if (!mine->running_cpus)
        return 1;   /* a share not yet active may use the reserved part */
    uint32_t active = 0, used = 0;
    for (size_t i = 0; i < nshares; i++) {
        if (!strcmp(shares[i]->policy, p->name) && shares[i]->running_cpus) {
            active++;
            used += shares[i]->running_cpus;
        }
    }
    uint64_t total = 0;
    for (size_t i = 0; i < q->q.nparts; i++) {
        const struct conf_partition *pt = conf_part_find(c->conf, q->q.partitions[i]);
        for (size_t k = 0; pt && k < pt->nnodes; k++) {
            const struct conf_node *cfg = conf_part_node(c->conf, pt, k);
            total += cfg->cpus;
        }
    }
    double reserved = fair_reserved(p->compute_reservation, active);
    return (double)(used + cpus) <= (1.0 - reserved) * (double)total;
}

void share_charge(struct ctld *c, const struct job *j)
{
    if (!j->start_time || job_is_array_parent(j) || !j->num_cpus)
        return;
    int64_t now = ctld_now();
    double cs = (double)j->num_cpus * (double)(now - j->start_time);
    const struct conf_policy *p = share_policy_of(c, j);
    struct share *s[2] = { share_of(NULL, j), p ? share_of(p, j) : NULL };
    for (int k = 0; k < 2 && s[k]; k++) {
        share_decay(c, s[k], now);
        s[k]->usage += cs;
        db_share_save(c->db, s[k]->policy, s[k]->key, s[k]->usage, s[k]->updated);
    }
}

/* 2^(-usage fraction / share fraction) over the cluster-wide shares with
 * jobs or usage; weights come from the job's queue policy (1 without one). */
double share_factor(struct ctld *c, const struct job *j)
{
    const struct conf_policy *p = share_policy_of(c, j);
    struct share *mine = share_of(NULL, j);
    double total_usage = 0, total_inv_w = 0;
    for (size_t i = 0; i < nshares; i++) {
        struct share *s = shares[i];
        if (*s->policy || (!s->pending && !s->running_cpus && s->usage + s->running <= 0))
            continue;
        total_usage += s->usage + s->running;
        total_inv_w += 1.0 / share_weight(p, s->key);
    }
    if (total_usage <= 0 || total_inv_w <= 0)
        return 1.0;
    double norm_share = (1.0 / share_weight(p, mine->key)) / total_inv_w;
    return fair_factor((mine->usage + mine->running) / total_usage, norm_share);
}

json_t *share_list(struct ctld *c)
{
    json_t *out = json_array();
    share_pass_begin(c);
    for (size_t i = 0; i < nshares; i++) {
        struct share *s = shares[i];
        const struct conf_policy *p = *s->policy ? conf_policy_find(c->conf, s->policy) : NULL;
        double w = share_weight(p, s->key), total = 0;
        for (size_t k = 0; k < nshares; k++)
            if (!strcmp(shares[k]->policy, s->policy))
                total += shares[k]->usage + shares[k]->running;
        double eff = total > 0 ? (s->usage + s->running) / total : 0;
        json_array_append_new(out, json_pack(
            "{s:s, s:s, s:f, s:f, s:f, s:i, s:i}", "policy", *s->policy ? s->policy : "(cluster)",
            "share", s->key, "weight", w, "raw_usage", s->usage + s->running, "effective_usage",
            eff, "running_cpus", (int)s->running_cpus, "pending", (int)s->pending));
    }
    return out;
}
