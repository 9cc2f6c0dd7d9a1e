/* sinfo_fields.c: sinfo's -o letters, as Slurm's. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "parse.h"
#include "sinfo.h"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)
#define PART(r) json_object_get(r, "part")
#define NODE(r) json_object_get(r, "node")
#define NODES(r) json_object_get(r, "nodes")

GET(get_part_star)
{
    const json_t *p = PART(r);
    snprintf(buf, len, "%s%s", p ? cmd_str(p, "name") : "n/a",
             json_is_true(json_object_get(p, "default")) ? "*" : "");
}

GET(get_part) { snprintf(buf, len, "%s", PART(r) ? cmd_str(PART(r), "name") : "n/a"); }

GET(get_avail)
{
    static const char *const names[][2] = {
        { "UP", "up" }, { "DOWN", "down" }, { "DRAIN", "drain" }, { "INACTIVE", "inact" },
        { "DISABLED", "disabled" },   /* an elastic partition's State=DISABLED */
    };
    const char *s = PART(r) ? cmd_str(PART(r), "state") : "";
    snprintf(buf, len, "n/a");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(s, names[i][0]))
            snprintf(buf, len, "%s", names[i][1]);
}

static void duration(const json_t *p, const char *key, char *buf, size_t len)
{
    int64_t t = cmd_int(p, key);
    if (!p)
        snprintf(buf, len, "n/a");
    else if (t < 0)
        snprintf(buf, len, "infinite");
    else
        format_duration(t, buf, len);
}

GET(get_timelimit) { duration(PART(r), "max_time", buf, len); }
GET(get_deftime) { duration(PART(r), "default_time", buf, len); }

/* Elastic partitions: MinvCPUs/DesiredvCPUs/MaxvCPUs; "-" for the others. */
GET(get_vcpus)
{
    const json_t *p = PART(r);
    if (!json_is_true(json_object_get(p, "elastic")))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%lld/%lld/%lld", (long long)cmd_int(p, "min_vcpus"),
                 (long long)cmd_int(p, "desired_vcpus"), (long long)cmd_int(p, "max_vcpus"));
}

GET(get_jobsize)
{
    int64_t max = cmd_int(PART(r), "max_nodes");
    if (max > 0)
        snprintf(buf, len, "1-%lld", (long long)max);
    else
        snprintf(buf, len, "1-infinite");
}

GET(get_count) { snprintf(buf, len, "%zu", json_array_size(NODES(r))); }

GET(get_nodelist)
{
    hostlist_t *hl = hostlist_create();
    json_t *n;
    size_t i;
    char *s;
    json_array_foreach(NODES(r), i, n)
        hostlist_push_host(hl, cmd_str(n, "name"));
    s = hostlist_ranged_string(hl);
    snprintf(buf, len, "%s", s ? s : "");
    free(s);
    hostlist_destroy(hl);
}

static int node_down(const json_t *n)
{
    const char *s = cmd_str(n, "state");
    return !strcmp(s, "DOWN") || !strcmp(s, "DRAINED") || !strcmp(s, "UNKNOWN") ||
           json_is_false(json_object_get(n, "responding"));
}

/* Allocated/idle/other/total CPUs: "other" are those of unusable nodes. */
GET(get_cpus_aiot)
{
    int64_t a = 0, idle = 0, o = 0, t = 0;
    json_t *n;
    size_t i;
    json_array_foreach(NODES(r), i, n) {
        int64_t cpus = cmd_int(n, "cpus"), alloc = cmd_int(n, "alloc_cpus");
        t += cpus;
        a += alloc;
        if (node_down(n))
            o += cpus - alloc;
        else
            idle += cpus - alloc;
    }
    snprintf(buf, len, "%lld/%lld/%lld/%lld", (long long)a, (long long)idle, (long long)o,
             (long long)t);
}

GET(get_nodes_aiot)
{
    int a = 0, idle = 0, o = 0;
    json_t *n;
    size_t i;
    json_array_foreach(NODES(r), i, n) {
        if (node_down(n))
            o++;
        else if (cmd_int(n, "alloc_cpus") > 0)
            a++;
        else
            idle++;
    }
    snprintf(buf, len, "%d/%d/%d/%zu", a, idle, o, json_array_size(NODES(r)));
}

