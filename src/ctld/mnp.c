/* mnp.c: multi-node parallel job definitions: the node ranges, their checks,
 * and the plan the job's driver (src/stepd/mnp_driver.c) follows.  Kept free
 * of the controller's state so that unit tests link it alone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mnp.h"

/* A node index from s (digits only); -1 when s is empty, -2 when invalid. */
static long range_index(const char *s, size_t len)
{
    char buf[24], *end;
    if (!len)
        return -1;
    if (len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
        return -2;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long v = strtol(buf, &end, 10);
    return (*end || errno) ? -2 : v;
}

int mnp_range_parse(const char *text, long num_nodes, long *first, long *last, sl_error_t *e)
{
    if (!text || !*text)
        return sl_errprintf(e, "targetNodes must be a range like 0:1, 2: or :3");
    const char *colon = strchr(text, ':');
    size_t len = strlen(text), head = colon ? (size_t)(colon - text) : len;
    long a = range_index(text, head);
    long b = colon ? range_index(colon + 1, len - head - 1) : a;
    if (a == -2 || b == -2 || (a == -1 && b == -1))
        return sl_errprintf(e, "targetNodes '%s' is not a range like 0:1, 2: or :3", text);
    *first = a < 0 ? 0 : a;
    *last = b < 0 ? num_nodes - 1 : b;
    if (*first > *last)
        return sl_errprintf(e, "targetNodes '%s' ends before it starts", text);
    if (*last >= num_nodes)
        return sl_errprintf(e, "targetNodes '%s' names node %ld but numNodes is %ld", text,
                            *last, num_nodes);
    return 0;
}

static int check_resources(json_t *cp, const char *where, sl_error_t *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cp, "resourceRequirements"), i, v) {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *val = json_string_value(json_object_get(v, "value"));
        if (!type || !val || (strcmp(type, "VCPU") && strcmp(type, "MEMORY") && strcmp(type, "GPU")))
            return sl_errprintf(e, "%s.resourceRequirements entries need type VCPU, MEMORY or "
                                   "GPU and a string value", where);
        if (atol(val) <= 0)
            return sl_errprintf(e, "%s.resourceRequirements %s value '%s' must be a positive "
                                   "number", where, type, val);
    }
    json_array_foreach(json_object_get(cp, "environment"), i, v) {
        if (!json_is_string(json_object_get(v, "name")) ||
            !json_is_string(json_object_get(v, "value")))
            return sl_errprintf(e, "%s.environment entries need a string name and value", where);
    }
    return 0;
}

int mnp_check_container(json_t *cp, const char *where, sl_error_t *e)
{
    size_t i;
    json_t *v;
    if (!json_is_object(cp))
        return sl_errprintf(e, "the definition needs %s holding the command", where);
    if (json_object_get(cp, "image"))
        return sl_errprintf(e, "container images are not supported yet: remove %s.image to run "
                               "the command on the node", where);
    json_t *cmd = json_object_get(cp, "command");
    if (!json_is_array(cmd) || !json_array_size(cmd))
        return sl_errprintf(e, "%s.command must be a non-empty list of strings", where);
    json_array_foreach(cmd, i, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "%s.command must hold strings only", where);
    }
    return check_resources(cp, where, e);
}

/* Each range valid, and every node covered by exactly one. */
static int check_ranges(json_t *ranges, long num, sl_error_t *e)
{
    char *owner = calloc((size_t)num, 1);
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach(ranges, i, r) {
        char where[64];
        long first, last;
        snprintf(where, sizeof(where), "nodeRangeProperties[%zu].container", i);
        const char *t = json_string_value(json_object_get(r, "targetNodes"));
        if (mnp_range_parse(t, num, &first, &last, e) < 0 ||
            mnp_check_container(json_object_get(r, "container"), where, e) < 0) {
            rc = -1;
            break;
        }
        for (long n = first; n <= last && !rc; n++) {
            if (owner[n])
                rc = sl_errprintf(e, "node %ld is in more than one of nodeRangeProperties "
                                     "(targetNodes '%s' and an earlier range)", n, t);
            owner[n] = 1;
        }
        if (rc)
            break;
    }
    for (long n = 0; n < num && !rc; n++) {
        if (!owner[n])
            rc = sl_errprintf(e, "node %ld is in none of nodeRangeProperties: the ranges must "
                                 "cover nodes 0 to %ld", n, num - 1);
    }
    free(owner);
    return rc;
}

