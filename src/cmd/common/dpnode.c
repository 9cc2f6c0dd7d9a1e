/* dpnode.c: a node as Slurm 22.05's sinfo --json dumps one (openapi
 * v0.0.38's node dump): see dpjob.h, doc/json.md. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "dpjob.h"
#include "dpjson.h"

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

static void mem_str(int64_t mb, char *buf, size_t len)
{
    if (mb > 0 && mb % 1024 == 0)
        snprintf(buf, len, "%lldG", (long long)(mb / 1024));
    else
        snprintf(buf, len, "%lldM", (long long)mb);
}

/* tres "cpu=4,mem=4000M,billing=4" and tres_used "cpu=1,mem=4000M". */
static void node_tres(const json_t *n, json_t *o)
{
    char m[32], buf[160];
    int64_t cpus = cmd_int(n, "cpus"), gpus = cmd_int(n, "gpus");
    mem_str(cmd_int(n, "memory_mb"), m, sizeof(m));
    int k = snprintf(buf, sizeof(buf), "cpu=%lld,mem=%s,billing=%lld", (long long)cpus, m,
                     (long long)cpus);
    if (gpus > 0 && k > 0 && (size_t)k < sizeof(buf))
        snprintf(buf + k, sizeof(buf) - (size_t)k, ",gres/gpu=%lld", (long long)gpus);
    json_object_set_new(o, "tres", json_string(buf));
    buf[0] = '\0';
    if (cmd_int(n, "alloc_cpus") > 0) {
        mem_str(cmd_int(n, "alloc_mem_mb"), m, sizeof(m));
        snprintf(buf, sizeof(buf), "cpu=%lld,mem=%s", (long long)cmd_int(n, "alloc_cpus"), m);
    }
    json_object_set_new(o, "tres_used", json_string(buf));
    json_object_set_new(o, "tres_weighted", json_real((double)cmd_int(n, "alloc_cpus")));
}

/* Slurm's cpu_load (x100) and free_memory, null until the node reports. */
static void node_load(const json_t *n, json_t *o)
{
    json_t *load = json_object_get(n, "cpu_load"), *mem = json_object_get(n, "free_mem_mb");
    json_object_set(o, "cpu_load", json_is_integer(load) ? load : json_null());
    json_object_set(o, "free_memory", json_is_integer(mem) ? mem : json_null());
}

static void node_reason(const json_t *n, json_t *o)
{
    char user[64];
    int has = *cmd_str(n, "reason") != '\0';
    cmd_user_value(json_object_get(n, "reason_user"), user, sizeof(user));
    json_object_set_new(o, "reason", json_string(cmd_str(n, "reason")));
    json_object_set_new(o, "reason_changed_at", json_integer(has ? cmd_int(n, "reason_time")
                                                                 : 0));
    json_object_set_new(o, "reason_set_by_user", has && *user ? json_string(user) : json_null());
}

json_t *dp_node_info(const json_t *n)
{
    json_t *flags = json_array();
    const char *state = base_state(n, flags);
    int64_t cpus = cmd_int(n, "cpus"), alloc = cmd_int(n, "alloc_cpus");
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s,"
        " s:O, s:I, s:I, s:s, s:s, s:I, s:I, s:I}",
        "name", cmd_str(n, "name"), "hostname", cmd_str(n, "hostname"), "address",
        cmd_str(n, "hostname"), "port", (json_int_t)cmd_int(n, "port"), "state", state,
        "state_flags", flags, "cpus", (json_int_t)cpus, "sockets",
        (json_int_t)cmd_int(n, "sockets"), "cores", (json_int_t)cmd_int(n, "cores_per_socket"),
        "threads", (json_int_t)cmd_int(n, "threads_per_core"), "real_memory",
        (json_int_t)cmd_int(n, "memory_mb"), "alloc_memory",
        (json_int_t)cmd_int(n, "alloc_mem_mb"), "alloc_cpus", (json_int_t)alloc, "idle_cpus",
        (json_int_t)(cpus > alloc ? cpus - alloc : 0), "features", cmd_str(n, "features"),
        "active_features", cmd_str(n, "features"), "partitions",
        json_object_get(n, "partitions") ? json_object_get(n, "partitions") : json_null(),
        "boot_time", (json_int_t)cmd_int(n, "boot_time"), "slurmd_start_time",
        (json_int_t)cmd_int(n, "boot_time"), "gres", cmd_str(n, "gres"), "gres_used",
        cmd_str(n, "gres_used"), "weight", (json_int_t)cmd_int(n, "weight"), "temporary_disk",
        (json_int_t)cmd_int(n, "tmp_disk_mb"), "boards", (json_int_t)1);
    static const char *const empty[] = { "architecture", "burstbuffer_network_address",
                                         "comment", "extra", "mcs_label", "operating_system" };
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        json_object_set_new(o, empty[i], json_string(""));
    json_object_set_new(o, "gres_drained", json_string("N/A"));
    json_object_set_new(o, "next_state_after_reboot", json_string("invalid"));
    json_object_set_new(o, "next_state_after_reboot_flags", json_array());
    json_object_set_new(o, "owner", json_null());
    json_object_set_new(o, "cpu_binding", json_integer(0));
    json_object_set_new(o, "last_busy", json_integer(0));
    json_object_set_new(o, "slurmd_version", json_string(CMD_SLURM_VERSION));
    node_load(n, o);
    node_reason(n, o);
    node_tres(n, o);
    json_object_set_new(o, "sluice", json_pack("{s:s, s:I, s:I, s:I, s:b, s:s}", "state",
                                               cmd_str(n, "state"), "jobs",
                                               (json_int_t)cmd_int(n, "jobs"), "gpus",
                                               (json_int_t)cmd_int(n, "gpus"), "last_seen",
                                               (json_int_t)cmd_int(n, "last_seen"), "cloud",
                                               json_is_true(json_object_get(n, "cloud")),
                                               "power", cmd_str(n, "power")));
    return o;
}
