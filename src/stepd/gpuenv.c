/* gpuenv.c: GPU and binding variables (gpuenv.h). */
#define _GNU_SOURCE
#include "gpuenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpubind.h"

struct vars {
    char **v;
    size_t n;
};

static void add(struct vars *vs, const char *key, const char *val)
{
    char **p = realloc(vs->v, (vs->n + 2) * sizeof(*p));
    if (!p || asprintf(&p[vs->n], "%s=%s", key, val) < 0)
        abort();
    vs->v = p;
    p[++vs->n] = NULL;
}

/* Append ",x" (or "x") to a growing list. */
static void list_add(char *buf, size_t len, long long x)
{
    size_t at = strlen(buf);
    snprintf(buf + at, len - at, "%s%lld", at ? "," : "", x);
}

static void gpu_vars(struct vars *vs, const json_t *rec, int step)
{
    json_t *gpus = json_object_get(rec, "gpus"), *g;
    char cuda[1024] = "", rocr[1024] = "", all[1024] = "", idx[1024] = "", n[16];
    size_t i;

    if (json_array_size(gpus) == 0) {
        if (json_integer_value(json_object_get(rec, "node_gpus")) > 0) {
            add(vs, "CUDA_VISIBLE_DEVICES", "");
            add(vs, "ROCR_VISIBLE_DEVICES", "");
        }
        return;
    }
    json_array_foreach(gpus, i, g) {
        const char *vendor = json_string_value(json_object_get(g, "vendor"));
        long long minor = json_integer_value(json_object_get(g, "minor"));
        if (vendor && !strcmp(vendor, "amd"))
            list_add(rocr, sizeof(rocr), minor);
        else if (vendor && !strcmp(vendor, "nvidia"))
            list_add(cuda, sizeof(cuda), minor);
        list_add(all, sizeof(all), minor);
        list_add(idx, sizeof(idx), json_integer_value(json_object_get(g, "index")));
    }
    if (cuda[0])
        add(vs, "CUDA_VISIBLE_DEVICES", cuda);
    if (rocr[0])
        add(vs, "ROCR_VISIBLE_DEVICES", rocr);
    add(vs, "GPU_DEVICE_ORDINAL", all);
    add(vs, step ? "SLURM_STEP_GPUS" : "SLURM_JOB_GPUS", idx);
    snprintf(n, sizeof(n), "%zu", json_array_size(gpus));
    add(vs, "SLURM_GPUS_ON_NODE", n);
}

/* A batch script gets SLURM_CPU_BIND only as the user wrote --cpu-bind (as
 * sbatch exports it, for the srun inside to read); the computed mask of the
 * whole allocation would be read back by every srun inside as a
 * --cpu-bind=mask_cpu that fits no smaller step.  Steps' tasks get Slurm's
 * SLURM_CPU_BIND* of their own binding. */
static void bind_vars(struct vars *vs, const json_t *rec, int step)
{
    json_t *tc = json_object_get(rec, "task_cpus"), *t;
    const char *kind = json_string_value(json_object_get(rec, "cpu_bind_kind"));
    const char *verbose = json_is_true(json_object_get(rec, "cpu_bind_verbose")) ? "verbose"
                                                                                : "quiet";
    char list[4096] = "", all[4200];
    size_t i;

    if (!step) {
        const char *asked = json_string_value(json_object_get(rec, "cpu_bind"));
        if (asked && *asked)
            add(vs, "SLURM_CPU_BIND", asked);
        return;
    }
    if (!json_array_size(tc))
        return;
    if (kind && !strcmp(kind, "NONE")) {
        add(vs, "SLURM_CPU_BIND_TYPE", "none");
        add(vs, "SLURM_CPU_BIND_LIST", "");
        add(vs, "SLURM_CPU_BIND_VERBOSE", verbose);
        snprintf(all, sizeof(all), "%s,none", verbose);
        add(vs, "SLURM_CPU_BIND", all);
        return;
    }
    json_array_foreach(tc, i, t) {
        sl_error_t e;
        idset_t *s = idset_decode(json_string_value(t) ? json_string_value(t) : "",
                                  TOPO_MAX_CPUS * 2, NULL, &e);
        char *hex = s ? cpubind_hex(s) : NULL;
        size_t at = strlen(list);
        snprintf(list + at, sizeof(list) - at, "%s%s", at ? "," : "", hex ? hex : "0x0");
        free(hex);
        idset_destroy(s);
    }
    add(vs, "SLURM_CPU_BIND_TYPE", "mask_cpu:");
    add(vs, "SLURM_CPU_BIND_LIST", list);
    add(vs, "SLURM_CPU_BIND_VERBOSE", verbose);
    snprintf(all, sizeof(all), "%s,mask_cpu:%s", verbose, list);
    add(vs, "SLURM_CPU_BIND", all);
}

char **gpuenv_build(const json_t *rec, int step)
{
    struct vars vs = { calloc(1, sizeof(char *)), 0 };

    if (!vs.v)
        abort();
    gpu_vars(&vs, rec, step);
    bind_vars(&vs, rec, step);
    return vs.v;
}

void gpuenv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}
