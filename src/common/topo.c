/* topo.c: a node's processors and GPUs (topo.h). */
#include <stdlib.h>
#include <string.h>
#include "topo.h"

topo_t *topo_synth(uint32_t sockets, uint32_t cores, uint32_t threads, sl_error_t *e)
{
    if (!sockets || !cores || !threads) {
        sl_errprintf(e, "topology: sockets, cores and threads must all be at least 1");
        return NULL;
    }
    uint64_t n = (uint64_t)sockets * cores * threads;
    if (n > TOPO_MAX_CPUS) {
        sl_errprintf(e, "topology: %llu CPUs is more than %d", (unsigned long long)n,
                     TOPO_MAX_CPUS);
        return NULL;
    }
    topo_t *t = calloc(1, sizeof(*t));
    t->sockets = sockets;
    t->cores_per_socket = cores;
    t->threads_per_core = threads;
    t->ncpus = (uint32_t)n;
    t->os_index = malloc(n * sizeof(*t->os_index));
    for (uint32_t i = 0; i < t->ncpus; i++)
        t->os_index[i] = i;
    return t;
}

static void gpu_clear(struct topo_gpu *g)
{
    free(g->type);
    free(g->vendor);
    free(g->name);
    free(g->bus_id);
    idset_destroy(g->cpus);
}

void topo_destroy(topo_t *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->ngpus; i++)
        gpu_clear(&t->gpus[i]);
    free(t->gpus);
    free(t->os_index);
    free(t);
}

int topo_add_gpu(topo_t *t, const char *type, const char *vendor, const char *name,
                 const char *bus_id, int32_t minor, const idset_t *cpus, sl_error_t *e)
{
    if (t->ngpus >= TOPO_MAX_GPUS) {
        sl_errprintf(e, "topology: more than %d GPUs", TOPO_MAX_GPUS);
        return -1;
    }
    if (cpus && idset_count(cpus) && idset_last(cpus) >= t->ncpus) {
        sl_errprintf(e, "topology: GPU %s is local to CPU %u, the node has %u", bus_id,
                     idset_last(cpus), t->ncpus);
        return -1;
    }
    t->gpus = realloc(t->gpus, (t->ngpus + 1) * sizeof(*t->gpus));
    struct topo_gpu *g = &t->gpus[t->ngpus++];
    g->type = strdup(type && *type ? type : "gpu");
    g->vendor = strdup(vendor ? vendor : "other");
    g->name = strdup(name ? name : "");
    g->bus_id = strdup(bus_id ? bus_id : "");
    g->minor = minor;
    g->cpus = idset_create(t->ncpus);
    for (uint32_t i = 0; i < t->ncpus; i++) {
        if (!cpus || (i < idset_size(cpus) && idset_test(cpus, i)))
            idset_set(g->cpus, i);
    }
    return 0;
}

topo_t *topo_copy(const topo_t *t)
{
    topo_t *c = topo_synth(t->sockets, t->cores_per_socket, t->threads_per_core, NULL);
    memcpy(c->os_index, t->os_index, t->ncpus * sizeof(*c->os_index));
    for (uint32_t i = 0; i < t->ngpus; i++) {
        const struct topo_gpu *g = &t->gpus[i];
        topo_add_gpu(c, g->type, g->vendor, g->name, g->bus_id, g->minor, g->cpus, NULL);
    }
    return c;
}

json_t *topo_to_json(const topo_t *t)
{
    json_t *os = json_array();
    for (uint32_t i = 0; i < t->ncpus; i++)
        json_array_append_new(os, json_integer(t->os_index[i]));
    json_t *gpus = json_array();
    for (uint32_t i = 0; i < t->ngpus; i++) {
        const struct topo_gpu *g = &t->gpus[i];
        char *cpus = idset_encode(g->cpus);
        json_array_append_new(gpus, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "type", g->type,
                                              "vendor", g->vendor, "name", g->name, "bus_id",
                                              g->bus_id, "minor", (int)g->minor, "cpus", cpus));
        free(cpus);
    }
    return json_pack("{s:i, s:i, s:i, s:o, s:o}", "sockets", (int)t->sockets,
                     "cores_per_socket", (int)t->cores_per_socket, "threads_per_core",
                     (int)t->threads_per_core, "os_index", os, "gpus", gpus);
}

