/* sinfo_json.c: sinfo --json in the shape of Slurm 22.05's (openapi
 * v0.0.38's node dump): {"meta": ..., "errors": [], "nodes": [...]}, each
 * node with the keys Slurm gives that have a value here, and Sluice's own
 * extras under "sluice". */
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "sinfo.h"

/* Slurm keeps DRAIN, COMPLETING and NOT_RESPONDING as flags beside a base
 * state (idle, allocated, mixed, down, unknown). */
static const char *base_state(const json_t *n, json_t *flags)
{
    const char *s = cmd_str(n, "state");
    int64_t cpus = cmd_int(n, "cpus"), alloc = cmd_int(n, "alloc_cpus");
    const char *busy = alloc <= 0 ? "idle" : alloc < cpus ? "mixed" : "allocated";
    if (json_is_false(json_object_get(n, "responding")))
        json_array_append_new(flags, json_string("NOT_RESPONDING"));
    if (!strcasecmp(s, "DRAINED") || !strcasecmp(s, "DRAINING")) {
        json_array_append_new(flags, json_string("DRAIN"));
        return busy;
    }
    if (!strcasecmp(s, "COMPLETING")) {
        json_array_append_new(flags, json_string("COMPLETING"));
        return busy;
    }
    if (!strcasecmp(s, "IDLE") || !strcasecmp(s, "ALLOCATED") || !strcasecmp(s, "MIXED"))
        return busy;
    return !strcasecmp(s, "DOWN") ? "down" : "unknown";
}

/* Slurm's cpu_load (x100) and free_memory, when the node reported them. */
static void load_json(json_t *out, const json_t *n)
{
    json_t *load = json_object_get(n, "cpu_load"), *mem = json_object_get(n, "free_mem_mb");
    if (json_is_integer(load))
        json_object_set(out, "cpu_load", load);
    if (json_is_integer(mem))
        json_object_set(out, "free_memory", mem);
}

static json_t *node_json(const json_t *n)
{
    json_t *flags = json_array();
    const char *state = base_state(n, flags);
    int64_t cpus = cmd_int(n, "cpus"), alloc = cmd_int(n, "alloc_cpus");
    char user[64];
    cmd_user_value(json_object_get(n, "reason_user"), user, sizeof(user));
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                     " s:I, s:s, s:s, s:O, s:s, s:I, s:s, s:I, s:I, s:{s:s, s:I, s:I}}",
                     "name", cmd_str(n, "name"), "hostname", cmd_str(n, "hostname"),
                     "address", cmd_str(n, "hostname"), "port", cmd_int(n, "port"),
                     "state", state, "state_flags", flags, "cpus", cpus,
                     "sockets", cmd_int(n, "sockets"), "cores", cmd_int(n, "cores_per_socket"),
                     "threads", cmd_int(n, "threads_per_core"),
                     "real_memory", cmd_int(n, "memory_mb"),
                     "alloc_memory", cmd_int(n, "alloc_mem_mb"), "alloc_cpus", alloc,
                     "idle_cpus", cpus > alloc ? cpus - alloc : 0,
                     "features", cmd_str(n, "features"),
                     "active_features", cmd_str(n, "features"),
                     "partitions", json_object_get(n, "partitions"),
                     "reason", cmd_str(n, "reason"),
                     "reason_changed_at", cmd_int(n, "reason_time"),
                     "reason_set_by_user", json_object_get(n, "reason_user") ? user : "",
                     "boot_time", cmd_int(n, "boot_time"),
                     "slurmd_start_time", cmd_int(n, "boot_time"),
                     "sluice", "state", cmd_str(n, "state"), "jobs", cmd_int(n, "jobs"),
                     "last_seen", cmd_int(n, "last_seen"));
}

static int wanted(const json_t *n, const json_t *parts, const hostlist_t *sel)
{
    json_t *p;
    size_t i;
    if (sel && hostlist_find(sel, cmd_str(n, "name")) < 0)
        return 0;
    if (!parts)
        return 1;
    json_array_foreach(json_object_get(n, "partitions"), i, p)
        if (sinfo_name_in(parts, json_string_value(p)))
            return 1;
    return 0;
}

int sinfo_json(const json_t *nodes, const json_t *parts, const hostlist_t *sel)
{
    json_t *out = json_array(), *n, *doc;
    size_t i;
    json_array_foreach(nodes, i, n)
        if (wanted(n, parts, sel)) {
            json_t *rec = node_json(n);
            load_json(rec, n);
            json_array_append_new(out, rec);
        }
    doc = json_pack("{s:o, s:[], s:o}", "meta", cmd_json_meta(), "errors", "nodes", out);
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    putchar('\n');
    json_decref(doc);
    return 0;
}
