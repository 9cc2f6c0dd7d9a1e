/* priority/multifactor: a weighted sum of factors in [0, 1]:
 *   priority = W_age * age + W_fairshare * fairshare + W_jobsize * jobsize
 *            + W_partition * queue - W_nice * nice
 * age = min(1, pending time / PriorityMaxAge); jobsize = job CPUs / cluster
 * CPUs; queue = queue priority / highest queue priority; fairshare from
 * share.c.  Ties keep submit order. */
#include <math.h>
#include <string.h>
#include "plugin.h"
#include "queue.h"
#include "sched_api.h"
#include "share.h"
#include "fairmath.h"

static uint64_t cluster_cpus(struct ctld *c)
{
    uint64_t total = 0;
    for (size_t i = 0; i < c->nnodes; i++)
        total += c->nodes[i]->cfg->cpus;
    return total ? total : 1;
}

static void multifactor_factors(struct ctld *c, const struct job *j, struct prio_factors *f)
{
    const conf_t *cf = c->conf;
    double pending = (double)(ctld_now() - (j->eligible_time ? j->eligible_time : j->submit_time));
    struct queue *q = j->queue ? queue_find(c, j->queue) : NULL;
    f->age = prio_age(pending, (double)cf->prio_max_age);
    f->jobsize = fmin(1.0, (double)(j->ntasks * (j->cpus_per_task ? j->cpus_per_task : 1)) /
                               (double)cluster_cpus(c));
    f->partition = (double)(q ? q->q.priority : 1) / (double)queue_max_priority(c);
    f->fairshare = share_factor(c, j);
    f->nice = j->nice;
}

static uint32_t multifactor_priority(struct ctld *c, const struct job *j, struct prio_factors *f)
{
    const conf_t *cf = c->conf;
    multifactor_factors(c, j, f);
    const double w[4] = { cf->prio_weight_age, cf->prio_weight_fairshare, cf->prio_weight_jobsize,
                          cf->prio_weight_partition };
    const double x[4] = { f->age, f->fairshare, f->jobsize, f->partition };
    return prio_sum(w, x, cf->prio_weight_nice, f->nice);
}

static const struct priority_ops ops = { SCHED_API_ABI, multifactor_priority };

const struct sl_plugin sluice_plugin = { "priority", "multifactor", SL_PLUGIN_ABI, &ops };
