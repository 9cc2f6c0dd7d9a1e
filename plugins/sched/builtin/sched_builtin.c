/* sched/builtin: strict priority order.  A job that cannot start blocks the
 * jobs behind it on every partition it could use, so nothing overtakes it;
 * the jobs of a reservation (--reservation) form a line of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugin.h"
#include "sched_api.h"

static void builtin_wait(struct ctld *c, struct job *j, const char *why, uint32_t behind)
{
    char detail[160];
    if (behind)
        snprintf(detail, sizeof(detail), "waiting behind job %u, which is ahead of it in "
                                         "priority order (sched/builtin never overtakes)", behind);
    else
        snprintf(detail, sizeof(detail), "needs %u node(s) with %u CPUs, %llu MB%s free",
                 sched_nodes_needed(j), sched_cpus_per_node(j, NULL),
                 (unsigned long long)sched_mem_per_node(j, NULL), sched_gpu_words(j));
    sched_set_wait(j, JOB_RUNNABLE, why, detail);
}

/* Try j (and, for an array, its next tasks) on its partitions in order. */
static int builtin_try(struct ctld *c, struct job *j, uint32_t *blocked_by,
                       struct node **picked, const char **why)
{
    const struct conf_partition *parts[16];
    size_t np = sched_job_parts(c, j, parts, 16);
    int started = 0, open = 0;
    for (size_t k = 0; k < np; k++) {
        size_t pi = (size_t)(parts[k] - c->conf->parts);
        /* A reservation's jobs are a line of their own (its nodes are theirs). */
        if ((blocked_by[pi] && !j->reservation) || (parts[k]->state != PART_UP && parts[k]->state != PART_DRAIN))
            continue;
        open = 1;
        while (sched_array_can_start(c, j) && job_is_pending(j) && !job_is_terminal(j)) {
            if (!sched_queue_room(c, j, sched_cpus_per_node(j, NULL) * sched_nodes_needed(j))) {
                *why = "QueueReservation";
                break;
            }
            size_t n = sched_pick_now(c, j, parts[k], picked, why, NULL);
            if (n != sched_nodes_needed(j) || !sched_start_on(c, j, parts[k], picked, n))
                break;
            started = 1;
            if (!job_is_array_parent(j))
                return 1;
        }
        if (started)
            return 1;
    }
    return open ? 0 : -1;
}

/* A het job holds the line like any other (sched/builtin never overtakes):
 * it waits behind a job ahead of it on the partitions of one of its
 * components, and when it waits for resources it blocks, in every
 * component's partitions, the jobs behind it.  Without this a big het job
 * could wait for ever while smaller jobs behind it took what freed up. */
static void builtin_het(struct ctld *c, struct job *j, uint32_t *blocked_by)
{
    struct job *comp[SCHED_HET_MAX];
    size_t n = sched_het_components(c, j, comp, SCHED_HET_MAX);
    uint32_t behind = 0;

    for (size_t k = 0; k < n && !behind; k++) {
        const struct conf_partition *parts[16];
        size_t np = sched_job_parts(c, comp[k], parts, 16), open = 0;
        uint32_t first = 0;
        for (size_t p = 0; p < np; p++) {
            uint32_t by = blocked_by[parts[p] - c->conf->parts];
            open += !by || comp[k]->reservation;
            first = first ? first : by;
        }
        if (np && !open)
            behind = first;
    }
    if (behind) {
        for (size_t k = 0; k < n; k++)
            builtin_wait(c, comp[k], "Priority", behind);
        return;
    }
    if (sched_het_try(c, j) || !j->reason || strcmp(j->reason, "Resources") != 0)
        return;
    for (size_t k = 0; k < n; k++) {
        const struct conf_partition *parts[16];
        size_t np = comp[k]->reservation ? 0 : sched_job_parts(c, comp[k], parts, 16);
        for (size_t p = 0; p < np; p++)
            if (!blocked_by[parts[p] - c->conf->parts])
                blocked_by[parts[p] - c->conf->parts] = j->id;
    }
}

static void builtin_pass(struct ctld *c)
{
    struct job **order;
    size_t n = sched_order(c, &order);
    uint32_t *blocked_by = calloc(c->conf->nparts + 1, sizeof(*blocked_by));
    struct node **picked = calloc(c->nnodes + 1, sizeof(*picked));
    for (size_t i = 0; i < n; i++) {
        struct job *j = order[i];
        const char *why = "Resources";
        if (job_is_terminal(j) || !job_is_pending(j) || !sched_job_ready(c, j))
            continue;
        /* A het job starts whole when all its components fit now
         * (doc/guide-job-model.md), in priority order like the rest. */
        if (j->het_job_id) {
            builtin_het(c, j, blocked_by);
            continue;
        }
        int rc = builtin_try(c, j, blocked_by, picked, &why);
        if (rc == 1)
            continue;
        const struct conf_partition *parts[16];
        size_t np = sched_job_parts(c, j, parts, 16);
        uint32_t behind = 0;
        /* Only a job waiting for resources that will free up holds the
         * line; one that needs a node that is down does not. */
        int holds_line = rc == 0 && !strcmp(why, "Resources") && !j->reservation;
        for (size_t k = 0; k < np; k++) {
            size_t pi = (size_t)(parts[k] - c->conf->parts);
            if (!behind)
                behind = blocked_by[pi];
            if (!blocked_by[pi] && holds_line)
                blocked_by[pi] = j->id;
        }
        if (job_is_pending(j) && !job_is_terminal(j))
            builtin_wait(c, j, rc < 0 ? "Priority" : why, rc < 0 ? behind : 0);
    }
    free(picked);
    free(blocked_by);
    free(order);
}

static const struct sched_ops ops = { SCHED_API_ABI, builtin_pass };

const struct sl_plugin sluice_plugin = { "sched", "builtin", SL_PLUGIN_ABI, &ops };
