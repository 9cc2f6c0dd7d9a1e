/* jobdef_apply.c: turn a submission that names a job definition into a full
 * job spec.  What the submission states wins; the definition fills the rest. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "mnp.h"

/* A growable string. */
struct buf {
    char *s;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static json_t *def_find(struct ctld *c, const char *ref, sl_error_t *e)
{
    char name[160];
    int rev = 0;
    const char *colon = strchr(ref, ':');
    snprintf(name, sizeof(name), "%.*s", (int)(colon ? (size_t)(colon - ref) : strlen(ref)), ref);
    if (colon && (rev = atoi(colon + 1)) < 1) {
        sl_errprintf(e, "invalid job definition '%s': the revision must be a positive number", ref);
        return NULL;
    }
    /* With a revision: that one whatever its status; without: the newest ACTIVE. */
    json_t *list = db_jobdef_list(c->db, name, rev, 0);
    json_t *pick = json_array_get(list, json_array_size(list) - 1), *out = NULL;
    if (!pick)
        sl_errprintf(e, "job definition '%s' does not exist%s", ref,
                     rev ? "" : " or has no ACTIVE revision");
    else if (strcmp(json_string_value(json_object_get(pick, "status")), "ACTIVE") != 0)
        sl_errprintf(e, "job definition %s is INACTIVE and cannot be used for new jobs", ref);
    else
        out = json_incref(pick);
    json_decref(list);
    return out;
}

/* Replace every Ref::KEY in s from params. */
static char *substitute(const char *s, json_t *params, sl_error_t *e)
{
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    while (*s) {
        const char *ref = strstr(s, "Ref::");
        if (!ref) {
            buf_add(&b, s, strlen(s));
            break;
        }
        buf_add(&b, s, (size_t)(ref - s));
        const char *key = ref + 5, *end = key;
        while (*end && (isalnum((unsigned char)*end) || *end == '_' || *end == '-'))
            end++;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(end - key), key);
        const char *val = json_string_value(json_object_get(params, name));
        if (!val) {
            free(b.s);
            sl_errprintf(e, "unresolved parameter Ref::%s: give it with --param %s=VALUE", name,
                         name);
            return NULL;
        }
        buf_add(&b, val, strlen(val));
        s = end;
    }
    return b.s;
}

/* "#!/bin/sh\nexec 'a' 'b c'\n" from the command words. */
static char *script_from(json_t *cmd, json_t *params, char **display, sl_error_t *e)
{
    struct buf b = { 0 }, d = { 0 };
    size_t i;
    json_t *v;
    buf_add(&b, "#!/bin/sh\nexec", 14);
    buf_add(&d, "", 0);
    json_array_foreach(cmd, i, v) {
        char *word = json_is_string(v) ? substitute(json_string_value(v), params, e) : NULL;
        if (!word) {
            free(b.s);
            free(d.s);
            return json_is_string(v) ? NULL : (sl_errprintf(e, "command words must be strings"), NULL);
        }
        buf_add(&b, " '", 2);
        for (const char *p = word; *p; p++)
            buf_add(&b, *p == '\'' ? "'\\''" : p, *p == '\'' ? 4 : 1);
        buf_add(&b, "'", 1);
        if (d.len)
            buf_add(&d, " ", 1);
        buf_add(&d, word, strlen(word));
        free(word);
    }
    buf_add(&b, "\n", 1);
    *display = d.s;
    return b.s;
}

static void set_default(json_t *spec, const char *key, json_t *value);
static void apply_env(json_t *out, json_t *cp);

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif
/* The driver from the job's PATH (a build tree's in tests), else as installed. */
#define MNP_SCRIPT "#!/bin/sh\nexec \"$(command -v sluice-mnp || echo " BINDIR "/sluice-mnp)\"\n"

static char *subst_word(const char *word, void *params, sl_error_t *e)
{
    return substitute(word, params, e);
}

/* A multinode job: an allocation of numNodes nodes, one task on each, with
 * the CPUs and memory of its largest range; its script is the driver, which
 * starts each node's process as a step following the plan. */
