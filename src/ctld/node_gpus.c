/* node_gpus.c: a node's effective GPUs and their display (node_gpus.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "node_gpus.h"

/* Claim up to want GPUs of base for entry k: those of the given type (NULL:
 * any), skipping claimed ones.  Returns how many it took. */
static uint32_t claim(const topo_t *base, int *owner, int k, const char *type, uint32_t want)
{
    uint32_t got = 0;
    for (uint32_t i = 0; i < base->ngpus && got < want; i++) {
        if (owner[i] >= 0 || (type && strcasecmp(base->gpus[i].type, type) != 0))
            continue;
        owner[i] = k;
        got++;
    }
    return got;
}

static void copy_cpus(topo_t *t, const topo_t *base)
{
    memcpy(t->os_index, base->os_index, base->ncpus * sizeof(*t->os_index));
}

static void add_reported(topo_t *t, const struct topo_gpu *g, const char *type)
{
    topo_add_gpu(t, type, g->vendor, g->name, g->bus_id, g->minor, g->cpus, NULL);
}

static void low_reason(char *low, size_t lowlen, const struct conf_gres *g, uint32_t got)
{
    if (!low || low[0])
        return;
    snprintf(low, lowlen, "Low GPUs: node reports %u gpu%s%s, configured %u", got,
             g->type ? ":" : "", g->type ? g->type : "", g->count);
}

/* Synthesized stand-ins for what a Gres entry lacks: vendor "other",
 * minors counted among those. */
static void fill_in(topo_t *t, const struct conf_gres *g, uint32_t got)
{
    int32_t minor = 0;
    for (uint32_t i = 0; i < t->ngpus; i++)
        minor += strcmp(t->gpus[i].vendor, "other") == 0;
    for (uint32_t i = got; i < g->count; i++)
        topo_add_gpu(t, g->type ? g->type : "gpu", "other", "", "", minor++, NULL, NULL);
}

topo_t *node_gpus_effective(const topo_t *base, const struct conf_node *cfg, int autodetect_off,
                            char *low, size_t lowlen)
{
    topo_t *t = topo_synth(base->sockets, base->cores_per_socket, base->threads_per_core, NULL);
    if (low && lowlen)
        low[0] = '\0';
    copy_cpus(t, base);
    if (!cfg->ngres) {
        for (uint32_t i = 0; !autodetect_off && i < base->ngpus; i++)
            add_reported(t, &base->gpus[i], base->gpus[i].type);
        return t;
    }
    int *owner = malloc((base->ngpus + 1) * sizeof(*owner));
    uint32_t *got = calloc(cfg->ngres, sizeof(*got));
    for (uint32_t i = 0; i < base->ngpus; i++)
        owner[i] = -1;
    for (size_t k = 0; k < cfg->ngres; k++)         /* typed: their own type */
        if (cfg->gres_list[k].type)
            got[k] += claim(base, owner, (int)k, cfg->gres_list[k].type, cfg->gres_list[k].count);
    for (size_t k = 0; k < cfg->ngres; k++)         /* typed: models nobody could name */
        if (cfg->gres_list[k].type)
            got[k] += claim(base, owner, (int)k, "gpu", cfg->gres_list[k].count - got[k]);
    for (size_t k = 0; k < cfg->ngres; k++)         /* untyped: whatever is left */
        if (!cfg->gres_list[k].type)
            got[k] += claim(base, owner, (int)k, NULL, cfg->gres_list[k].count);
    for (uint32_t i = 0; i < base->ngpus; i++) {
        if (owner[i] < 0)
            continue;
        const char *type = cfg->gres_list[owner[i]].type;
        add_reported(t, &base->gpus[i], type ? type : base->gpus[i].type);
    }
    for (size_t k = 0; k < cfg->ngres; k++) {
        if (got[k] < cfg->gres_list[k].count && !autodetect_off)
            low_reason(low, lowlen, &cfg->gres_list[k], got[k]);
        fill_in(t, &cfg->gres_list[k], got[k]);
    }
    free(owner);
    free(got);
    return t;
}

/* Distinct types in order of first appearance; returns their count. */
static uint32_t types_of(const topo_t *t, const char **types)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->ngpus; i++) {
        uint32_t k = 0;
        while (k < n && strcmp(types[k], t->gpus[i].type) != 0)
            k++;
        if (k == n)
            types[n++] = t->gpus[i].type;
    }
    return n;
}

/* A GPU of unknown model shows as Slurm shows untyped ones: "gpu:2". */
static int untyped(const char *type)
{
    return strcmp(type, "gpu") == 0;
}

/* snprintf at buf + *at, truncating quietly at len. */
static void appendf(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + (*at < len ? *at : len - 1), *at < len ? len - *at : 1, fmt, ap);
    va_end(ap);
    *at += w > 0 ? (size_t)w : 0;
}

void node_gres_string(const topo_t *t, char *buf, size_t len)
{
    const char **types = malloc((t->ngpus + 1) * sizeof(*types));
    uint32_t nt = types_of(t, types);
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < nt; k++) {
        unsigned count = 0;
        for (uint32_t i = 0; i < t->ngpus; i++)
            count += strcmp(t->gpus[i].type, types[k]) == 0;
        appendf(buf, len, &at, "%sgpu:%s%s%u", k ? "," : "", untyped(types[k]) ? "" : types[k],
                untyped(types[k]) ? "" : ":", count);
    }
    free(types);
}

void node_gres_used_string(const topo_t *t, const idset_t *used, char *buf, size_t len)
{
    const char **types = malloc((t->ngpus + 1) * sizeof(*types));
    uint32_t nt = types_of(t, types);
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < nt; k++) {
        idset_t *mine = idset_create(t->ngpus);
        for (uint32_t i = 0; i < t->ngpus; i++)
            if (strcmp(t->gpus[i].type, types[k]) == 0 && used && i < idset_size(used) &&
                idset_test(used, i))
                idset_set(mine, i);
        char *idx = idset_count(mine) ? idset_encode(mine) : NULL;
        appendf(buf, len, &at, "%sgpu:%s%s%u(IDX:%s)", k ? "," : "",
                untyped(types[k]) ? "" : types[k], untyped(types[k]) ? "" : ":",
                idset_count(mine), idx ? idx : "N/A");
        free(idx);
        idset_destroy(mine);
    }
    free(types);
}
