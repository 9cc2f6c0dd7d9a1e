/* scontrol_jobdef.c: job definitions (the AWS Batch model):
 *   register jobdefinition file=DEF.json      prints name:revision
 *   show jobdefinition [NAME[:REV]]           Key=Value records
 *   deregister jobdefinition NAME:REV         marks the revision INACTIVE
 * A definition is the AWS RegisterJobDefinition JSON as registered; the
 * records show its fields under Slurm-style names. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "jobdef_file.h"
#include "jobfmt.h"
#include "parse.h"
#include "scontrol.h"

#define NL JOBFMT_KV_NEWLINE
#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

/* The definition's object at a key, or at containerProperties.key. */
static json_t *def(const json_t *r, const char *key)
{
    return json_object_get(json_object_get(r, "definition"), key);
}

/* A multinode definition has no containerProperties: its first node range's
 * container stands for it, as in the controller (ctld/jobdef.c). */
static json_t *container(const json_t *r, const char *key)
{
    json_t *cp = def(r, "containerProperties");
    if (!cp)
        cp = json_object_get(json_array_get(json_object_get(def(r, "nodeProperties"),
                                                            "nodeRangeProperties"), 0),
                             "container");
    return json_object_get(cp, key);
}

/* Append to buf at *n, never past len. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *n += (size_t)vsnprintf(buf + *n, *n < len ? len - *n : 0, fmt, ap);
    va_end(ap);
}

/* A word as a shell would need it: quoted when it holds a blank or quote. */
static void put_word(char *buf, size_t len, size_t *n, const char *w, int first)
{
    if (*w && !strpbrk(w, " \t'\"\\$"))
        put(buf, len, n, "%s%s", first ? "" : " ", w);
    else
        put(buf, len, n, "%s'%s'", first ? "" : " ", w);
}

GET(get_name) { snprintf(buf, len, "%s", cmd_str(r, "name")); }
GET(get_status) { snprintf(buf, len, "%s", cmd_str(r, "status")); }

GET(get_type)
{
    const char *t = json_string_value(def(r, "type"));
    snprintf(buf, len, "%s", t ? t : "single");
}

GET(get_command)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(container(r, "command"), i, v)
        put_word(buf, len, &n, json_string_value(v) ? json_string_value(v) : "", i == 0);
    if (n == 0)
        snprintf(buf, len, "(null)");
}

/* An object of strings as k=v,k=v (parameters, tags). */
static void kv_list(const json_t *obj, char *buf, size_t len)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach((json_t *)obj, k, v)
        put(buf, len, &n, "%s%s=%s", n ? "," : "", k,
            json_string_value(v) ? json_string_value(v) : "");
    if (n == 0)
        snprintf(buf, len, "(null)");
}

GET(get_params) { kv_list(def(r, "parameters"), buf, len); }
GET(get_tags) { kv_list(def(r, "tags"), buf, len); }

/* environment: [{"name": N, "value": V}, ...] */
GET(get_env)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(container(r, "environment"), i, v)
        put(buf, len, &n, "%s%s=%s", n ? "," : "", cmd_str(v, "name"), cmd_str(v, "value"));
    if (n == 0)
        snprintf(buf, len, "(null)");
}

/* resourceRequirements [{"type": "VCPU", "value": "4"}], else the older
 * containerProperties.vcpus / memory fields. */
static void resource(const json_t *r, const char *type, const char *legacy, char *buf,
                     size_t len)
{
    json_t *v;
    size_t i;
    json_array_foreach(container(r, "resourceRequirements"), i, v) {
        if (strcasecmp(cmd_str(v, "type"), type) == 0) {
            snprintf(buf, len, "%s", cmd_str(v, "value"));
            return;
        }
    }
    if (legacy && json_is_integer(container(r, legacy)))
        snprintf(buf, len, "%lld", (long long)json_integer_value(container(r, legacy)));
}

GET(get_vcpus) { resource(r, "VCPU", "vcpus", buf, len); }
GET(get_memory) { resource(r, "MEMORY", "memory", buf, len); }
GET(get_gpus) { resource(r, "GPU", NULL, buf, len); }

GET(get_attempts)
{
    json_t *a = json_object_get(def(r, "retryStrategy"), "attempts");
    snprintf(buf, len, "%lld", json_is_integer(a) ? (long long)json_integer_value(a) : 1LL);
}

/* evaluateOnExit as --retry-rule spells it, rules separated by ';'. */
GET(get_rules)
{
    static const char *const keys[] = { "onExitCode", "onReason", "onStatusReason" };
    json_t *rule;
    size_t i, n = 0;
    json_array_foreach(json_object_get(def(r, "retryStrategy"), "evaluateOnExit"), i, rule) {
        put(buf, len, &n, "%s%s", i ? ";" : "", cmd_str(rule, "action"));
        for (size_t k = 0; k < 3; k++)
            if (json_is_string(json_object_get(rule, keys[k])))
                put(buf, len, &n, ",%s=%s", keys[k], cmd_str(rule, keys[k]));
    }
}

