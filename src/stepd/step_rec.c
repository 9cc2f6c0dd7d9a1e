#include "step_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "usage.h"

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

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

static int need_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
                    sl_error_t *e)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return sl_errprintf(e, "step launch record: '%s' is missing or not an integer in "
                               "%lld..%lld", key, (long long)min, (long long)max);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int need_str(json_t *o, const char *key, const char **out, sl_error_t *e)
{
    *out = str_or(o, key, NULL);
    if (!*out || !**out)
        return sl_errprintf(e, "step launch record: '%s' is missing or empty", key);
    return 0;
}

static int rec_groups(struct step_rec *r, sl_error_t *e)
{
    json_t *arr = json_object_get(r->root, "groups"), *v;
    size_t i;

    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return sl_errprintf(e, "step launch record: 'groups' is not an array");
    r->groups = calloc(json_array_size(arr) + 1, sizeof(*r->groups));
    if (!r->groups)
        return sl_errprintf(e, "out of memory");
    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return sl_errprintf(e, "step launch record: groups[%zu] is not a group id", i);
        r->groups[i] = (gid_t)json_integer_value(v);
    }
    r->ngroups = json_array_size(arr);
    return 0;
}

static int rec_nodes(struct step_rec *r, sl_error_t *e)
{
    json_t *names = json_object_get(r->root, "node_names");
    json_t *tpn = json_object_get(r->root, "tasks_per_node");
    size_t n = json_array_size(names);
    uint32_t sum = 0;

    if (!json_is_array(names) || !json_is_array(tpn) || n == 0 || n != json_array_size(tpn))
        return sl_errprintf(e, "step launch record: node_names and tasks_per_node must be "
                               "arrays of the same length");
    r->num_nodes = (uint32_t)n;
    r->node_names = calloc(n, sizeof(*r->node_names));
    r->tasks_per_node = calloc(n, sizeof(*r->tasks_per_node));
    if (!r->node_names || !r->tasks_per_node)
        return sl_errprintf(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(tpn, i);
        r->node_names[i] = json_string_value(json_array_get(names, i));
        if (!r->node_names[i] || !json_is_integer(c) || json_integer_value(c) < 1 ||
            json_integer_value(c) > 1000000)
            return sl_errprintf(e, "step launch record: node %zu has no name or task count", i);
        r->tasks_per_node[i] = (uint32_t)json_integer_value(c);
        if (i < r->node_id)
            r->first_rank += r->tasks_per_node[i];
        sum += r->tasks_per_node[i];
    }
    if (r->node_id >= n)
        return sl_errprintf(e, "step launch record: node_id %u is not in node_names",
                            r->node_id);
    r->nlocal = r->tasks_per_node[r->node_id];
    if (sum != r->ntasks)
        return sl_errprintf(e, "step launch record: tasks_per_node adds up to %u, not %u",
                            sum, r->ntasks);
    return 0;
}

/* A heterogeneous step's whole layout (het_nodes, het_tasks_per_node): it
 * must hold this component's nodes, with their task counts, at
 * het_node_offset, and add up to het_ntasks. */