static int count_field(const json_t *v, const char *key, uint32_t *out, sl_error_t *e)
{
    json_t *x = json_object_get(v, key);
    if (!json_is_integer(x) || json_integer_value(x) < 1 ||
        json_integer_value(x) > TOPO_MAX_CPUS) {
        sl_errprintf(e, "topology: \"%s\" must be an integer from 1 to %d", key, TOPO_MAX_CPUS);
        return -1;
    }
    *out = (uint32_t)json_integer_value(x);
    return 0;
}

static int os_index_from_json(topo_t *t, const json_t *os, sl_error_t *e)
{
    if (!json_is_array(os) || json_array_size(os) != t->ncpus) {
        sl_errprintf(e, "topology: \"os_index\" must list %u CPUs", t->ncpus);
        return -1;
    }
    idset_t *seen = idset_create(TOPO_MAX_CPUS * 4);
    int rc = 0;
    for (uint32_t i = 0; i < t->ncpus && rc == 0; i++) {
        json_t *x = json_array_get(os, i);
        json_int_t v = json_is_integer(x) ? json_integer_value(x) : -1;
        if (v < 0 || v >= TOPO_MAX_CPUS * 4 || idset_test(seen, (uint32_t)v)) {
            sl_errprintf(e, "topology: \"os_index\"[%u] is not a new CPU index", i);
            rc = -1;
        } else {
            idset_set(seen, (uint32_t)v);
            t->os_index[i] = (uint32_t)v;
        }
    }
    idset_destroy(seen);
    return rc;
}

static int gpu_from_json(topo_t *t, const json_t *g, uint32_t k, sl_error_t *e)
{
    const char *keys[] = { "type", "vendor", "name", "bus_id", "cpus" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!json_is_string(json_object_get(g, keys[i]))) {
            sl_errprintf(e, "topology: GPU %u: \"%s\" must be a string", k, keys[i]);
            return -1;
        }
    }
    json_t *minor = json_object_get(g, "minor");
    if (!json_is_integer(minor) || json_integer_value(minor) < 0 ||
        json_integer_value(minor) >= TOPO_MAX_GPUS) {
        sl_errprintf(e, "topology: GPU %u: \"minor\" must be an integer from 0 to %d", k,
                     TOPO_MAX_GPUS - 1);
        return -1;
    }
    sl_error_t ie = { "" };
    idset_t *cpus = idset_decode(json_string_value(json_object_get(g, "cpus")), t->ncpus, NULL,
                                 &ie);
    if (!cpus) {
        sl_errprintf(e, "topology: GPU %u: \"cpus\": %s", k, ie.text);
        return -1;
    }
    int rc = topo_add_gpu(t, json_string_value(json_object_get(g, "type")),
                          json_string_value(json_object_get(g, "vendor")),
                          json_string_value(json_object_get(g, "name")),
                          json_string_value(json_object_get(g, "bus_id")),
                          (int32_t)json_integer_value(minor), cpus, e);
    idset_destroy(cpus);
    return rc;
}

topo_t *topo_from_json(const json_t *v, sl_error_t *e)
{
    uint32_t s, k, th;
    if (!json_is_object(v)) {
        sl_errprintf(e, "topology: not an object");
        return NULL;
    }
    if (count_field(v, "sockets", &s, e) || count_field(v, "cores_per_socket", &k, e) ||
        count_field(v, "threads_per_core", &th, e))
        return NULL;
    topo_t *t = topo_synth(s, k, th, e);
    if (!t)
        return NULL;
    if (os_index_from_json(t, json_object_get(v, "os_index"), e) < 0)
        goto fail;
    json_t *gpus = json_object_get(v, "gpus");
    if (gpus && !json_is_array(gpus)) {
        sl_errprintf(e, "topology: \"gpus\" must be an array");
        goto fail;
    }
    size_t i;
    json_t *g;
    json_array_foreach(gpus, i, g) {
        if (!json_is_object(g)) {
            sl_errprintf(e, "topology: GPU %zu is not an object", i);
            goto fail;
        }
        if (gpu_from_json(t, g, (uint32_t)i, e) < 0)
            goto fail;
    }
    return t;
fail:
    topo_destroy(t);
    return NULL;
}

char *topo_os_list(const topo_t *t, const idset_t *logical)
{
    uint32_t max = 0;
    for (uint32_t i = 0; i < t->ncpus; i++)
        max = t->os_index[i] > max ? t->os_index[i] : max;
    idset_t *os = idset_create(max + 1);
    for (uint32_t i = idset_first(logical); i != IDSET_NONE && i < t->ncpus;
         i = idset_next(logical, i))
        idset_set(os, t->os_index[i]);
    char *s = idset_encode(os);
    idset_destroy(os);
    return s;
}