/* Slurm's power-saving suffixes: powered down '~', powering up '#',
 * powering down '%', power down requested '!'. */
static const char *power_suffix(const json_t *n)
{
    const char *p = cmd_str(n, "power");
    return !strncmp(p, "POWERED_DOWN", 12) ? "~" : !strncmp(p, "POWERING_UP", 11) ? "#"
         : !strncmp(p, "POWERING_DOWN", 13) ? "%" : !strcmp(p, "POWER_DOWN") ? "!" : "";
}

static void state(const json_t *r, int longform, char *buf, size_t len)
{
    const json_t *n = NODE(r);
    if (!n) {
        snprintf(buf, len, "n/a");
        return;
    }
    jobfmt_node_state(cmd_str(n, "state"), !json_is_false(json_object_get(n, "responding")),
                      longform, buf, len);
    size_t used = strlen(buf);
    snprintf(buf + used, len > used ? len - used : 0, "%s", power_suffix(n));
}

GET(get_state) { state(r, 0, buf, len); }
GET(get_state_long) { state(r, 1, buf, len); }

static void node_value(const json_t *r, const char *key, const char *none, char *buf,
                       size_t len)
{
    jobfmt_value(json_object_get(NODE(r), key), buf, len);
    if (!buf[0])
        snprintf(buf, len, "%s", none);
}

/* The least of the group's values, with '+' when they differ ("250+"), as
 * Slurm's sinfo shows CPUs, memory, sockets... of nodes grouped without -e. */
static void min_plus(const json_t *r, const char *key, char *buf, size_t len)
{
    int64_t min = 0;
    int differ = 0;
    json_t *n;
    size_t i;
    json_array_foreach(NODES(r), i, n) {
        int64_t v = cmd_int(n, key);
        differ |= i > 0 && v != min;
        if (i == 0 || v < min)
            min = v;
    }
    snprintf(buf, len, "%lld%s", (long long)min, differ ? "+" : "");
}

GET(get_cpus) { min_plus(r, "cpus", buf, len); }
GET(get_mem) { min_plus(r, "memory_mb", buf, len); }
GET(get_disk) { min_plus(r, "tmp_disk_mb", buf, len); }
GET(get_sockets) { min_plus(r, "sockets", buf, len); }
GET(get_cores) { min_plus(r, "cores_per_socket", buf, len); }
GET(get_threads) { min_plus(r, "threads_per_core", buf, len); }
GET(get_hostname) { node_value(r, "hostname", "n/a", buf, len); }

/* Allocated/idle nodes. */
GET(get_nodes_ai)
{
    int a = 0, idle = 0;
    json_t *n;
    size_t i;
    json_array_foreach(NODES(r), i, n) {
        if (node_down(n))
            continue;
        if (cmd_int(n, "alloc_cpus") > 0)
            a++;
        else
            idle++;
    }
    snprintf(buf, len, "%d/%d", a, idle);
}
GET(get_reason) { node_value(r, "reason", "none", buf, len); }
GET(get_reason_user)
{
    cmd_user_value(json_object_get(NODE(r), "reason_user"), buf, len);
    if (!buf[0])
        snprintf(buf, len, "Unknown");
}
GET(get_features) { node_value(r, "features", "(null)", buf, len); }
GET(get_gres) { node_value(r, "gres", "(null)", buf, len); }
GET(get_gres_used) { node_value(r, "gres_used", "(null)", buf, len); }
GET(get_weight) { node_value(r, "weight", "1", buf, len); }
GET(get_port) { node_value(r, "port", "0", buf, len); }
GET(get_allocmem) { node_value(r, "alloc_mem_mb", "0", buf, len); }
/* The range of a reported value over the group ("0.52", "0.10-1.20"),
 * N/A when no node of it has reported one; load is x100 on the wire. */
