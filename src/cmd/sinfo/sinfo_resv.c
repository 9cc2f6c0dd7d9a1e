/* sinfo_resv.c: sinfo -T, the reservations in Slurm 22.05's listing:
 * name (as wide as the longest), state, start, end, duration, nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "jobfmt.h"
#include "parse.h"
#include "sinfo.h"

/* The nodes as Slurm shows a node list: n[1-2], not n1,n2. */
static char *resv_nodes(const char *nodes)
{
    hostlist_t *hl = hostlist_expand(nodes, NULL);
    char *s = hl ? hostlist_ranged_string(hl) : strdup(nodes);
    hostlist_destroy(hl);
    return s;
}

void sinfo_reservations(int noheader)
{
    json_t *reply = cmd_call("resv_list", json_object()), *r;
    json_t *all = json_object_get(reply, "reservations");
    int width = (int)strlen("RESV_NAME");
    size_t i;
    json_array_foreach(all, i, r)
        if ((int)strlen(cmd_str(r, "name")) > width)
            width = (int)strlen(cmd_str(r, "name"));
    if (!noheader)
        printf("%-*s  %8s  %19s  %19s  %11s  %s\n", width, "RESV_NAME", "STATE", "START_TIME",
               "END_TIME", "DURATION", "NODELIST");
    json_array_foreach(all, i, r) {
        char start[32], end[32], dur[32];
        int64_t s = cmd_int(r, "start_time"), t = cmd_int(r, "end_time");
        char *nodes = resv_nodes(cmd_str(r, "nodes"));
        printf("%-*s  %8s  %19s  %19s  %11s  %s\n", width, cmd_str(r, "name"),
               cmd_str(r, "state"), format_datetime(s, start, sizeof(start)),
               format_datetime(t, end, sizeof(end)), jobfmt_hms(t - s, dur, sizeof(dur)),
               nodes ? nodes : "");
        free(nodes);
    }
    fflush(stdout);
    json_decref(reply);
}
