/* ops_update_res.c: the resource and text fields of scontrol update JobId=
 * (NumNodes, NumTasks, MinMemoryNode, MinMemoryCPU, CPUs/task, Features,
 * Comment, Nice).  Resources change only while the job is pending, and the
 * result must still fit its partition (sched_validate), as at submit. */
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "featexpr.h"

/* What a resource update may change, saved to undo a refused one. */
struct res_saved {
    uint32_t nodes_min, nodes_max, ntasks, cpus_per_task;
    uint64_t mem_mb, mem_per_cpu_mb;
    int mem_all;
    char *constraint;
};

static void res_save(const struct job *j, struct res_saved *s)
{
    *s = (struct res_saved){ j->nodes_min, j->nodes_max, j->ntasks, j->cpus_per_task,
                             j->mem_mb, j->mem_per_cpu_mb, j->mem_all,
                             j->constraint ? strdup(j->constraint) : NULL };
}

static void res_restore(struct job *j, struct res_saved *s)
{
    j->nodes_min = s->nodes_min;
    j->nodes_max = s->nodes_max;
    j->ntasks = s->ntasks;
    j->cpus_per_task = s->cpus_per_task;
    j->mem_mb = s->mem_mb;
    j->mem_per_cpu_mb = s->mem_per_cpu_mb;
    j->mem_all = s->mem_all;
    job_set_str(&j->constraint, s->constraint);
}

static int64_t int_of(json_t *q, const char *key)
{
    return json_integer_value(json_object_get(q, key));
}

/* Apply the request's resource fields to j; they were range-checked by the
 * operation's field table. */
static void res_apply(struct job *j, json_t *q)
{
    if (json_object_get(q, "nodes_min")) {
        j->nodes_min = (uint32_t)int_of(q, "nodes_min");
        j->nodes_max = json_object_get(q, "nodes_max") ? (uint32_t)int_of(q, "nodes_max")
                                                       : j->nodes_min;
    }
    if (json_object_get(q, "ntasks"))
        j->ntasks = (uint32_t)int_of(q, "ntasks");
    if (json_object_get(q, "cpus_per_task"))
        j->cpus_per_task = (uint32_t)int_of(q, "cpus_per_task");
    if (json_object_get(q, "mem_mb")) {   /* --mem and --mem-per-cpu exclude each other */
        j->mem_mb = (uint64_t)int_of(q, "mem_mb");
        j->mem_all = j->mem_mb == 0;
        j->mem_per_cpu_mb = 0;
    }
    if (json_object_get(q, "mem_per_cpu_mb")) {
        j->mem_per_cpu_mb = (uint64_t)int_of(q, "mem_per_cpu_mb");
        j->mem_mb = 0;
        j->mem_all = 0;
    }
    if (json_object_get(q, "constraint")) {
        const char *f = json_string_value(json_object_get(q, "constraint"));
        job_set_str(&j->constraint, f && *f ? f : NULL);
    }
}

static int res_requested(json_t *q)
{
    static const char *const keys[] = { "nodes_min", "ntasks", "cpus_per_task", "mem_mb",
                                        "mem_per_cpu_mb", "constraint" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_get(q, keys[i]))
            return 1;
    return 0;
}

int job_update_res(struct ctld *c, struct job *j, json_t *q, int admin, sl_error_t *e)
{
    json_t *nice = json_object_get(q, "nice"), *comment = json_object_get(q, "comment");
    const char *f = json_string_value(json_object_get(q, "constraint"));
    struct res_saved saved;
    const struct conf_partition *p;
    int rc = 0;
    if (res_requested(q) && !job_is_pending(j))
        return sl_errprintf(e, "Job %u is no longer pending: its resources cannot change", j->id);
    if (nice && json_integer_value(nice) < 0 && !admin)
        return sl_errprintf(e, "Access/permission denied: only an administrator can set a "
                               "negative nice value");
    if (json_object_get(q, "nodes_max") && int_of(q, "nodes_max") < int_of(q, "nodes_min"))
        return sl_errprintf(e, "Invalid NumNodes: the maximum is below the minimum");
    if (f && *f && featexpr_check(f, e) < 0)
        return -1;
    if (res_requested(q)) {
        res_save(j, &saved);
        res_apply(j, q);
        p = conf_part_find(c->conf, j->partition);
        if (p && (rc = sched_validate(c, j, p, e)) < 0)
            res_restore(j, &saved);
        free(saved.constraint);
        if (rc < 0)
            return -1;
    }
    if (nice)
        j->nice = (int32_t)json_integer_value(nice);
    if (comment) {
        const char *s = json_string_value(comment);
        job_set_str(&j->comment, s && *s ? s : NULL);
    }
    return 0;
}
