/* elastic.c: the instance-type catalogue, the strategies' order of types and
 * the vCPU budget (elastic.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "elastic.h"

static int type_parse(json_t *o, size_t i, struct elastic_type *t, sl_error_t *e)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *gt = json_string_value(json_object_get(o, "gpu_type"));
    json_int_t vcpus = json_integer_value(json_object_get(o, "vcpus"));
    json_int_t mem = json_integer_value(json_object_get(o, "memory_mb"));
    json_int_t gpus = json_integer_value(json_object_get(o, "gpus"));
    if (!name || !*name || strlen(name) >= sizeof(t->name))
        return sl_errprintf(e, "types[%zu]: \"name\" must be a short string", i);
    if (vcpus < 1 || vcpus > 100000 || mem < 1 || gpus < 0 || gpus > 64)
        return sl_errprintf(e, "type %s: \"vcpus\" and \"memory_mb\" must be positive "
                               "integers, \"gpus\" 0 to 64", name);
    if (gpus && (!gt || !*gt || strlen(gt) >= sizeof(t->gpu_type)))
        return sl_errprintf(e, "type %s: a type with GPUs needs a short \"gpu_type\"", name);
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    if (gpus)
        snprintf(t->gpu_type, sizeof(t->gpu_type), "%s", gt);
    t->vcpus = (uint32_t)vcpus;
    t->memory_mb = (uint64_t)mem;
    t->gpus = (uint32_t)gpus;
    t->price = json_number_value(json_object_get(o, "price"));
    t->spot_price = json_number_value(json_object_get(o, "spot_price"));
    t->spot_score = json_number_value(json_object_get(o, "spot_score"));
    if (t->price <= 0 || t->spot_price <= 0 || t->spot_score < 1 || t->spot_score > 10)
        return sl_errprintf(e, "type %s: \"price\" and \"spot_price\" must be positive, "
                               "\"spot_score\" from 1 to 10", name);
    return 0;
}

int elastic_catalog_parse(json_t *doc, struct elastic_type **out, size_t *n, sl_error_t *e)
{
    json_t *types = json_object_get(doc, "types");
    size_t count = json_array_size(types);
    *out = NULL;
    *n = 0;
    if (!json_is_array(types) || count == 0)
        return sl_errprintf(e, "no \"types\" array");
    struct elastic_type *t = calloc(count, sizeof(*t));
    if (!t)
        return sl_errprintf(e, "out of memory");
    for (size_t i = 0; i < count; i++) {
        if (type_parse(json_array_get(types, i), i, &t[i], e) < 0) {
            free(t);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(t[k].name, t[i].name) == 0) {
                sl_errprintf(e, "type %s is listed twice", t[i].name);
                free(t);
                return -1;
            }
        }
    }
    *out = t;
    *n = count;
    return 0;
}

/* A strategy's cost of a type: lower is preferred. */
static double type_cost(const struct elastic_type *t, int strategy)
{
    switch (strategy) {
    case ES_SPOT_CAPACITY_OPTIMIZED:
        return -t->spot_score;
    case ES_SPOT_PRICE_CAPACITY_OPTIMIZED:
        return t->spot_price / t->spot_score;
    default:
        return t->price;
    }
}

/* Does a come before b? */
static int type_before(const struct elastic_type *a, const struct elastic_type *b, int strategy)
{
    double ca = type_cost(a, strategy), cb = type_cost(b, strategy);
    if (ca != cb)
        return ca < cb;
    if (strategy == ES_SPOT_CAPACITY_OPTIMIZED && a->spot_price != b->spot_price)
        return a->spot_price < b->spot_price;
    if (a->vcpus != b->vcpus)
        return a->vcpus < b->vcpus;
    return strcmp(a->name, b->name) < 0;
}

void elastic_rank(const struct elastic_type *t, size_t n, int strategy, size_t *ord)
{
    for (size_t k = 0; k < n; k++) {       /* insertion sort: a few types */
        size_t i = k;
        for (; i > 0 && type_before(&t[k], &t[ord[i - 1]], strategy); i--)
            ord[i] = ord[i - 1];
        ord[i] = k;
    }
}

long elastic_pick(const struct elastic_type *t, const size_t *ord, size_t n, uint32_t cpus,
                  uint64_t mem_mb, uint32_t gpus)
{
    for (size_t i = 0; i < n; i++) {
        const struct elastic_type *x = &t[ord[i]];
        if (x->vcpus >= cpus && x->memory_mb >= mem_mb && x->gpus >= gpus)
            return (long)ord[i];
    }
    return -1;
}

int elastic_budget_allows(int strategy, uint32_t cur, uint32_t max, const uint32_t *add,
                          size_t nadd)
{
    uint64_t total = cur;
    for (size_t i = 0; i < nadd; i++)
        total += add[i];
    if (nadd == 0)
        return 1;
    if (strategy == ES_BEST_FIT)
        return total <= max;
    return total - add[nadd - 1] < max;
}

uint32_t elastic_names_for(int strategy, uint32_t max_vcpus, uint32_t type_vcpus)
{
    if (!type_vcpus)
        return 0;
    uint32_t n = max_vcpus / type_vcpus;
    if (strategy != ES_BEST_FIT && max_vcpus % type_vcpus)
        n++;          /* the one instance that may pass MaxvCPUs */
    return n > ELASTIC_MAX_PER_TYPE ? ELASTIC_MAX_PER_TYPE : n;
}

/* Do count instances of v vCPUs fit the budget by the strategy's rule? */
static int count_allowed(int strategy, uint32_t cur, uint32_t max, uint32_t v, uint32_t count)
{
    uint64_t total = (uint64_t)cur + (uint64_t)v * count;
    if (!count)
        return 1;
    if (strategy == ES_BEST_FIT)
        return total <= max;
    return total - v < max;
}

long elastic_choose(int strategy, const uint32_t *vcpus, const int *fits, size_t n,
                    uint32_t count, uint32_t cur, uint32_t max, int *allowed)
{
    long first = -1, over = -1;
    *allowed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fits[i])
            continue;
        if (first < 0)
            first = (long)i;
        if (strategy != ES_BEST_FIT_PROGRESSIVE)
            break;
        if ((uint64_t)cur + (uint64_t)vcpus[i] * count <= max) {
            *allowed = 1;
            return (long)i;
        }
        if (over < 0 && count_allowed(strategy, cur, max, vcpus[i], count))
            over = (long)i;
    }
    if (first < 0)
        return -1;
    if (strategy == ES_BEST_FIT_PROGRESSIVE && over >= 0) {
        *allowed = 1;
        return over;
    }
    *allowed = count_allowed(strategy, cur, max, vcpus[first], count);
    return first;
}
