/* sched/backfill: jobs go in priority order; one that cannot start now gets
 * a reservation at the earliest time its nodes free up (from running jobs'
 * time limits), and a lower job starts now only where it does not touch a
 * reservation before it would end.  So short jobs fill gaps without delaying
 * the reserved start of a wide one, and long ones wait.  Advance reservations
 * (scontrol create res) hold their nodes for their jobs in their window,
 * in what starts now and in what is planned (doc/scheduling.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hostlist.h"
#include "log.h"
#include "parse.h"
#include "plugin.h"
#include "sched_api.h"

#define BF_MAX_TIMES 512

struct bf {
    struct ctld *c;
    resmap_t *map;
    int64_t now, times[BF_MAX_TIMES];
    size_t ntimes;
    int times_stale;         /* the map changed since bf_times */
    char *avoid;
    struct node **picked;
    uint64_t starts;         /* jobs started in this pass */
    uint64_t *idle_at;       /* per partition: value of starts when found full */
};

/* A running job's nodes, busy until its end. */
static void bf_use_running(struct bf *b, const struct job *j)
{
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);

    for (size_t k = 0; hl && k < hostlist_count(hl); k++) {
        struct node *n = node_find(b->c, hostlist_nth(hl, k));
        if (n && node_usable(n)) {
            resmap_use(b->map, sched_node_index(b->c, n), j->start_time, sched_job_end(j),
                       j->cpus_per_node, j->alloc_mem_mb, j->id);
            resmap_use_gpus(b->map, sched_node_index(b->c, n), j->start_time,
                            sched_job_end(j), j->alloc_gpus, j->id);
        }
    }
    hostlist_destroy(hl);
}

static void bf_fill_map(struct bf *b)
{
    struct ctld *c = b->c;
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct node *n = c->nodes[i];
        uint32_t gpus = node_topo(c->nodes[i])->ngpus;
        resmap_set_node(b->map, i, n->cfg->cpus, n->cfg->real_memory_mb);
        resmap_set_gpus(b->map, i, gpus);
        if (!node_usable(n)) {   /* a node that is not usable is full for ever */
            resmap_use(b->map, i, b->now, RESMAP_FOREVER, n->cfg->cpus, n->cfg->real_memory_mb, 0);
            resmap_use_gpus(b->map, i, b->now, RESMAP_FOREVER, gpus, 0);
        }
    }
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next)
        if (!job_is_pending(j) && !job_is_terminal(j) && j->nodes)
            bf_use_running(b, j);
}