/* What a submission may not change of a multinode job. */
static int multinode_spec_check(json_t *spec, json_int_t nn, sl_error_t *e)
{
    json_int_t nmin = json_integer_value(json_object_get(spec, "nodes_min"));
    json_int_t nmax = json_integer_value(json_object_get(spec, "nodes_max"));
    json_int_t tasks = json_integer_value(json_object_get(spec, "ntasks"));
    json_int_t tpn = json_integer_value(json_object_get(spec, "ntasks_per_node"));
    if (json_object_get(spec, "array"))
        return sl_errprintf(e, "array jobs of multinode job definitions are not supported "
                               "(AWS Batch refuses them too)");
    if (json_object_get(spec, "script") || json_array_size(json_object_get(spec, "command_override")))
        return sl_errprintf(e, "a multinode job definition runs each node range's own command: "
                               "a script or command on the command line is not supported");
    if ((nmin && nmin != nn) || (nmax && nmax != nn))
        return sl_errprintf(e, "the multinode job definition asks for %lld nodes (numNodes): "
                               "--nodes cannot change that", (long long)nn);
    if ((tasks && tasks != nn) || (tpn && tpn != 1))
        return sl_errprintf(e, "a multinode job runs one process per node: --ntasks and "
                               "--ntasks-per-node cannot change that");
    return 0;
}

static int apply_multinode(json_t *out, json_t *spec, json_t *def, json_t *params, sl_error_t *e)
{
    json_t *np = json_object_get(def, "nodeProperties");
    json_int_t nn = json_integer_value(json_object_get(np, "numNodes"));
    if (multinode_spec_check(spec, nn, e) < 0)
        return -1;
    char *plan = mnp_plan(np, json_object_get(spec, "env_overrides"), subst_word, params, e);
    if (!plan)
        return -1;
    json_object_set_new(out, "nodes_min", json_integer(nn));
    json_object_set_new(out, "nodes_max", json_integer(nn));
    json_object_set_new(out, "ntasks_per_node", json_integer(1));
    json_object_set_new(out, "ntasks", json_integer(nn));
    long v = mnp_max_resource(np, "VCPU"), m = mnp_max_resource(np, "MEMORY");
    set_default(out, "cpus_per_task", v ? json_integer(v) : NULL);
    set_default(out, "mem_mb", m ? json_integer(m) : NULL);
    json_object_set_new(out, "script", json_string(MNP_SCRIPT));
    json_t *main_range = mnp_range_of(np, (long)json_integer_value(json_object_get(np, "mainNode")));
    char *display = NULL, *s = script_from(json_object_get(json_object_get(main_range, "container"),
                                                         "command"), params, &display, e);
    if (display)
        json_object_set_new(out, "command", json_string(display));
    free(s);
    free(display);
    apply_env(out, NULL);   /* each range's environment is set by the driver */
    json_object_set_new(json_object_get(out, "env"), MNP_PLAN_VAR, json_string(plan));
    free(plan);
    return 0;
}

static void set_default(json_t *spec, const char *key, json_t *value)
{
    json_t *cur = json_object_get(spec, key);
    if (value && (!cur || json_is_null(cur) || (json_is_integer(cur) && !json_integer_value(cur))))
        json_object_set(spec, key, value);
    json_decref(value);
}

static int apply_resources(json_t *out, json_t *cp, sl_error_t *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cp, "resourceRequirements"), i, v) {
        const char *type = json_string_value(json_object_get(v, "type"));
        json_int_t n = atoll(json_string_value(json_object_get(v, "value")));
        /* AWS Batch's GPU is a count per container, i.e. per node. */
        const char *key = !strcmp(type, "VCPU") ? "cpus_per_task"
                          : !strcmp(type, "GPU") ? "gpus_per_node" : "mem_mb";
        set_default(out, key, json_integer(n));
    }
    return 0;
}