static int rec_het_layout(struct step_rec *r, sl_error_t *e)
{
    json_t *names = json_object_get(r->root, "het_nodes");
    json_t *tpn = json_object_get(r->root, "het_tasks_per_node");
    size_t n = json_array_size(names);
    uint64_t sum = 0;
    if (!names && !tpn)
        return 0;
    r->het_node_offset = (uint32_t)int_or(r->root, "het_node_offset", 0);
    r->het_job_id = (uint64_t)int_or(r->root, "het_job_id", (int64_t)r->job_id);
    r->het_step_id = (uint32_t)int_or(r->root, "het_step_id", r->step_id);
    if (!r->het_size || !json_is_array(names) || !json_is_array(tpn) ||
        n != json_array_size(tpn) || r->het_node_offset + r->num_nodes > n)
        return sl_errprintf(e, "step launch record: het_nodes and het_tasks_per_node must be "
                               "arrays of the same length, holding this step's nodes");
    r->het_node_names = calloc(n, sizeof(*r->het_node_names));
    r->het_tasks_per_node = calloc(n, sizeof(*r->het_tasks_per_node));
    if (!r->het_node_names || !r->het_tasks_per_node)
        return sl_errprintf(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(tpn, i);
        r->het_node_names[i] = json_string_value(json_array_get(names, i));
        if (!r->het_node_names[i] || !json_is_integer(c) || json_integer_value(c) < 1 ||
            json_integer_value(c) > 1000000)
            return sl_errprintf(e, "step launch record: het node %zu has no name or task "
                                   "count", i);
        r->het_tasks_per_node[i] = (uint32_t)json_integer_value(c);
        sum += r->het_tasks_per_node[i];
    }
    for (uint32_t i = 0; i < r->num_nodes; i++)
        if (strcmp(r->het_node_names[r->het_node_offset + i], r->node_names[i]) ||
            r->het_tasks_per_node[r->het_node_offset + i] != r->tasks_per_node[i])
            return sl_errprintf(e, "step launch record: het_nodes does not hold node %s at "
                                   "%u", r->node_names[i], r->het_node_offset + i);
    if (sum != r->het_ntasks)
        return sl_errprintf(e, "step launch record: het_tasks_per_node adds up to %llu, not "
                               "het_ntasks %u", (unsigned long long)sum, r->het_ntasks);
    r->het_num_nodes = (uint32_t)n;
    return 0;
}

static int rec_lists(struct step_rec *r, sl_error_t *e)
{
    size_t i;
    json_t *v;
    const char *k;

    if (!json_is_array(r->argv))
        return sl_errprintf(e, "step launch record: 'argv' is not an array");
    json_array_foreach(r->argv, i, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "step launch record: argv[%zu] is not a string", i);
    }
    if (r->env && !json_is_object(r->env))
        return sl_errprintf(e, "step launch record: 'env' is not an object");
    json_object_foreach(r->env, k, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "step launch record: env['%s'] is not a string", k);
    }
    if (json_array_size(r->argv) == 0 && !r->multi_prog)
        return sl_errprintf(e, "step launch record: no command (argv is empty)");
    return 0;
}

