/* task/affinity: binds each task to its share of the job's CPUs on this
 * node.  The record's "cpu_ids" (the controller's choice, OS indexes), its
 * "cpu_bind" and "distribution" and the node's topology give each local
 * task's CPUs (src/common/cpubind.h); they go to the stepd as "task_cpus",
 * which applies them with sched_setaffinity, limited to CPUs that exist on
 * this host (a fixture topology may have more).  No "cpu_ids": unbound. */
#include <stdlib.h>
#include <string.h>
#include "cpubind.h"
#include "plugin.h"
#include "task_api.h"

struct affinity {
    struct task_conf conf;
};

static void *aff_init(const struct task_conf *c, sl_error_t *e)
{
    struct affinity *a = calloc(1, sizeof(*a));

    if (!a) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    a->conf = *c;
    c->log(TASK_LOG_INFO, "task/affinity: node %s: tasks are bound to the CPUs their job "
                          "holds (sched_setaffinity)", c->node_name);
    return a;
}

static void aff_fini(void *ctx)
{
    free(ctx);
}

static json_int_t int_or(const json_t *rec, const char *key, json_int_t dflt)
{
    json_t *v = json_object_get(rec, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* A step: this node's tasks are tasks_per_node[node_id], the first one's
 * rank the sum of those before. */
static void step_tasks(const json_t *rec, struct cpubind_req *r)
{
    json_t *tpn = json_object_get(rec, "tasks_per_node");
    json_int_t node = int_or(rec, "node_id", 0);

    r->ntasks = 1;
    for (json_int_t i = 0; i < (json_int_t)json_array_size(tpn); i++) {
        json_int_t n = json_integer_value(json_array_get(tpn, (size_t)i));
        if (i < node)
            r->first_task += (uint32_t)n;
        else if (i == node)
            r->ntasks = (uint32_t)n;
    }
}

static int aff_prepare(void *ctx, json_t *rec, sl_error_t *e)
{
    struct affinity *a = ctx;
    struct cpubind_req r = {
        .topo = a->conf.topo,
        .cpu_ids = json_string_value(json_object_get(rec, "cpu_ids")),
        .cpu_bind = json_string_value(json_object_get(rec, "cpu_bind")),
        .distribution = json_string_value(json_object_get(rec, "distribution")),
        .cpus_per_task = (uint32_t)int_or(rec, "cpus_per_task", 1),
    };
    struct cpubind_plan p;
    json_t *list;

    if (!r.cpu_ids || !*r.cpu_ids)
        return 0;
    if (json_object_get(rec, "step_id"))
        step_tasks(rec, &r);
    else
        r.whole = 1;          /* the batch script: one task, the whole allocation */
    if (cpubind_plan(&r, &p, e) < 0)
        return -1;
    list = json_array();
    for (uint32_t i = 0; i < p.ntasks; i++) {
        char *s = idset_encode(p.task_os[i]);
        json_array_append_new(list, json_string(s ? s : ""));
        free(s);
    }
    json_object_set_new(rec, "task_cpus", list);
    json_object_set_new(rec, "cpu_bind_kind", json_string(p.kind));
    if (p.verbose)
        json_object_set_new(rec, "cpu_bind_verbose", json_true());
    cpubind_plan_free(&p);
    return 0;
}

static int aff_kill(void *ctx, uint64_t job_id, int64_t step_id)
{
    (void)ctx;
    (void)job_id;
    (void)step_id;
    return 0;
}

static void aff_end(void *ctx, uint64_t job_id, int64_t step_id, json_t *result)
{
    (void)ctx;
    (void)job_id;
    (void)step_id;
    (void)result;
}

static void aff_recover(void *ctx, const uint64_t *ids, size_t n)
{
    (void)ctx;
    (void)ids;
    (void)n;
}

static const struct task_ops ops = { aff_init, aff_fini, aff_prepare, aff_kill, aff_end,
                                     aff_recover };

const struct sl_plugin sluice_plugin = { "task", "affinity", SL_PLUGIN_ABI, &ops };
