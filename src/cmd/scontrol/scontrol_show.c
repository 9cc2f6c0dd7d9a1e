/* scontrol_show.c: scontrol show node|partition|config|hostnames|hostlist,
 * and the dispatch to show job (scontrol_job.c), show jobdefinition
 * (scontrol_jobdef.c) and show queue|policy (scontrol_queue.c).  Each record
 * kind is a table of Key=Value entries in Slurm's order. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmdutil.h"
#include "dpjob.h"
#include "hostlist.h"
#include "jobfmt.h"
#include "parse.h"
#include "scontrol.h"

#define NL JOBFMT_KV_NEWLINE
#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_na) { snprintf(buf, len, "N/A"); }
GET(get_zero) { snprintf(buf, len, "0"); }
GET(get_one) { snprintf(buf, len, "1"); }   /* Boards: one, as Slurm without boards */

static void get_when(const json_t *r, const char *key, char *buf, size_t len)
{
    format_datetime(cmd_int(r, key), buf, len);
}

GET(get_nodestate)
{
    const char *s = cmd_str(r, "state");
    int full = cmd_int(r, "alloc_cpus") >= cmd_int(r, "cpus");
    const char *shown = !strcmp(s, "DRAINED") ? "IDLE+DRAIN"
                      : !strcmp(s, "DRAINING") ? (full ? "ALLOCATED+DRAIN" : "MIXED+DRAIN")
                      : s;
    const char *power = cmd_str(r, "power");   /* power saving: +CLOUD+POWERED_DOWN */
    snprintf(buf, len, "%s%s%s%s%s", shown,
             json_is_false(json_object_get(r, "responding")) ? "*" : "",
             json_is_true(json_object_get(r, "cloud")) ? "+CLOUD" : "", *power ? "+" : "", power);
}

GET(get_partitions)
{
    json_t *v;
    size_t i, n = 0;
    buf[0] = '\0';
    json_array_foreach(json_object_get(r, "partitions"), i, v)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "," : "",
                              json_string_value(v));
}

GET(get_boot) { get_when(r, "boot_time", buf, len); }
GET(get_lastseen) { get_when(r, "last_seen", buf, len); }

GET(get_reason)
{
    char when[64], user[64];
    if (!*cmd_str(r, "reason"))
        return;
    format_datetime(cmd_int(r, "reason_time"), when, sizeof(when));
    cmd_user_value(json_object_get(r, "reason_user"), user, sizeof(user));
    snprintf(buf, len, "%s [%s@%s]", cmd_str(r, "reason"), user, when);
}

/* "(null)" when the node has no GPU, as Slurm shows it. */
GET(get_gres)
{
    const char *g = cmd_str(r, "gres");
    snprintf(buf, len, "%s", *g ? g : "(null)");
}

/* Left out when the node has no GPU. */
GET(get_gres_used) { snprintf(buf, len, "%s", cmd_str(r, "gres_used")); }

static const struct jobfmt_kv node_kv[] = {
    { "NodeName", "name", NULL, 0 },          { "CoresPerSocket", "cores_per_socket", NULL, 0 },
    { "CPUAlloc", "alloc_cpus", NULL, NL },   { "CPUEfctv", "cpus", NULL, 0 },
    { "CPUTot", "cpus", NULL, 0 },   /* CPUEfctv: less specialised cores, which Sluice has not */
    { "CPULoad", NULL, get_na, 0 },
    { "AvailableFeatures", "features", NULL, NL },
    { "ActiveFeatures", "features", NULL, NL },
    { "Gres", NULL, get_gres, NL },           { "GresUsed", NULL, get_gres_used, 0 },
    { "NodeAddr", "hostname", NULL, NL },     { "NodeHostName", "hostname", NULL, 0 },
    { "Port", "port", NULL, 0 },
    { "RealMemory", "memory_mb", NULL, NL },  { "AllocMem", "alloc_mem_mb", NULL, 0 },
    { "FreeMem", NULL, get_na, 0 },           { "Sockets", "sockets", NULL, 0 },
    { "Boards", NULL, get_one, 0 },
    { "State", NULL, get_nodestate, NL },     { "ThreadsPerCore", "threads_per_core", NULL, 0 },
    { "TmpDisk", "tmp_disk_mb", NULL, 0 },         { "Weight", "weight", NULL, 0 },
    { "Partitions", NULL, get_partitions, NL },
    { "BootTime", NULL, get_boot, NL },       { "LastSeenTime", NULL, get_lastseen, 0 },
    { "Reason", NULL, get_reason, NL },
};

GET(get_yesno) { snprintf(buf, len, "%s", json_is_true(json_object_get(r, "default")) ? "YES" : "NO"); }
GET(get_maxtime) { jobfmt_hms(cmd_int(r, "max_time"), buf, len); }
GET(get_deftime) { jobfmt_hms(cmd_int(r, "default_time"), buf, len); }

/* A partition's limit: 0 is none. */
static void limit_or_unlimited(int64_t n, char *buf, size_t len)
{
    if (n > 0)
        snprintf(buf, len, "%lld", (long long)n);
    else
        snprintf(buf, len, "UNLIMITED");
}