GET(get_timeout)
{
    json_t *t = json_object_get(def(r, "timeout"), "attemptDurationSeconds");
    jobfmt_hms(json_is_integer(t) ? (int64_t)json_integer_value(t) : -1, buf, len);
}

GET(get_priority)
{
    json_t *p = def(r, "schedulingPriority");
    if (json_is_integer(p))
        snprintf(buf, len, "%lld", (long long)json_integer_value(p));
}

GET(get_nodes)
{
    json_t *n = json_object_get(def(r, "nodeProperties"), "numNodes");
    if (json_is_integer(n))
        snprintf(buf, len, "%lld", (long long)json_integer_value(n));
}

GET(get_registered) { format_datetime(cmd_int(r, "registered_time"), buf, len); }

static const struct jobfmt_kv jobdef_kv[] = {
    { "JobDefinitionName", NULL, get_name, 0 }, { "Revision", "revision", NULL, 0 },
    { "Status", NULL, get_status, 0 },          { "Type", NULL, get_type, 0 },
    { "Command", NULL, get_command, NL },
    { "Parameters", NULL, get_params, NL },
    { "Vcpus", NULL, get_vcpus, NL },           { "Memory", NULL, get_memory, 0 },
    { "Gpus", NULL, get_gpus, 0 },              { "NumNodes", NULL, get_nodes, 0 },
    { "Attempts", NULL, get_attempts, NL },     { "RetryRules", NULL, get_rules, 0 },
    { "Timeout", NULL, get_timeout, NL },       { "SchedulingPriority", NULL, get_priority, 0 },
    { "Environment", NULL, get_env, NL },
    { "Tags", NULL, get_tags, NL },
    { "RegisteredTime", NULL, get_registered, NL },
};

static int is_jobdef_word(const char *w)
{
    return !strcasecmp(w, "jobdefinition") || !strcasecmp(w, "jobdefinitions")
           || !strcasecmp(w, "jobdef");
}

/* NAME or NAME:REV into body's "name" and "revision"; rev_required for
 * deregister. */
static void name_rev(const char *arg, int rev_required, json_t *body)
{
    const char *colon = strrchr(arg, ':');
    long rev;
    char *name;
    if (colon && parse_int(colon + 1, 1, INT32_MAX, "revision", &rev, NULL) < 0)
        cmd_die("Invalid job definition '%s': the revision after ':' must be a positive "
                "number", arg);
    if (!colon && rev_required)
        cmd_die("Invalid job definition '%s': give NAME:REVISION", arg);
    if (!(name = strndup(arg, colon ? (size_t)(colon - arg) : strlen(arg))) || !*name)
        cmd_die("Invalid job definition '%s': the name is empty", arg);
    json_object_set_new(body, "name", json_string(name));
    if (colon)
        json_object_set_new(body, "revision", json_integer(rev));
    free(name);
}

int scontrol_show_jobdef(const struct scontrol_opts *o, const char *arg)
{
    json_t *body = json_object(), *reply, *defs;
    if (arg)
        name_rev(arg, 0, body);
    /* A revision asked for by number is shown even when INACTIVE. */
    if (o->all || json_object_get(body, "revision"))
        json_object_set_new(body, "all", json_true());
    reply = cmd_call("jobdef_list", body);
    defs = json_object_get(reply, "definitions");
    if (json_array_size(defs) == 0 && arg)
        cmd_die("Job definition %s not found", arg);
    if (json_array_size(defs) == 0)
        printf("No job definitions registered\n");
    scontrol_print_records(o, defs, KV(jobdef_kv));
    json_decref(reply);
    return 0;
}

int scontrol_register(const struct scontrol_opts *o, int argc, char **argv)
{
    sl_error_t e;
    json_t *d, *reply;
    if (argc < 1 || !is_jobdef_word(argv[0]))
        cmd_die("register what? (register jobdefinition file=DEF.json)");
    if (argc != 2 || strncasecmp(argv[1], "file=", 5) != 0 || !argv[1][5])
        cmd_die("register jobdefinition needs file=DEF.json");
    if (!(d = jobdef_file_read(argv[1] + 5, &e)))
        cmd_die("%s", e.text);
    reply = cmd_call("jobdef_register", json_pack("{s:o}", "definition", d));
    printf("%s:%lld\n", cmd_str(reply, "name"), (long long)cmd_int(reply, "revision"));
    json_decref(reply);
    return 0;
}

int scontrol_deregister(const struct scontrol_opts *o, int argc, char **argv)
{
    json_t *body = json_object(), *reply;
    if (argc < 1 || !is_jobdef_word(argv[0]))
        cmd_die("deregister what? (deregister jobdefinition NAME:REVISION)");
    if (argc != 2)
        cmd_die("deregister jobdefinition needs NAME:REVISION");
    name_rev(argv[1], 1, body);
    reply = cmd_call("jobdef_deregister", body);   /* the controller's error names it */
    json_decref(reply);
    return 0;
}
