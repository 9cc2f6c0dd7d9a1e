/* sinfo_json.c: sinfo --json in the shape of Slurm 22.05's (openapi
 * v0.0.38's node dump): {"meta": ..., "errors": [], "nodes": [...]}, each
 * node with the keys Slurm gives that have a value here, and Sluice's own
 * extras under "sluice". */
#include <string.h>

#include "cmdutil.h"
#include "dpjob.h"
#include "dpjson.h"
#include "sinfo.h"

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

int sinfo_json(const json_t *nodes, const json_t *parts, const hostlist_t *sel, int yaml)
{
    json_t *out = json_array(), *n;
    size_t i;
    json_array_foreach(nodes, i, n)
        if (wanted(n, parts, sel))
            json_array_append_new(out, dp_node_info(n));
    dp_print(yaml, DP_PLUGIN_V38, "nodes", out);
    return 0;
}
