#include "launch.h"

#include <stdlib.h>
#include <string.h>
#include "usage.h"

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

/* An optional pattern: absent, null and "" all mean "use the default". */
static const char *pattern(json_t *o, const char *key)
{
    const char *s = str_or(o, key, NULL);
    return (s && *s) ? s : NULL;
}

static int64_t int_or(json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static int require_int(json_t *o, const char *key, int64_t min, int64_t *out,
                       sl_error_t *e)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return sl_errprintf(e, "launch record: '%s' is missing or not an integer >= %lld",
                            key, (long long)min);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int require_str(json_t *o, const char *key, const char **out, sl_error_t *e)
{
    const char *s = str_or(o, key, NULL);
    if (!s || !*s)
        return sl_errprintf(e, "launch record: '%s' is missing or empty", key);
    *out = s;
    return 0;
}

static int launch_check_lists(struct launch *l, sl_error_t *e)
{
    size_t i;
    json_t *v;
    const char *k;

    json_array_foreach(l->argv, i, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "launch record: argv[%zu] is not a string", i);
    }
    json_object_foreach(l->env, k, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "launch record: env['%s'] is not a string", k);
    }
    return 0;
}

/* sluiced resolves the user's groups (see src/noded/account.h). */
static int launch_groups(struct launch *l, json_t *o, sl_error_t *e)
{
    json_t *arr = json_object_get(o, "groups"), *v;
    size_t i;

    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return sl_errprintf(e, "launch record: 'groups' is not an array");
    l->groups = calloc(json_array_size(arr) + 1, sizeof(*l->groups));
    if (!l->groups)
        return sl_errprintf(e, "out of memory");
    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return sl_errprintf(e, "launch record: groups[%zu] is not a group id", i);
        l->groups[i] = (gid_t)json_integer_value(v);
    }
    l->ngroups = json_array_size(arr);
    return 0;
}

static int launch_fill(struct launch *l, json_t *o, sl_error_t *e)
{
    int64_t id, uid, gid;

    if (require_int(o, "job_id", 1, &id, e) < 0 || require_int(o, "uid", 0, &uid, e) < 0 ||
        require_int(o, "gid", 0, &gid, e) < 0 || require_str(o, "user", &l->user, e) < 0 ||
        require_str(o, "cwd", &l->cwd, e) < 0)
        return -1;
    l->alloc_only = json_is_true(json_object_get(o, "alloc_only"));
    if (!l->alloc_only && require_str(o, "script", &l->script, e) < 0)
        return -1;
    l->step_id = -1;
    l->job_id = (uint64_t)id;
    l->uid = (uid_t)uid;
    l->gid = (gid_t)gid;
    l->home = str_or(o, "home", NULL);
    l->shell = str_or(o, "shell", NULL);
    if (launch_groups(l, o, e) < 0)
        return -1;
    l->attempt = int_or(o, "attempt", 0);
    l->name = str_or(o, "name", "script");
    l->argv = json_object_get(o, "argv");
    l->env = json_object_get(o, "env");
    if ((l->argv && !json_is_array(l->argv)) || (l->env && !json_is_object(l->env)))
        return sl_errprintf(e, "launch record: 'argv' must be an array and 'env' an object");
    l->stdout_pat = pattern(o, "stdout");
    l->stderr_pat = pattern(o, "stderr");
    l->stdin_pat = pattern(o, "stdin");
    l->append = strcmp(str_or(o, "open_mode", "truncate"), "append") == 0;
    l->partition = str_or(o, "partition", "");
    l->queue = str_or(o, "queue", l->partition);
    l->account = str_or(o, "account", "");
    l->cluster = str_or(o, "cluster", "");
    l->nodes = str_or(o, "nodes", "");
    l->node_name = str_or(o, "node_name", "");
    l->node_index = int_or(o, "node_index", 0);
    l->num_nodes = int_or(o, "num_nodes", 1);
    l->ntasks = int_or(o, "ntasks", 1);
    l->cpus_per_task = int_or(o, "cpus_per_task", 1);
    l->cpus_on_node = int_or(o, "cpus_on_node", l->ntasks * l->cpus_per_task);
    l->cpus_per_node = str_or(o, "cpus_per_node", "");
    l->mem_mb = int_or(o, "mem_mb", 0);
    l->mem_per_cpu_mb = int_or(o, "mem_per_cpu_mb", 0);
    l->ntasks_per_node = int_or(o, "ntasks_per_node", 0);
    l->qos = str_or(o, "qos", "");
    l->reservation = str_or(o, "reservation", "");
    l->mem_poll_mb = int_or(o, "mem_poll_mb", 0);
    l->time_limit = int_or(o, "time_limit", -1);
    l->kill_wait = int_or(o, "kill_wait", 30);
    l->submit_dir = str_or(o, "submit_dir", l->cwd);
    l->submit_host = str_or(o, "submit_host", "");
    l->start_time = int_or(o, "start_time", 0);
    l->array_job_id = int_or(o, "array_job_id", 0);
    l->array_task_id = int_or(o, "array_task_id", -1);
    l->array_task_count = int_or(o, "array_task_count", 1);
    l->array_task_min = int_or(o, "array_task_min", l->array_task_id);
    l->array_task_max = int_or(o, "array_task_max", l->array_task_id);
    l->array_task_step = int_or(o, "array_task_step", 1);
    l->warn_signal = int_or(o, "warn_signal", 0);
    l->warn_time = int_or(o, "warn_time", 60);
    l->warn_batch_only = json_is_true(json_object_get(o, "warn_batch_only"));
    l->lease_file = str_or(o, "lease_file", NULL);
    l->acct_freq = int_or(o, "acct_freq", USAGE_DEFAULT_PERIOD);
    if (l->warn_signal < 0 || l->warn_signal >= 65)
        return sl_errprintf(e, "launch record: warn_signal %lld is not a signal",
                            (long long)l->warn_signal);
    if (l->kill_wait < 0)
        l->kill_wait = 0;
    return launch_check_lists(l, e);
}

struct launch *launch_load(const char *path, sl_error_t *e)
{
    json_error_t je;
    struct launch *l;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

    if (!o) {
        sl_errprintf(e, "cannot read launch record %s: %s (line %d)", path, je.text, je.line);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        sl_errprintf(e, "launch record %s is not a JSON object", path);
        return NULL;
    }
    l = calloc(1, sizeof(*l));
    if (!l) {
        json_decref(o);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    l->root = o;
    if (launch_fill(l, o, e) < 0) {
        launch_destroy(l);
        return NULL;
    }
    return l;
}

void launch_destroy(struct launch *l)
{
    if (!l)
        return;
    json_decref(l->root);
    free(l->groups);
    free(l);
}