int mnp_check(json_t *np, sl_error_t *e)
{
    if (!json_is_object(np))
        return sl_errprintf(e, "a multinode definition needs nodeProperties (numNodes, "
                               "mainNode, nodeRangeProperties)");
    json_t *nn = json_object_get(np, "numNodes"), *mn = json_object_get(np, "mainNode");
    json_t *ranges = json_object_get(np, "nodeRangeProperties");
    if (!json_is_integer(nn) || json_integer_value(nn) < 1 || json_integer_value(nn) > 100000)
        return sl_errprintf(e, "nodeProperties.numNodes must be a whole number of at least 1");
    long num = (long)json_integer_value(nn);
    if (!json_is_integer(mn) || json_integer_value(mn) < 0 || json_integer_value(mn) >= num)
        return sl_errprintf(e, "nodeProperties.mainNode must be a node index from 0 to %ld "
                               "(below numNodes)", num - 1);
    if (!json_is_array(ranges) || !json_array_size(ranges))
        return sl_errprintf(e, "nodeProperties.nodeRangeProperties must be a non-empty list");
    if (json_array_size(ranges) > MNP_MAX_RANGES)
        return sl_errprintf(e, "nodeProperties.nodeRangeProperties has %zu ranges: at most %d",
                            json_array_size(ranges), MNP_MAX_RANGES);
    return check_ranges(ranges, num, e);
}

json_t *mnp_range_of(json_t *np, long i)
{
    long num = (long)json_integer_value(json_object_get(np, "numNodes")), first, last;
    size_t k;
    json_t *r;
    json_array_foreach(json_object_get(np, "nodeRangeProperties"), k, r) {
        const char *t = json_string_value(json_object_get(r, "targetNodes"));
        if (mnp_range_parse(t, num, &first, &last, NULL) == 0 && i >= first && i <= last)
            return r;
    }
    return NULL;
}

long mnp_max_resource(json_t *np, const char *type)
{
    long max = 0;
    size_t k, i;
    json_t *r, *v;
    json_array_foreach(json_object_get(np, "nodeRangeProperties"), k, r) {
        json_t *reqs = json_object_get(json_object_get(r, "container"), "resourceRequirements");
        json_array_foreach(reqs, i, v) {
            const char *val = json_string_value(json_object_get(v, "value"));
            if (!strcmp(json_string_value(json_object_get(v, "type")), type) && atol(val) > max)
                max = atol(val);
        }
    }
    return max;
}

/* One range of the plan: its nodes, command (parameters resolved),
 * environment and resources. */
static json_t *plan_range(json_t *r, long num, json_t *overrides, mnp_subst_fn subst, void *arg,
                          sl_error_t *e)
{
    json_t *cp = json_object_get(r, "container"), *cmd = json_array(), *env = json_object(), *v;
    long first = 0, last = 0;
    size_t i;
    mnp_range_parse(json_string_value(json_object_get(r, "targetNodes")), num, &first, &last, e);
    json_t *out = json_pack("{s:I, s:I, s:o, s:o, s:I, s:I}", "first", (json_int_t)first,
                            "last", (json_int_t)last, "command", cmd, "env", env,
                            "vcpus", (json_int_t)0, "mem_mb", (json_int_t)0);
    json_array_foreach(json_object_get(cp, "command"), i, v) {
        char *word = subst(json_string_value(v), arg, e);
        if (!word) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(cmd, json_string(word));
        free(word);
    }
    json_array_foreach(json_object_get(cp, "environment"), i, v)
        json_object_set(env, json_string_value(json_object_get(v, "name")),
                        json_object_get(v, "value"));
    if (json_is_object(overrides))
        json_object_update(env, overrides);
    json_array_foreach(json_object_get(cp, "resourceRequirements"), i, v) {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *key = !strcmp(type, "VCPU") ? "vcpus" : !strcmp(type, "MEMORY") ? "mem_mb" : NULL;
        if (key)
            json_object_set_new(out, key, json_integer(atol(json_string_value(json_object_get(v, "value")))));
    }
    return out;
}

char *mnp_plan(json_t *np, json_t *overrides, mnp_subst_fn subst, void *arg, sl_error_t *e)
{
    long num = (long)json_integer_value(json_object_get(np, "numNodes"));
    json_t *ranges = json_array(), *r;
    json_t *plan = json_pack("{s:I, s:I, s:o}", "num_nodes", (json_int_t)num, "main_node",
                             json_integer_value(json_object_get(np, "mainNode")), "ranges", ranges);
    size_t i;
    char *text = NULL;
    json_array_foreach(json_object_get(np, "nodeRangeProperties"), i, r) {
        json_t *pr = plan_range(r, num, overrides, subst, arg, e);
        if (!pr)
            break;
        json_array_append_new(ranges, pr);
    }
    if (json_array_size(ranges) == json_array_size(json_object_get(np, "nodeRangeProperties")))
        text = json_dumps(plan, JSON_COMPACT);
    json_decref(plan);
    return text;
}