static void apply_retry(json_t *out, json_t *def)
{
    json_t *rs = json_object_get(def, "retryStrategy"), *rules = json_array(), *r;
    size_t i;
    json_int_t attempts = json_integer_value(json_object_get(rs, "attempts"));
    if (attempts > 0)
        set_default(out, "attempts", json_integer(attempts));
    json_array_foreach(json_object_get(rs, "evaluateOnExit"), i, r) {
        char text[1024];
        int n = snprintf(text, sizeof(text), "%s", json_string_value(json_object_get(r, "action")));
        const char *keys[] = { "onExitCode", "onReason", "onStatusReason" };
        for (size_t k = 0; k < 3; k++) {
            const char *pat = json_string_value(json_object_get(r, keys[k]));
            if (pat && n > 0 && (size_t)n < sizeof(text))
                n += snprintf(text + n, sizeof(text) - (size_t)n, ",%s=%s", keys[k], pat);
        }
        json_array_append_new(rules, json_string(text));
    }
    if (!json_object_get(out, "retry_rules") && json_array_size(rules))
        json_object_set(out, "retry_rules", rules);
    json_decref(rules);
    json_int_t t = json_integer_value(json_object_get(json_object_get(def, "timeout"),
                                                      "attemptDurationSeconds"));
    if (t && !json_object_get(out, "time_limit"))
        json_object_set_new(out, "time_limit", json_integer(t));
}

static void apply_env(json_t *out, json_t *cp)
{
    json_t *env = json_object_get(out, "env"), *v, *over = json_object_get(out, "env_overrides");
    size_t i;
    const char *k;
    if (!json_is_object(env))
        json_object_set_new(out, "env", env = json_object());
    json_array_foreach(json_object_get(cp, "environment"), i, v)
        json_object_set(env, json_string_value(json_object_get(v, "name")), json_object_get(v, "value"));
    json_object_foreach(over, k, v) json_object_set(env, k, v);
}

/* What every job of a definition gets: retries, timeout, name, the label. */
static void apply_common(json_t *out, json_t *entry)
{
    json_t *def = json_object_get(entry, "definition");
    char label[200];
    apply_retry(out, def);
    if (!json_object_get(out, "name"))
        json_object_set(out, "name", json_object_get(def, "jobDefinitionName"));
    snprintf(label, sizeof(label), "%s:%d", json_string_value(json_object_get(entry, "name")),
             (int)json_integer_value(json_object_get(entry, "revision")));
    json_object_set_new(out, "job_definition", json_string(label));
}

static json_t *apply_finish(json_t *out, json_t *entry, json_t *params, int rc)
{
    if (rc == 0)
        apply_common(out, entry);
    json_decref(params);
    json_decref(entry);
    if (rc < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *jobdef_apply(struct ctld *c, json_t *spec, sl_error_t *e)
{
    const char *ref = json_string_value(json_object_get(spec, "job_definition"));
    if (!ref) {
        sl_errprintf(e, "job_definition must be a string NAME[:REVISION]");
        return NULL;
    }
    json_t *entry = def_find(c, ref, e);
    if (!entry)
        return NULL;
    json_t *def = json_object_get(entry, "definition"), *cp = NULL;
    json_t *out = json_deep_copy(spec), *params = json_deep_copy(json_object_get(def, "parameters"));
    char *display = NULL;
    if (!params)
        params = json_object();
    json_object_update(params, json_object_get(spec, "parameters"));
    if (json_object_get(def, "nodeProperties"))
        return apply_finish(out, entry, params, apply_multinode(out, spec, def, params, e));
    cp = json_object_get(def, "containerProperties");
    json_t *cmd = json_array_size(json_object_get(spec, "command_override"))
                      ? json_object_get(spec, "command_override") : json_object_get(cp, "command");
    char *script = json_object_get(spec, "script") ? NULL : script_from(cmd, params, &display, e);
    int rc = (!json_object_get(spec, "script") && !script) ? -1 : apply_resources(out, cp, e);
    if (rc == 0) {
        if (script)
            json_object_set_new(out, "script", json_string(script));
        if (display)
            json_object_set_new(out, "command", json_string(display));
        apply_env(out, cp);
    }
    free(script);
    free(display);
    return apply_finish(out, entry, params, rc);
}