GET(get_maxnodes) { limit_or_unlimited(cmd_int(r, "max_nodes"), buf, len); }
GET(get_maxcpus) { limit_or_unlimited(cmd_int(r, "max_cpus_per_node"), buf, len); }

GET(get_all) { snprintf(buf, len, "ALL"); }
GET(get_yes) { snprintf(buf, len, "YES"); }

static const struct jobfmt_kv part_kv[] = {
    { "PartitionName", "name", NULL, 0 },
    { "AllowGroups", NULL, get_all, NL },     { "AllowAccounts", NULL, get_all, 0 },
    { "AllowQos", NULL, get_all, 0 },
    { "Default", NULL, get_yesno, NL },
    { "DefaultTime", NULL, get_deftime, NL },
    { "MaxNodes", NULL, get_maxnodes, NL },   { "MaxTime", NULL, get_maxtime, 0 },
    { "MinNodes", NULL, get_zero, 0 },        { "MaxCPUsPerNode", NULL, get_maxcpus, 0 },
    { "PriorityTier", "priority_tier", NULL, 0 },
    { "Nodes", "nodes", NULL, NL },
    { "State", "state", NULL, NL },           { "TotalCPUs", "total_cpus", NULL, 0 },
    { "TotalNodes", "total_nodes", NULL, 0 },
};

/* Elastic=YES partitions only (doc/guide-elastic.md). */
static const struct jobfmt_kv elastic_kv[] = {
    { "Elastic", NULL, get_yes, 0 },
    { "MinvCPUs", "min_vcpus", NULL, 0 },     { "DesiredvCPUs", "desired_vcpus", NULL, 0 },
    { "MaxvCPUs", "max_vcpus", NULL, 0 },
    { "InstanceTypes", "instance_types", NULL, NL },
    { "AllocationStrategy", "allocation_strategy", NULL, NL },
    { "Purchasing", "purchasing", NULL, 0 },  { "BidPercentage", "bid_percentage", NULL, 0 },
    { "ScaleDownDelay", "scale_down_delay", NULL, 0 },
};

void scontrol_print_records(const struct scontrol_opts *o, json_t *recs,
                            const struct jobfmt_kv *tab, size_t n)
{
    json_t *r;
    size_t i;
    json_array_foreach(recs, i, r) {
        jobfmt_print_kv(tab, n, r, NULL, o->oneliner, stdout);
        if (!o->oneliner)
            putchar('\n');
    }
}

/* Records of a kind, with an optional name selecting one of them. */
static json_t *named(json_t *recs, const char *name)
{
    json_t *out = json_array(), *r;
    size_t i;
    json_array_foreach(recs, i, r)
        if (!name || strcmp(cmd_str(r, "name"), name) == 0)
            json_array_append(out, r);
    return out;
}


/* --json / --yaml: the nodes as sinfo --json shows them (dpnode.c). */
static int show_nodes(const struct scontrol_opts *o, const char *name)
{
    sl_error_t e;
    json_t *body = name ? json_pack("{s:s}", "nodes", name) : json_object();
    json_t *reply = cmd_try("node_list", body, &e);
    if (!reply)
        cmd_die("%s", !strcmp(client_last_code(cmd_client()), "ENOENT") ||
                      !strcmp(client_last_code(cmd_client()), "EINVAL")
                          ? "Invalid node name specified" : e.text);
    if (json_array_size(json_object_get(reply, "nodes")) == 0 && name)
        cmd_die("Invalid node name specified");
    if (o->json || o->yaml) {
        json_t *out = json_array(), *n;
        size_t i;
        json_array_foreach(json_object_get(reply, "nodes"), i, n)
            json_array_append_new(out, dp_node_info(n));
        scontrol_print_doc(o, "nodes", out);
        json_decref(out);
    }
    else
        scontrol_print_records(o, json_object_get(reply, "nodes"), KV(node_kv));
    json_decref(reply);
    return 0;
}

static int show_parts(const struct scontrol_opts *o, const char *name)
{
    json_t *reply = cmd_call("part_list", json_object());
    json_t *parts = named(json_object_get(reply, "partitions"), name);
    if (name && json_array_size(parts) == 0)
        cmd_die("Invalid partition name specified");
    json_t *r;
    size_t i;
    if (o->json || o->yaml) {
        json_t *out = json_array();
        json_array_foreach(parts, i, r)
            json_array_append_new(out, dp_part_info(r));
        scontrol_print_doc(o, "partitions", out);
        json_decref(out);
        json_decref(parts);
        json_decref(reply);
        return 0;
    }
    json_array_foreach(parts, i, r) {
        jobfmt_print_kv(part_kv, sizeof(part_kv) / sizeof(part_kv[0]), r, NULL, o->oneliner,
                        stdout);
        if (json_is_true(json_object_get(r, "elastic")) && fputs("   ", stdout) >= 0)
            jobfmt_print_kv(elastic_kv, sizeof(elastic_kv) / sizeof(elastic_kv[0]), r, NULL,
                            o->oneliner, stdout);
        if (!o->oneliner)
            putchar('\n');
    }
    json_decref(parts);
    json_decref(reply);
    return 0;
}

