/* steplace.c: a job step's tasks on its allocation's nodes (steplace.h). */
#include "steplace.h"

#include <stdlib.h>
#include <string.h>

#define MSG_NEVER "Requested node configuration is not available"
#define MSG_BUSY "Job step creation temporarily disabled, retrying"

/* What one placement attempt may use on each node. */
struct caps {
    const uint32_t *cpus;
    const uint64_t *mem;     /* UINT64_MAX where memory is not counted */
};

static uint32_t node_max_tasks(const struct steplace_req *r, const struct caps *k, size_t i)
{
    uint32_t cpt = r->cpus_per_task ? r->cpus_per_task : 1;
    if (r->mem_mb && r->mem_mb > k->mem[i])
        return 0;
    uint32_t m = k->cpus[i] / cpt;
    return r->ntasks_per_node && m > r->ntasks_per_node ? r->ntasks_per_node : m;
}

static int wanted(const struct steplace_req *r, size_t i)
{
    return r->want && r->want[i];
}

static int avoided(const struct steplace_req *r, size_t i)
{
    return r->avoid && r->avoid[i];
}

/* The order nodes are considered in: those named by -w first, then the
 * others not excluded, each group in allocation order. */
static size_t node_order(size_t nnodes, const struct steplace_req *r, size_t *order)
{
    size_t n = 0;
    for (size_t i = 0; i < nnodes; i++)
        if (wanted(r, i))
            order[n++] = i;
    for (size_t i = 0; i < nnodes; i++)
        if (!wanted(r, i) && !avoided(r, i))
            order[n++] = i;
    return n;
}

/* -N given (or implied): N nodes, n tasks spread evenly: `extra` of them
 * run one more.  The nodes named by -w are taken first, then, in allocation
 * order, nodes that can run one more while such are still needed, then any
 * that hold the even share; the nodes running one more are the first ones
 * able to, so ranks stay block-wise in node order. */
static int place_even(size_t nnodes, const struct steplace_req *r, const struct caps *k,
                      uint32_t n, uint32_t N, const size_t *order, size_t norder,
                      uint32_t *tasks)
{
    uint32_t base = n / N, extra = n % N, chosen = 0, plus = 0;
    unsigned char *pick = calloc(nnodes + 1, 1);
    int rc = -1;
    if (!pick)
        return -1;
    for (size_t o = 0; o < norder && wanted(r, order[o]); o++) {
        uint32_t cap = node_max_tasks(r, k, order[o]);
        if (cap < base)
            goto out;
        pick[order[o]] = 1;
        chosen++;
        plus += cap > base;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t o = 0; o < norder && chosen < N; o++) {
            size_t i = order[o];
            uint32_t cap = node_max_tasks(r, k, i);
            if (pick[i] || cap < base || (pass == 0 && (cap == base || plus >= extra)))
                continue;
            pick[i] = 1;
            chosen++;
            plus += cap > base;
        }
    }
    if (chosen < N || plus < extra)
        goto out;
    for (size_t i = 0; i < nnodes; i++) {
        if (!pick[i])
            continue;
        int more = extra && node_max_tasks(r, k, i) > base;
        tasks[i] = base + (uint32_t)more;
        extra -= (uint32_t)more;
    }
    rc = 0;
out:
    free(pick);
    return rc;
}

/* Only -n: the fewest nodes, each filled before the next (block). */
static int place_fill(const struct steplace_req *r, const struct caps *k, uint32_t n,
                      const size_t *order, size_t norder, uint32_t *tasks)
{
    uint32_t left = n;
    for (size_t o = 0; o < norder && wanted(r, order[o]); o++) {
        if (node_max_tasks(r, k, order[o]) < 1 || !left)
            return -1;     /* every node named by -w runs a task */
        tasks[order[o]] = 1;
        left--;
    }
    for (size_t o = 0; o < norder && left; o++) {
        size_t i = order[o];
        uint32_t room = node_max_tasks(r, k, i) - tasks[i];
        uint32_t take = room < left ? room : left;
        tasks[i] += take;
        left -= take;
    }
    return left ? -1 : 0;
}

static int place_try(const struct steplace_alloc *a, const struct steplace_req *r,
                     const struct caps *k, uint32_t *tasks)
{
    size_t *order = malloc((a->nnodes + 1) * sizeof(*order));
    size_t nwant = 0, norder;
    int rc = -1;
    memset(tasks, 0, a->nnodes * sizeof(*tasks));
    if (!order)
        return -1;
    for (size_t i = 0; i < a->nnodes; i++) {
        if (wanted(r, i) && avoided(r, i))
            goto out;
        nwant += wanted(r, i);
    }
    norder = node_order(a->nnodes, r, order);
    uint32_t N = r->nnodes;
    if (!N && !r->ntasks)
        N = (uint32_t)(nwant ? nwant : norder);
    uint32_t n = r->ntasks ? r->ntasks : N * (r->ntasks_per_node ? r->ntasks_per_node : 1);
    if (!n || n < nwant || (N && (N < nwant || N > norder)))
        goto out;
    if (N > n)
        N = n;     /* Slurm: "can't run 1 processes on 2 nodes, setting nnodes to 1" */
    rc = N ? place_even(a->nnodes, r, k, n, N, order, norder, tasks)
           : place_fill(r, k, n, order, norder, tasks);
out:
    if (rc < 0)
        memset(tasks, 0, a->nnodes * sizeof(*tasks));
    free(order);
    return rc;
}

enum steplace_rc steplace(const struct steplace_alloc *a, const struct steplace_req *r,
                          uint32_t *tasks, const char **why)
{
    size_t n = a->nnodes + 1;
    uint32_t *fc = malloc(n * sizeof(*fc));
    uint64_t *wm = malloc(n * sizeof(*wm)), *fm = malloc(n * sizeof(*fm));
    enum steplace_rc rc = STEPLACE_NEVER;
    if (!fc || !wm || !fm)
        goto out;
    for (size_t i = 0; i < a->nnodes; i++) {
        uint32_t uc = a->used_cpus && !r->overlap ? a->used_cpus[i] : 0;
        uint64_t um = a->used_mem && !r->overlap ? a->used_mem[i] : 0;
        uint64_t m = a->mem_mb ? a->mem_mb[i] : 0;
        fc[i] = uc < a->cpus[i] ? a->cpus[i] - uc : 0;
        /* Memory is counted only where the job holds some. */
        wm[i] = m ? m : UINT64_MAX;
        fm[i] = !m ? UINT64_MAX : um < m ? m - um : 0;
    }
    struct caps whole = { a->cpus, wm }, now = { fc, fm };
    if (place_try(a, r, &whole, tasks) < 0)
        rc = STEPLACE_NEVER;
    else if (place_try(a, r, &now, tasks) < 0)
        rc = STEPLACE_BUSY;
    else
        rc = STEPLACE_OK;
out:
    free(fc);
    free(wm);
    free(fm);
    if (rc != STEPLACE_OK && why)
        *why = rc == STEPLACE_BUSY ? MSG_BUSY : MSG_NEVER;
    return rc;
}