static int rec_fill(struct step_rec *r, sl_error_t *e)
{
    json_t *o = r->root;
    int64_t job, step, uid, gid, node_id, ntasks, port;

    if (need_int(o, "job_id", 1, INT64_MAX, &job, e) < 0 ||
        need_int(o, "step_id", 0, UINT32_MAX - 1, &step, e) < 0 ||
        need_int(o, "uid", 0, UINT32_MAX - 1, &uid, e) < 0 ||
        need_int(o, "gid", 0, UINT32_MAX - 1, &gid, e) < 0 ||
        need_int(o, "node_id", 0, UINT32_MAX - 1, &node_id, e) < 0 ||
        need_int(o, "ntasks", 1, 100000000, &ntasks, e) < 0 ||
        need_int(o, "io_port", 1, 65535, &port, e) < 0 || need_str(o, "user", &r->user, e) < 0 ||
        need_str(o, "cwd", &r->cwd, e) < 0 || need_str(o, "io_host", &r->io_host, e) < 0 ||
        need_str(o, "io_key", &r->io_key, e) < 0 ||
        need_str(o, "node_name", &r->node_name, e) < 0 ||
        need_str(o, "step_dir", &r->step_dir, e) < 0)
        return -1;
    r->job_id = (uint64_t)job;
    r->step_id = (uint32_t)step;
    r->uid = (uid_t)uid;
    r->gid = (gid_t)gid;
    r->node_id = (uint32_t)node_id;
    r->ntasks = (uint32_t)ntasks;
    r->io_port = (int)port;
    r->home = str_or(o, "home", NULL);
    r->shell = str_or(o, "shell", NULL);
    r->cpus_per_task = int_or(o, "cpus_per_task", 1);
    r->mem_mb = int_or(o, "mem_mb", 0);
    r->time_limit = int_or(o, "time_limit", -1);
    r->kill_wait = int_or(o, "kill_wait", 30);
    if (r->kill_wait < 0)
        r->kill_wait = 0;
    r->mpi = str_or(o, "mpi", "");
    r->name = str_or(o, "name", "");
    r->job_name = str_or(o, "job_name", r->name);
    r->job_nodes = str_or(o, "job_nodes", "");
    r->job_cpus_per_node = str_or(o, "job_cpus_per_node", "");
    r->partition = str_or(o, "partition", "");
    r->account = str_or(o, "account", "");
    r->cluster = str_or(o, "cluster", "");
    r->job_num_nodes = int_or(o, "job_num_nodes", 0);
    r->argv = json_object_get(o, "argv");
    r->env = json_object_get(o, "env");
    r->stdin_task = int_or(o, "stdin_task", 0);
    r->label = json_is_true(json_object_get(o, "label"));
    r->unbuffered = json_is_true(json_object_get(o, "unbuffered"));
    r->stdout_pat = pattern(o, "stdout");
    r->stderr_pat = pattern(o, "stderr");
    r->stdin_pat = pattern(o, "stdin");
    r->multi_prog = pattern(o, "multi_prog");
    r->lease_file = pattern(o, "lease_file");
    r->acct_freq = int_or(o, "acct_freq", USAGE_DEFAULT_PERIOD);
    r->plugin_dir = str_or(o, "plugin_dir", "");
    r->het_size = (uint32_t)int_or(o, "het_size", 0);
    r->het_offset = (uint32_t)int_or(o, "het_task_offset", 0);
    r->het_ntasks = (uint32_t)int_or(o, "het_ntasks", 0);
    if (r->het_size && r->het_ntasks < r->het_offset + ntasks)
        return sl_errprintf(e, "step launch record: het_ntasks %u is below het_task_offset "
                               "%u plus the step's %lld tasks", r->het_ntasks, r->het_offset,
                            (long long)ntasks);
    if (r->stdin_task < STEP_STDIN_NONE)
        return sl_errprintf(e, "step launch record: stdin_task %lld is not a task, -1 or -2",
                            (long long)r->stdin_task);
    if (rec_groups(r, e) < 0 || rec_nodes(r, e) < 0 || rec_het_layout(r, e) < 0)
        return -1;
    return rec_lists(r, e);
}

struct step_rec *step_rec_load(const char *path, sl_error_t *e)
{
    json_error_t je;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    struct step_rec *r;

    if (!o) {
        sl_errprintf(e, "cannot read step launch record %s: %s (line %d)", path, je.text,
                     je.line);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        json_decref(o);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    r->root = o;
    if (!json_is_object(o)) {
        step_rec_destroy(r);
        sl_errprintf(e, "step launch record %s is not a JSON object", path);
        return NULL;
    }
    if (rec_fill(r, e) < 0) {
        step_rec_destroy(r);
        return NULL;
    }
    return r;
}

void step_rec_destroy(struct step_rec *r)
{
    if (!r)
        return;
    json_decref(r->root);
    free(r->groups);
    free(r->node_names);
    free(r->tasks_per_node);
    free(r->het_node_names);
    free(r->het_tasks_per_node);
    free(r);
}

char *step_rec_tasks_per_node(const struct step_rec *r)
{
    size_t cap = 32 * (size_t)r->num_nodes + 1, off = 0;
    char *buf = malloc(cap);

    if (!buf)
        abort();
    buf[0] = '\0';
    for (uint32_t i = 0; i < r->num_nodes;) {
        uint32_t j = i;
        while (j + 1 < r->num_nodes && r->tasks_per_node[j + 1] == r->tasks_per_node[i])
            j++;
        off += (size_t)snprintf(buf + off, cap - off, "%s%u", off ? "," : "",
                                r->tasks_per_node[i]);
        if (j > i)
            off += (size_t)snprintf(buf + off, cap - off, "(x%u)", j - i + 1);
        i = j + 1;
    }
    return buf;
}