static void range(const json_t *r, const char *key, int hundredths, char *buf, size_t len)
{
    int64_t lo = 0, hi = 0;
    int any = 0;
    json_t *n, *v;
    size_t i;
    json_array_foreach(NODES(r), i, n) {
        if (!json_is_integer(v = json_object_get(n, key)))
            continue;
        int64_t x = json_integer_value(v);
        lo = !any || x < lo ? x : lo;
        hi = !any || x > hi ? x : hi;
        any = 1;
    }
    if (!any)
        snprintf(buf, len, "N/A");
    else if (hundredths && lo == hi)
        snprintf(buf, len, "%.2f", lo / 100.0);
    else if (hundredths)
        snprintf(buf, len, "%.2f-%.2f", lo / 100.0, hi / 100.0);
    else if (lo == hi)
        snprintf(buf, len, "%lld", (long long)lo);
    else
        snprintf(buf, len, "%lld-%lld", (long long)lo, (long long)hi);
}

GET(get_load) { range(r, "cpu_load", 1, buf, len); }
GET(get_freemem) { range(r, "free_mem_mb", 0, buf, len); }

GET(get_reason_time)
{
    int64_t t = cmd_int(NODE(r), "reason_time");
    if (t > 0)
        format_datetime(t, buf, len);
    else
        snprintf(buf, len, "Unknown");
}

GET(get_sct)
{
    char so[32], co[32], th[32];
    get_sockets(r, ctx, so, sizeof(so));
    get_cores(r, ctx, co, sizeof(co));
    get_threads(r, ctx, th, sizeof(th));
    snprintf(buf, len, "%s:%s:%s", so, co, th);
}

/* Fields Slurm has whose value here is always the same: what Slurm prints
 * for a partition or node without the feature. */
GET(get_all) { snprintf(buf, len, "all"); }
GET(get_no) { snprintf(buf, len, "NO"); }
GET(get_no_lower) { snprintf(buf, len, "no"); }
GET(get_one) { snprintf(buf, len, "1"); }
GET(get_off) { snprintf(buf, len, "OFF"); }
GET(get_maxcpus)
{
    int64_t n = PART(r) ? cmd_int(PART(r), "max_cpus_per_node") : 0;
    if (n > 0)
        snprintf(buf, len, "%lld", (long long)n);
    else
        snprintf(buf, len, "UNLIMITED");
}
GET(get_version) { snprintf(buf, len, "%s", PACKAGE_VERSION); }
GET(get_cluster) { snprintf(buf, len, "%s", cmd_conf_load()->cluster_name); }
GET(get_addr) { node_value(r, "hostname", "n/a", buf, len); }

GET(get_tier)
{
    snprintf(buf, len, "%lld", PART(r) ? (long long)cmd_int(PART(r), "priority_tier") : 1LL);
}

/* "user(uid)" of the one who set the reason. */
GET(get_reason_user_uid)
{
    const json_t *v = json_object_get(NODE(r), "reason_user");
    char name[128];
    cmd_user_value(v, name, sizeof(name));
    if (!name[0])
        snprintf(buf, len, "Unknown");
    else if (json_is_integer(v))
        snprintf(buf, len, "%s(%lld)", name, (long long)json_integer_value(v));
    else
        snprintf(buf, len, "%s", name);
}

#define AGG JOBFMT_AGGREGATE
#define MIN JOBFMT_MINPLUS

