/* dppart.c: a partition as Slurm 22.05's openapi v0.0.38 dumps one
 * (slurmrestd's /slurm/v0.0.38/partitions; 22.05's commands print no
 * partition JSON), for scontrol show partition --json: see dpjob.h,
 * doc/json.md. */
#include <stdio.h>

#include "cmdutil.h"
#include "dpjob.h"
#include "dpjson.h"

/* Seconds (-1 unlimited, 0 unset) as Slurm's minutes: -1 for INFINITE. */
static json_t *minutes(int64_t secs, int unset_null)
{
    if (secs < 0)
        return json_integer(-1);
    if (secs == 0 && unset_null)
        return json_null();
    return json_integer((json_int_t)(secs / 60));
}

json_t *dp_part_info(const json_t *p)
{
    static const char *const empty[] = {
        "allowed_allocation_nodes", "allowed_accounts", "allowed_groups", "allowed_qos",
        "alternative", "billing_weights", "denied_accounts", "denied_qos", "qos",
    };
    static const char *const nulls[] = {
        "default_memory_per_cpu", "default_memory_per_node", "maximum_memory_per_cpu",
        "maximum_memory_per_node", "over_time_limit",
    };
    json_t *o = json_object();
    char tres[128];
    int64_t cpus = cmd_int(p, "total_cpus"), nodes = cmd_int(p, "total_nodes");
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        json_object_set_new(o, empty[i], json_string(""));
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        json_object_set_new(o, nulls[i], json_null());
    json_object_set_new(o, "name", json_string(cmd_str(p, "name")));
    json_object_set_new(o, "nodes", json_string(cmd_str(p, "nodes")));
    json_object_set_new(o, "state", json_string(cmd_str(p, "state")));
    json_object_set_new(o, "flags", json_is_true(json_object_get(p, "default"))
                                        ? json_pack("[s]", "default") : json_array());
    json_object_set_new(o, "preemption_mode", json_pack("[s]", "disabled"));
    json_object_set_new(o, "preemption_grace_time", json_integer(0));
    json_object_set_new(o, "default_time_limit", minutes(cmd_int(p, "default_time"), 1));
    json_object_set_new(o, "max_time_limit", minutes(cmd_int(p, "max_time"), 0));
    json_object_set_new(o, "maximum_cpus_per_node", cmd_int(p, "max_cpus_per_node") > 0
                            ? json_integer(cmd_int(p, "max_cpus_per_node")) : json_integer(-1));
    json_object_set_new(o, "maximum_nodes_per_job", cmd_int(p, "max_nodes") > 0
                            ? json_integer(cmd_int(p, "max_nodes")) : json_integer(-1));
    /* sic: 22.05's key has spaces */
    json_object_set_new(o, "min nodes per job", json_integer(0));
    json_object_set_new(o, "priority_job_factor", json_integer(1));
    json_object_set_new(o, "priority_tier", json_integer(cmd_int(p, "priority_tier")));
    json_object_set_new(o, "total_cpus", json_integer(cpus));
    json_object_set_new(o, "total_nodes", json_integer(nodes));
    snprintf(tres, sizeof(tres), "cpu=%lld,node=%lld,billing=%lld", (long long)cpus,
             (long long)nodes, (long long)cpus);
    json_object_set_new(o, "tres", json_string(tres));
    json_t *own = json_object(), *v;
    static const char *const ours[] = { "node_names", "min_vcpus", "desired_vcpus",
                                        "max_vcpus", "instance_types", "allocation_strategy",
                                        "purchasing", "bid_percentage", "scale_down_delay" };
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if ((v = json_object_get(p, ours[i])))
            json_object_set(own, ours[i], v);
    json_object_set_new(o, "sluice", own);
    return o;
}
