/* task.c: TaskPlugin= loaded and called in order (task.h). */
#include "task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "plugin.h"
#include "task_api.h"

#define TASK_MAX_PLUGINS 4

struct task_plugin {
    sl_plugin_handle_t *h;
    const struct task_ops *ops;
    void *ctx;
    char name[32];
};

struct task {
    struct task_plugin p[TASK_MAX_PLUGINS];
    size_t n;
    int has_cgroup;     /* task/cgroup: memory is the kernel's to enforce */
    struct task_conf conf;
};

static void task_log(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    switch (level) {
    case TASK_LOG_ERROR: log_error("%s", msg); break;
    case TASK_LOG_WARN: log_warn("%s", msg); break;
    case TASK_LOG_INFO: log_info("%s", msg); break;
    default: log_debug("%s", msg); break;
    }
}

static int task_add(task_t *t, const conf_t *conf, const char *spec, sl_error_t *e)
{
    struct task_plugin *p = &t->p[t->n];

    if (strcmp(spec, "task/affinity") != 0 && strcmp(spec, "task/cgroup") != 0)
        return sl_errprintf(e, "TaskPlugin: unknown plugin '%s' (task/affinity, task/cgroup "
                               "or task/none)", spec);
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(spec, t->p[i].name))
            return sl_errprintf(e, "TaskPlugin: '%s' is named twice", spec);
    snprintf(p->name, sizeof(p->name), "%s", spec);
    if (!(p->h = plugin_load(conf->plugin_dir, spec, "task", e)))
        return -1;
    p->ops = plugin_ops(p->h);
    p->ctx = p->ops->init(&t->conf, e);
    if (!p->ctx) {
        sl_error_t inner = *e;
        plugin_unload(p->h);
        p->h = NULL;
        return sl_errprintf(e, "TaskPlugin=%s cannot work on node %s: %s", spec,
                            t->conf.node_name, inner.text);
    }
    t->n++;
    if (!strcmp(spec, "task/cgroup"))
        t->has_cgroup = 1;
    return 0;
}

static int task_load_list(task_t *t, const conf_t *conf, sl_error_t *e)
{
    char *copy = strdup(conf->task_plugin ? conf->task_plugin : "task/affinity");
    char *save = NULL;
    int rc = 0;

    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *w = strtok_r(copy, ",", &save); w && rc == 0; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "task/none"))
            continue;
        if (t->n == TASK_MAX_PLUGINS)
            rc = sl_errprintf(e, "TaskPlugin: more than %d plugins", TASK_MAX_PLUGINS);
        else
            rc = task_add(t, conf, w, e);
    }
    free(copy);
    return rc;
}

task_t *task_create(const conf_t *conf, const char *node_name, const topo_t *topo,
                    sl_error_t *e)
{
    task_t *t = calloc(1, sizeof(*t));

    if (!t) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    t->conf = (struct task_conf){ node_name, topo, conf->cgroup_mountpoint,
                                  conf->constrain_cores, conf->constrain_ram,
                                  conf->constrain_swap, conf->allowed_swap,
                                  conf->constrain_devices, conf->cgroup_favor_dynmods,
                                  task_log };
    if (task_load_list(t, conf, e) < 0) {
        task_destroy(t);
        return NULL;
    }
    if (!t->has_cgroup)
        log_info("node %s: no task/cgroup (TaskPlugin=%s): a job's memory limit is enforced "
                 "by polling its processes' RSS every second and killing it on excess "
                 "(OUT_OF_MEMORY); its processes are tracked by session and subreaper",
                 node_name, conf->task_plugin);
    return t;
}

void task_destroy(task_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        t->p[i].ops->fini(t->p[i].ctx);
        plugin_unload(t->p[i].h);
    }
    free(t);
}

int task_prepare(task_t *t, json_t *rec, sl_error_t *e)
{
    json_int_t mem = json_integer_value(json_object_get(rec, "mem_mb"));
    json_t *ids = json_object_get(rec, "cpu_ids"), *gpus = json_object_get(rec, "gpus");
    size_t node = (size_t)json_integer_value(json_object_get(rec, "node_id"));

    /* A step's grant holds every node's CPUs and GPUs: this node's are at
     * node_id (a batch job's record holds only its node's). */
    if (json_is_array(ids))
        json_object_set(rec, "cpu_ids", json_array_get(ids, node));
    if (json_is_array(json_array_get(gpus, 0))) {
        json_t *mine = json_array_get(gpus, node);
        json_object_set_new(rec, "gpus", json_is_array(mine) ? json_incref(mine) : json_array());
    }
    /* A step's grant does not say whether the node has GPUs; the node knows
     * (a job without GPUs on a GPU node must see none). */
    if (!json_object_get(rec, "node_gpus") && t && t->conf.topo)
        json_object_set_new(rec, "node_gpus", json_integer(t->conf.topo->ngpus));

    for (size_t i = 0; t && i < t->n; i++) {
        if (t->p[i].ops->prepare(t->p[i].ctx, rec, e) < 0)
            return -1;
    }
    if ((!t || !t->has_cgroup) && mem > 0 && !json_object_get(rec, "step_id"))
        json_object_set_new(rec, "mem_poll_mb", json_integer(mem));
    return 0;
}

void task_end(task_t *t, uint64_t job_id, int64_t step_id, json_t *result)
{
    for (size_t i = 0; t && i < t->n; i++) {
        const struct task_ops *o = t->p[i].ops;
        if (o->kill(t->p[i].ctx, job_id, step_id) < 0)
            log_error("job %llu: processes of the job survive SIGKILL in its cgroup",
                      (unsigned long long)job_id);
        o->end(t->p[i].ctx, job_id, step_id, result);
    }
}

void task_recover(task_t *t, const uint64_t *job_ids, size_t n)
{
    for (size_t i = 0; t && i < t->n; i++)
        t->p[i].ops->recover(t->p[i].ctx, job_ids, n);
}