/* As Slurm: -O Partition is %P (the default marked '*'), PartitionName %R. */
const struct jobfmt_field sinfo_fields[] = {
    { "Partition", 'P', "PARTITION", 20, 0, NULL, get_part_star, 0 },
    { "PartitionName", 'R', "PARTITION", 20, 0, NULL, get_part, 0 },
    { "Available", 'a', "AVAIL", 20, 0, NULL, get_avail, 0 },
    { "Time", 'l', "TIMELIMIT", 20, 0, NULL, get_timelimit, 0 },
    { "DefaultTime", 'L', "DEFAULTTIME", 20, 0, NULL, get_deftime, 0 },
    { "Size", 's', "JOB_SIZE", 20, 0, NULL, get_jobsize, 0 },
    { "Nodes", 'D', "NODES", 20, 0, NULL, get_count, AGG },
    { "NodeList", 'N', "NODELIST", 20, 0, NULL, get_nodelist, AGG },
    { "StateCompact", 't', "STATE", 20, 0, NULL, get_state, 0 },
    { "StateLong", 'T', "STATE", 20, 0, NULL, get_state_long, 0 },
    { "CPUs", 'c', "CPUS", 20, 0, NULL, get_cpus, MIN },
    { "CPUsState", 'C', "CPUS(A/I/O/T)", 20, 0, NULL, get_cpus_aiot, AGG },
    { "NodeAIOT", 'F', "NODES(A/I/O/T)", 20, 0, NULL, get_nodes_aiot, AGG },
    { "Memory", 'm', "MEMORY", 20, 0, NULL, get_mem, MIN },
    { "Disk", 'd', "TMP_DISK", 20, 0, NULL, get_disk, MIN },
    { "Sockets", 'X', "SOCKETS", 20, 0, NULL, get_sockets, MIN },
    { "Cores", 'Y', "CORES", 20, 0, NULL, get_cores, MIN },
    { "Threads", 'Z', "THREADS", 20, 0, NULL, get_threads, MIN },
    { "NodeHost", 'n', "HOSTNAMES", 20, 0, NULL, get_hostname, 0 },
    { "NodeAI", 'A', "NODES(A/I)", 20, 0, NULL, get_nodes_ai, AGG },
    { "CPUsLoad", 'O', "CPU_LOAD", 20, 0, NULL, get_load, MIN },
    { "FreeMem", 'e', "FREE_MEM", 20, 0, NULL, get_freemem, MIN },
    { "Reason", 'E', "REASON", 20, 0, NULL, get_reason, 0 },
    { "User", 'u', "USER", 20, 0, NULL, get_reason_user, 0 },
    { "Timestamp", 'H', "TIMESTAMP", 20, 0, NULL, get_reason_time, 0 },
    { "Features", 'f', "AVAIL_FEATURES", 20, 0, NULL, get_features, 0 },
    { "FeaturesAct", 'b', "ACTIVE_FEATURES", 20, 0, NULL, get_features, 0 },
    { "features_act", 0, "ACTIVE_FEATURES", 20, 0, NULL, get_features, 0 },   /* Slurm's -O */
    { "AllocMem", 0, "ALLOCMEM", 20, 0, NULL, get_allocmem, 0 },
    { "Port", 0, "PORT", 20, 0, NULL, get_port, 0 },
    { "Gres", 'G', "GRES", 20, 0, NULL, get_gres, 0 },
    { "GresUsed", 0, "GRES_USED", 20, 0, NULL, get_gres_used, 0 },
    { "Weight", 'w', "WEIGHT", 20, 0, NULL, get_weight, 0 },
    { "SocketCoreThread", 'z', "S:C:T", 20, 0, NULL, get_sct, MIN },
    { "MaxCPUsPerNode", 'B', "MAX_CPUS_PER_NODE", 20, 0, NULL, get_maxcpus, 0 },
    { "Groups", 'g', "GROUPS", 20, 0, NULL, get_all, 0 },
    { "OverSubscribe", 'h', "OVERSUBSCRIBE", 20, 0, NULL, get_no, 0 },
    { "PriorityJobFactor", 'I', "PRIO_JOB_FACTOR", 20, 0, NULL, get_one, 0 },
    { "PreemptMode", 'M', "PREEMPT_MODE", 20, 0, NULL, get_off, 0 },
    { "NodeAddr", 'o', "NODE_ADDR", 20, 0, NULL, get_addr, 0 },
    { "PriorityTier", 'p', "PRIO_TIER", 20, 0, NULL, get_tier, 0 },
    { "Root", 'r', "ROOT", 20, 0, NULL, get_no_lower, 0 },
    { "AllocNodes", 'S', "ALLOCNODES", 20, 0, NULL, get_all, 0 },
    { "UserLong", 'U', "USER", 20, 0, NULL, get_reason_user_uid, 0 },
    { "Version", 'v', "VERSION", 20, 0, NULL, get_version, 0 },
    { "Cluster", 'V', "CLUSTER", 20, 0, NULL, get_cluster, 0 },
    { "vCPUs", 0, "VCPUS(MIN/DESIRED/MAX)", 24, 0, NULL, get_vcpus, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};