static int bf_cmp_time(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Candidate start times: when something frees, and when an advance
 * reservation (scontrol create res) starts or ends, rounded up to
 * BackfillResolution so that reservations use coarse, stable times. */
static void bf_times(struct bf *b)
{
    size_t n = resmap_times(b->map, b->times, BF_MAX_TIMES), w = 0;
    n += resv_times(b->c, b->times + n, BF_MAX_TIMES - n);
    qsort(b->times, n, sizeof(b->times[0]), bf_cmp_time);
    for (size_t i = 0; i < n; i++) {
        int64_t t = resmap_round(b->map, b->times[i], b->c->conf->bf_resolution);
        if (!w || t != b->times[w - 1])
            b->times[w++] = t;
    }
    b->ntimes = w;
}

static void bf_record(struct bf *b, struct job *j, struct node **nodes, size_t n, int64_t start)
{
    b->times_stale = 1;
    int64_t end = j->time_limit > 0 ? start + j->time_limit : RESMAP_FOREVER;
    for (size_t k = 0; k < n; k++) {
        resmap_use(b->map, sched_node_index(b->c, nodes[k]), start, end,
                   sched_cpus_per_node(j, nodes[k]->cfg), sched_mem_per_node(j, nodes[k]->cfg), j->id);
        resmap_use_gpus(b->map, sched_node_index(b->c, nodes[k]), start, end,
                        sched_gpus_per_node(j), j->id);
    }
}

/* No node of p has a free CPU now: nothing can start there until a job
 * ends, which a pass does not see.  Remembered until a job starts in the
 * pass, so that on a full cluster each pending job costs O(1), not O(nodes). */
static int bf_part_full(struct bf *b, const struct conf_partition *p)
{
    size_t pi = (size_t)(p - b->c->conf->parts);
    if (b->idle_at[pi] == b->starts + 1)
        return 1;
    for (size_t k = 0; k < p->nnodes; k++) {
        const struct node *n = node_of_part(b->c, p, k);
        if (n && node_usable(n) && n->alloc_cpus < n->cfg->cpus)
            return 0;
    }
    b->idle_at[pi] = b->starts + 1;
    return 1;
}

/* Start now on nodes whose future reservations it would not touch.
 * *fits: whether it would fit now were it not for reservations. */
static int bf_start_now(struct bf *b, struct job *j, const struct conf_partition *p,
                        const char **why, int *fits)
{
    struct ctld *c = b->c;
    int64_t end = j->time_limit > 0 ? b->now + j->time_limit : RESMAP_FOREVER;
    /* Reservations only matter where the job fits now: check that first. */
    *fits = sched_pick_now(c, j, p, b->picked, why, NULL) == sched_nodes_needed(j);
    if (!*fits)
        return 0;
    for (size_t i = 0; i < c->nnodes; i++)
        b->avoid[i] = !resmap_fits(b->map, i, b->now, end, sched_cpus_per_node(j, c->nodes[i]->cfg),
                                   sched_mem_per_node(j, c->nodes[i]->cfg)) ||
                      !resmap_fits_gpus(b->map, i, b->now, end, sched_gpus_per_node(j));
    if (!sched_queue_room(c, j, sched_cpus_per_node(j, NULL) * sched_nodes_needed(j))) {
        *why = "QueueReservation";
        return 0;
    }
    size_t n = sched_pick_now(c, j, p, b->picked, why, b->avoid);
    if (n != sched_nodes_needed(j))
        return 0;
    struct job *t = sched_start_on(c, j, p, b->picked, n);
    if (!t)
        return 0;
    b->starts++;
    bf_record(b, t, b->picked, n, b->now);
    return 1;
}

/* Nodes of p free for j over [start, end) in the map, not in avoid: up to
 * need of them in b->picked + off; how many. */
static size_t bf_free_nodes(struct bf *b, struct job *j, const struct conf_partition *p,
                            int64_t start, int64_t end, size_t off)
{
    struct ctld *c = b->c;
    size_t got = 0, need = sched_nodes_needed(j);

    for (size_t k = 0; k < p->nnodes && got < need; k++) {
        struct node *n = node_of_part(c, p, k);
        size_t i = n ? sched_node_index(c, n) : 0;
        if (n && !b->avoid[i] && (n->registered || n->chan) && !n->down && !n->drain &&
            sched_node_eligible(n, j, -1) && resv_node_ok_at(c, n, j, start, end) &&
            resmap_fits(b->map, i, start, end, sched_cpus_per_node(j, n->cfg),
                        sched_mem_per_node(j, n->cfg)) &&
            resmap_fits_gpus(b->map, i, start, end, sched_gpus_per_node(j)))
            b->picked[off + got++] = n;
    }
    return got;
}

/* The earliest time (within the window) the job fits in p; reserve it.
 * Advance reservations count as in sched_pick_now: a reservation's job
 * only on its nodes in its window, others nowhere reserved then. */
static int bf_reserve(struct bf *b, struct job *j, const struct conf_partition *p)
{
    int64_t horizon = b->now + b->c->conf->bf_window;
    memset(b->avoid, 0, b->c->nnodes);
    for (size_t t = 0; t < b->ntimes && b->times[t] <= horizon; t++) {
        int64_t start = b->times[t], end = j->time_limit > 0 ? start + j->time_limit : RESMAP_FOREVER;
        size_t got = bf_free_nodes(b, j, p, start, end, 0);
        if (got == sched_nodes_needed(j)) {
            bf_record(b, j, b->picked, got, start);
            j->expected_start = start;
            return 1;
        }
    }
    return 0;
}

/* Held back only by reservations: which job's, and from when. */
static int bf_behind(struct bf *b, struct job *j, const struct conf_partition *p,
                     uint32_t *owner, int64_t *at)
{
    const char *why;
    size_t n = sched_pick_now(b->c, j, p, b->picked, &why, NULL);
    if (n != sched_nodes_needed(j))
        return 0;
    int64_t end = j->time_limit > 0 ? b->now + j->time_limit : RESMAP_FOREVER;
    for (size_t k = 0; k < n; k++) {
        if (resmap_reserved(b->map, sched_node_index(b->c, b->picked[k]), b->now, end, owner, at))
            return 1;
    }
    return 0;
}

static void bf_wait(struct job *j, const char *why, const struct conf_partition *p)
{
    char detail[256], when[32];
    if (j->expected_start)
        snprintf(detail, sizeof(detail), "needs %u node(s) with %u CPUs; reserved in %s from %s",
                 sched_nodes_needed(j), sched_cpus_per_node(j, NULL), p ? p->name : "?",
                 format_datetime(j->expected_start, when, sizeof(when)));
    else
        snprintf(detail, sizeof(detail), "needs %u node(s) with %u CPUs, %llu MB%s; no room "
                 "within the backfill window", sched_nodes_needed(j), sched_cpus_per_node(j, NULL),
                 (unsigned long long)sched_mem_per_node(j, NULL), sched_gpu_words(j));
    sched_set_wait(j, JOB_RUNNABLE, why, detail);
}

static void bf_job(struct bf *b, struct job *j, int reserve)
{
    const struct conf_partition *parts[16];
    size_t np = sched_job_parts(b->c, j, parts, 16);
    const char *why = "Resources";
    int started = 0, fits[16] = { 0 };
    for (size_t k = 0; k < np; k++) {
        if ((parts[k]->state != PART_UP && parts[k]->state != PART_DRAIN) ||
            bf_part_full(b, parts[k]))
            continue;
        while (sched_job_ready(b->c, j) && bf_start_now(b, j, parts[k], &why, &fits[k])) {
            started = 1;
            if (!job_is_array_parent(j) || !job_is_pending(j))
                return;
        }
        if (started || !job_is_pending(j) || job_is_terminal(j))
            return;
    }
    uint32_t owner = 0;
    int64_t at = 0;
    int behind = 0;
    /* Only where it fits but for reservations: anywhere else it is held by resources. */
    for (size_t k = 0; k < np && !behind; k++)
        behind = fits[k] && bf_behind(b, j, parts[k], &owner, &at);
    j->expected_start = 0;
    for (size_t k = 0; reserve && k < np && !j->expected_start; k++) {
        if (parts[k]->state == PART_UP || parts[k]->state == PART_DRAIN)
            bf_reserve(b, j, parts[k]);
    }
    if (behind && strcmp(why, "QueueReservation")) {
        char detail[256], t1[32], t2[32];
        snprintf(detail, sizeof(detail), "would fit now, but job %u holds a reservation on "
                 "those nodes from %s (its time limit would overlap); expected start %s", owner,
                 format_datetime(at, t1, sizeof(t1)),
                 j->expected_start ? format_datetime(j->expected_start, t2, sizeof(t2)) : "unknown");
        sched_set_wait(j, JOB_RUNNABLE, "Priority", detail);
        return;
    }
    bf_wait(j, why, np ? parts[0] : NULL);
}

static double bf_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Debug output, as the controller's "sched pass" line; slow passes at info. */
static void bf_log_pass(size_t njobs, double took)
{
    if (took >= SCHED_SLOW_PASS_MS)
        log_info("backfill pass: %zu jobs in %.3f ms (slow)", njobs, took);
    else
        log_debug("backfill pass: %zu jobs in %.3f ms", njobs, took);
}

/* The earliest time within the window when every component fits at once,
 * on disjoint nodes: reserve them all there (each for its own limit). */
static int bf_het_reserve(struct bf *b, struct job **comp, size_t n)
{
    int64_t horizon = b->now + b->c->conf->bf_window;
    size_t off[SCHED_HET_MAX + 1];

    for (size_t t = 0; t < b->ntimes && b->times[t] <= horizon; t++) {
        int64_t start = b->times[t];
        size_t k;
        memset(b->avoid, 0, b->c->nnodes);
        off[0] = 0;
        for (k = 0; k < n; k++) {
            const struct conf_partition *parts[16];
            size_t np = sched_job_parts(b->c, comp[k], parts, 16), got = 0;
            int64_t end = comp[k]->time_limit > 0 ? start + comp[k]->time_limit : RESMAP_FOREVER;
            for (size_t p = 0; p < np && got < sched_nodes_needed(comp[k]); p++)
                if (parts[p]->state == PART_UP || parts[p]->state == PART_DRAIN)
                    got = bf_free_nodes(b, comp[k], parts[p], start, end, off[k]);
            if (got < sched_nodes_needed(comp[k]))
                break;
            for (size_t i = 0; i < got; i++)
                b->avoid[sched_node_index(b->c, b->picked[off[k] + i])] = 1;
            off[k + 1] = off[k] + got;
        }
        if (k < n)
            continue;
        for (k = 0; k < n; k++) {
            bf_record(b, comp[k], b->picked + off[k], off[k + 1] - off[k], start);
            comp[k]->expected_start = start;
        }
        return 1;
    }
    return 0;
}

/* A heterogeneous job: it starts whole now where it touches no earlier
 * job's reservation, else it reserves the earliest time all components
 * fit at once, so the jobs behind it backfill only around it. */
static void bf_het(struct bf *b, struct job *lead, int reserve)
{
    struct job *comp[SCHED_HET_MAX];
    size_t n = sched_het_components(b->c, lead, comp, SCHED_HET_MAX);
    int64_t end = b->now;

    /* Until the last component's end: the longest limit (none: for ever). */
    for (size_t k = 0; k < n && end != RESMAP_FOREVER; k++) {
        if (comp[k]->time_limit <= 0)
            end = RESMAP_FOREVER;
        else if (b->now + comp[k]->time_limit > end)
            end = b->now + comp[k]->time_limit;
    }
    for (size_t i = 0; i < b->c->nnodes; i++)
        b->avoid[i] = (char)resmap_reserved(b->map, i, b->now, end, NULL, NULL);
    if (sched_het_try_avoiding(b->c, lead, b->avoid)) {
        b->starts++;
        b->times_stale = 1;
        for (size_t k = 0; k < n; k++)
            bf_use_running(b, comp[k]);
        return;
    }
    for (size_t k = 0; k < n; k++)
        comp[k]->expected_start = 0;
    if (!reserve || !lead->reason || strcmp(lead->reason, "Resources") != 0 ||
        !bf_het_reserve(b, comp, n))
        return;
    for (size_t k = 0; k < n; k++) {
        const struct conf_partition *parts[1];
        bf_wait(comp[k], "Resources", sched_job_parts(b->c, comp[k], parts, 1) ? parts[0] : NULL);
    }
}

static void backfill_pass(struct ctld *c)
{
    double t0 = bf_mono_ms();
    struct job **order;
    size_t n = sched_order(c, &order);
    struct bf b = { c, resmap_create(c->nnodes, ctld_now()), ctld_now(), { 0 }, 0, 0,
                    calloc(c->nnodes + 1, 1), calloc(c->nnodes + 1, sizeof(struct node *)), 0,
                    calloc(c->conf->nparts + 1, sizeof(uint64_t)) };
    bf_fill_map(&b);
    bf_times(&b);
    uint32_t tested = 0;
    for (size_t i = 0; i < n; i++) {
        struct job *j = order[i];
        if (job_is_terminal(j) || !job_is_pending(j) || !sched_job_ready(c, j))
            continue;
        /* A het job starts whole when all its components fit now, else it
         * is reserved as a whole (doc/guide-job-model.md). */
        if (j->het_job_id) {
            bf_het(&b, j, tested++ < c->conf->bf_max_job_test);
            if (b.times_stale) {
                bf_times(&b);
                b.times_stale = 0;
            }
            continue;
        }
        /* Past the test budget, jobs may still start now but get no reservation. */
        bf_job(&b, j, tested++ < c->conf->bf_max_job_test);
        if (b.times_stale) {
            bf_times(&b);
            b.times_stale = 0;
        }
    }
    resmap_destroy(b.map);
    free(b.idle_at);
    free(b.avoid);
    free(b.picked);
    free(order);
    bf_log_pass(n, bf_mono_ms() - t0);
}

static const struct sched_ops ops = { SCHED_API_ABI, backfill_pass };

const struct sl_plugin sluice_plugin = { "sched", "backfill", SL_PLUGIN_ABI, &ops };
