/* cmdtres.c: see cmdtres.h. */
#include "cmdtres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"

static void mem_str(int64_t mb, char *buf, size_t len)
{
    if (mb > 0 && mb % 1024 == 0)
        snprintf(buf, len, "%lldG", (long long)(mb / 1024));
    else
        snprintf(buf, len, "%lldM", (long long)mb);
}

static int64_t gpus_asked(const json_t *r)
{
    int64_t nodes = cmd_int(r, "nodes_min") > 0 ? cmd_int(r, "nodes_min") : 1;
    if (cmd_int(r, "gpus_per_node") > 0)
        return cmd_int(r, "gpus_per_node") * nodes;
    if (cmd_int(r, "gpus_per_task") > 0)
        return cmd_int(r, "gpus_per_task") * cmd_int(r, "num_tasks");
    return cmd_int(r, "gpus");
}

void cmd_tres(const json_t *rec, int sorted, int allocated_only, char *buf, size_t len)
{
    int64_t cpus = cmd_int(rec, "num_cpus"), nodes = cmd_int(rec, "num_nodes"), mem, gpus;
    char m[32];
    buf[0] = '\0';
    if (cpus > 0) {
        mem = cmd_int(rec, "alloc_mem_mb") * nodes;
        gpus = cmd_int(rec, "alloc_gpus") * nodes;
    } else {
        if (allocated_only)
            return;
        int64_t cpt = cmd_int(rec, "cpus_per_task");
        cpus = cmd_int(rec, "num_tasks") * (cpt > 0 ? cpt : 1);
        nodes = cmd_int(rec, "nodes_min") > 0 ? cmd_int(rec, "nodes_min") : 1;
        mem = cmd_int(rec, "mem_mb") > 0 ? cmd_int(rec, "mem_mb") * nodes
                                         : cmd_int(rec, "mem_per_cpu_mb") * cpus;
        gpus = gpus_asked(rec);
    }
    mem_str(mem, m, sizeof(m));
    char g[48] = "";
    if (gpus > 0)
        snprintf(g, sizeof(g), "gres/gpu=%lld", (long long)gpus);
    if (sorted)
        snprintf(buf, len, "billing=%lld,cpu=%lld,%s%smem=%s,node=%lld", (long long)cpus,
                 (long long)cpus, g, *g ? "," : "", m, (long long)nodes);
    else
        snprintf(buf, len, "cpu=%lld,mem=%s,node=%lld,billing=%lld%s%s", (long long)cpus, m,
                 (long long)nodes, (long long)cpus, *g ? "," : "", g);
}

/* "gpu:TYPE:N" or "gpu:N". */
static void gres_str(const char *type, int64_t n, char *buf, size_t len)
{
    snprintf(buf, len, "gpu:%s%s%lld", type, *type ? ":" : "", (long long)n);
}

void cmd_alloc_detail(const json_t *rec, const char *sep, char *buf, size_t len)
{
    json_t *alloc = json_object_get(rec, "alloc"), *v;
    size_t i, n = 0;
    char g[96] = "(null)";
    int64_t per = cmd_int(rec, "alloc_gpus");
    if (per > 0)
        gres_str(cmd_str(rec, "gpu_type"), per, g, sizeof(g));
    n += (size_t)snprintf(buf, len, "%s", g);
    json_array_foreach(alloc, i, v) {
        const char *gl = cmd_str(v, "gpus"), *type = cmd_str(v, "gpu_type");
        char gres[160] = "";
        if (*gl) {
            char count[96];
            int64_t k = 0;
            /* count the members of "0-1,3" */
            for (const char *p = gl; *p;) {
                long a = strtol(p, (char **)&p, 10), b = a;
                if (*p == '-')
                    b = strtol(p + 1, (char **)&p, 10);
                k += b - a + 1;
                if (*p == ',')
                    p++;
                else if (*p)
                    break;
            }
            gres_str(*type ? type : cmd_str(rec, "gpu_type"), k, count, sizeof(count));
            snprintf(gres, sizeof(gres), " GRES=%s(IDX:%s)", count, gl);
        }
        if (n < len)
            n += (size_t)snprintf(buf + n, len - n, "%sNodes=%s CPU_IDs=%s Mem=%lld%s", sep,
                                  cmd_str(v, "node"), cmd_str(v, "cpus"),
                                  (long long)cmd_int(rec, "alloc_mem_mb"), gres);
    }
}