static int show_config(const struct scontrol_opts *o, const char *arg)
{
    json_t *reply = cmd_call("config_show", json_object()), *v;
    const char *key;
    char when[64], val[1024];
    printf("Configuration data as of %s\n", format_datetime((int64_t)time(NULL), when,
                                                           sizeof(when)));
    json_object_foreach(json_object_get(reply, "config"), key, v) {
        jobfmt_value(v, val, sizeof(val));
        printf("%-23s = %s\n", key, val);
    }
    json_decref(reply);
    return 0;
}

static int show_hostnames(const struct scontrol_opts *o, const char *expr)
{
    sl_error_t e;
    hostlist_t *hl;
    if (!expr && !(expr = getenv("SLURM_JOB_NODELIST")))
        cmd_die("No hostlist specified");
    if (!(hl = hostlist_expand(expr, &e)))
        cmd_die("Invalid hostlist: %s", e.text);
    for (size_t i = 0; i < hostlist_count(hl); i++)
        printf("%s\n", hostlist_nth(hl, i));
    hostlist_destroy(hl);
    return 0;
}

static int show_hostlist(const struct scontrol_opts *o, const char *expr)
{
    sl_error_t e;
    char *s;
    if (!expr)
        cmd_die("No hostlist specified");
    if (!(s = hostlist_compress(expr, &e)))
        cmd_die("Invalid hostlist: %s", e.text);
    printf("%s\n", s);
    free(s);
    return 0;
}

/* As Slurm 22.05 prints them: a name line, then the counts. */
static int show_licenses(const struct scontrol_opts *o, const char *name)
{
    json_t *reply = cmd_call("license_list", json_object()), *l;
    json_t *lics = named(json_object_get(reply, "licenses"), name);
    size_t i;
    (void)o;
    if (name && json_array_size(lics) == 0)
        cmd_die("No licenses found with name %s", name);
    json_array_foreach(lics, i, l) {
        printf("LicenseName=%s\n    Total=%lld Used=%lld Free=%lld Reserved=0 Remote=no\n",
               cmd_str(l, "name"), (long long)cmd_int(l, "total"), (long long)cmd_int(l, "used"),
               (long long)cmd_int(l, "free"));
    }
    json_decref(lics);
    json_decref(reply);
    return 0;
}

static const struct {
    const char *names[3];   /* what users type, as Slurm accepts it */
    int (*fn)(const struct scontrol_opts *o, const char *arg);
} entities[] = {
    { { "job", "jobs", "jobid" }, scontrol_show_job },
    { { "step", "steps", NULL }, scontrol_show_step },
    { { "jobdefinition", "jobdefinitions", "jobdef" }, scontrol_show_jobdef },
    { { "node", "nodes", "nodename" }, show_nodes },
    { { "partition", "partitions", "part" }, show_parts },
    { { "config", "configuration", NULL }, show_config },
    { { "hostnames", "hostname", NULL }, show_hostnames },
    { { "hostlist", NULL, NULL }, show_hostlist },
    { { "queue", "queues", "queuename" }, scontrol_show_queue },
    { { "policy", "policies", "schedulingpolicy" }, scontrol_show_policy },
    { { "licenses", "license", "lic" }, show_licenses },
    { { "reservation", "reservations", "res" }, scontrol_show_resv },
};

/* show ENTITY [ID] with options before, between or after the words (Slurm's
 * scontrol takes "show job 5 -o" and "show jobid -dd 5"): each option is
 * applied, any other word starting with '-' refused, never ignored. */
int scontrol_show(const struct scontrol_opts *o, int argc, char **argv)
{
    struct scontrol_opts lo = *o;
    const char *words[2] = { NULL, NULL };
    int nw = 0;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] && scontrol_option_word(&lo, argv[i]) < 0)
            cmd_die("show: unknown option '%s' (-o, -d, -a, --json or --yaml)", argv[i]);
        else if (argv[i][0] == '-' && argv[i][1])
            continue;
        else if (nw == 2)
            cmd_die("show %s: one name or id, not '%s' and '%s'", words[0], words[1], argv[i]);
        else
            words[nw++] = argv[i];
    }
    if (!words[0])
        cmd_die("show what? (job, step, node, partition, queue, policy, config, hostnames, "
                "hostlist, jobdefinition, licenses, reservation)");
    if (lo.json && lo.yaml)
        cmd_die("--json and --yaml exclude each other");
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        for (int k = 0; k < 3 && entities[i].names[k]; k++)
            if (strcasecmp(words[0], entities[i].names[k]) == 0) {
                if ((lo.json || lo.yaml) && entities[i].fn != scontrol_show_job &&
                    entities[i].fn != show_nodes && entities[i].fn != show_parts)
                    cmd_die("show %s: --json and --yaml are supported for show job, node "
                            "and partition only", words[0]);
                return entities[i].fn(&lo, words[1]);
            }
    cmd_die("Invalid entity: '%s' for the show command", words[0]);
}
