/* jobopt_set.c: the option setters for resources, files and flags, and the
 * job environment that --export selects (see jobopt.h). */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hostlist.h"
#include "jobopt_impl.h"
#include "mailtype.h"
#include "jobspec.h"
#include "parse.h"

static json_t *jo_target(jobopt_t *o, const struct jobopt_def *d)
{
    return d->local ? o->local : o->spec;
}

int jo_invalid(const struct jobopt_def *d, const char *arg, sl_error_t *e)
{
    return sl_errprintf(e, "Invalid --%s specification: '%s'", d->name, arg ? arg : "");
}

JO_SETTER(jo_set_str)
{
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    json_object_set_new(jo_target(o, d), d->field, json_string(arg));
    return 0;
}

/* --mail-type: checked here, sent as Slurm's canonical list ("BEGIN,END"). */
JO_SETTER(jo_set_mail_type)
{
    uint32_t bits;
    char buf[256];
    if (mailtype_parse(arg, &bits, e) < 0)
        return sl_errprefix(e, "Invalid --%s specification", d->name);
    json_object_set_new(jo_target(o, d), d->field, json_string(mailtype_format(bits, buf,
                                                                               sizeof(buf))));
    return 0;
}

/* Free text that may be empty (--comment=""). */
JO_SETTER(jo_set_text)
{
    json_object_set_new(jo_target(o, d), d->field, json_string(arg ? arg : ""));
    return 0;
}

JO_SETTER(jo_set_true)
{
    json_object_set_new(jo_target(o, d), d->field, json_true());
    return 0;
}

JO_SETTER(jo_set_false)
{
    json_object_set_new(jo_target(o, d), d->field, json_false());
    return 0;
}

JO_SETTER(jo_set_count)
{
    uint64_t v;
    if (!arg || parse_u64(arg, 1, INT32_MAX, d->name, &v, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(jo_target(o, d), d->field, json_integer((json_int_t)v));
    return 0;
}

JO_SETTER(jo_set_time)
{
    int64_t secs;
    if (!arg || parse_time_limit(arg, &secs, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->spec, d->field, json_integer(secs));
    return 0;
}

/* --mem, --mem-per-cpu and --mem-per-gpu exclude each other; the later one
 * wins.  --mem=0 asks for all of the node's memory. */
JO_SETTER(jo_set_mem)
{
    uint64_t mb;
    if (!arg || parse_mem_mb(arg, &mb, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_del(o->spec, "mem_mb");
    json_object_del(o->spec, "mem_per_cpu_mb");
    json_object_del(o->spec, "mem_per_gpu_mb");
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)mb));
    return 0;
}

/* -N N or -N min-max. */
JO_SETTER(jo_set_nodes)
{
    char buf[64];
    char *dash;
    uint64_t lo, hi;
    if (!arg || strlen(arg) >= sizeof(buf))
        return jo_invalid(d, arg, e);
    snprintf(buf, sizeof(buf), "%s", arg);
    dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    if (parse_u64(buf, 1, INT32_MAX, "nodes", &lo, NULL) < 0)
        return jo_invalid(d, arg, e);
    hi = lo;
    if (dash && parse_u64(dash + 1, lo, INT32_MAX, "nodes", &hi, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->spec, "nodes_min", json_integer((json_int_t)lo));
    json_object_set_new(o->spec, "nodes_max", json_integer((json_int_t)hi));
    return 0;
}

JO_SETTER(jo_set_hostlist)
{
    sl_error_t err;
    hostlist_t *hl;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    if (!(hl = hostlist_expand(arg, &err)))
        return sl_errprintf(e, "Invalid --%s specification: '%s': %s", d->name, arg,
                            err.text);
    hostlist_destroy(hl);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

/* A relative --chdir is taken from where the command runs. */
JO_SETTER(jo_set_chdir)
{
    char cwd[PATH_MAX];
    char *path;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    if (arg[0] == '/')
        return jo_set_str(o, d, arg, e);
    if (!getcwd(cwd, sizeof(cwd)))
        return sl_errprintf(e, "cannot get the current directory for --chdir");
    if (utf8_check(cwd, "the current directory (a relative --chdir starts there)", e))
        return -1;
    if (asprintf(&path, "%s/%s", cwd, arg) < 0)
        return sl_errprintf(e, "out of memory");
    json_object_set_new(o->spec, d->field, json_string(path));
    free(path);
    return 0;
}

JO_SETTER(jo_set_open_mode)
{
    static const char *modes[] = { "append", "truncate" };
    for (size_t i = 0; arg && *arg && i < 2; i++) {
        if (strncasecmp(arg, modes[i], strlen(arg)) == 0) {
            json_object_set_new(o->spec, d->field, json_string(modes[i]));
            return 0;
        }
    }
    return jo_invalid(d, arg, e);
}

/* --exclusive[=user|mcs]: whole nodes only, for now. */
JO_SETTER(jo_set_exclusive)
{
    if (arg)
        return sl_errprintf(e, "--exclusive=%s is not supported yet", arg);
    return jo_set_true(o, d, arg, e);
}

/* "[TYPE:]N": a GPU count and an optional type (the job has one type). */
static int jo_gpu_count(const struct jobopt_def *d, const char *spec, const char *arg,
                        jobopt_t *o, sl_error_t *e)
{
    const char *colon = strrchr(spec, ':');
    const char *num = colon ? colon + 1 : spec;
    uint64_t n;
    if (parse_u64(num, 1, 100000, d->name, &n, NULL) < 0)
        return jo_invalid(d, arg, e);
    if (colon) {
        size_t len = (size_t)(colon - spec);
        if (len == 0 || len > 63 || strspn(spec, "abcdefghijklmnopqrstuvwxyz"
                                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < len)
            return sl_errprintf(e, "Invalid --%s specification: '%s': a GPU type is letters, "
                                   "digits, '_', '-' or '.'", d->name, arg);
        json_object_set_new(o->spec, "gpu_type", json_stringn(spec, len));
    }
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)n));
    return 0;
}

/* --gpus, --gpus-per-node, --gpus-per-task: [TYPE:]N. */
JO_SETTER(jo_set_gpus)
{
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    return jo_gpu_count(d, arg, arg, o, e);
}

/* --gres=gpu[:TYPE][:N] (N defaults to 1), per node.  Only gpu exists. */
JO_SETTER(jo_set_gres)
{
    if (!arg || strncmp(arg, "gpu", 3) != 0 || (arg[3] && arg[3] != ':'))
        return sl_errprintf(e, "Invalid --gres specification: '%s': only gpu[:type]:count "
                               "is supported (GresTypes=gpu)", arg ? arg : "");
    if (strchr(arg, ','))
        return sl_errprintf(e, "Invalid --gres specification: '%s': one gpu entry only", arg);
    if (!arg[3])
        return jo_gpu_count(d, "1", arg, o, e);
    const char *rest = arg + 4, *colon = strchr(rest, ':');
    if (!colon && strspn(rest, "0123456789") != strlen(rest)) {   /* gpu:TYPE */
        char buf[80];
        snprintf(buf, sizeof(buf), "%.63s:1", rest);
        return jo_gpu_count(d, buf, arg, o, e);
    }
    return jo_gpu_count(d, rest, arg, o, e);
}

/* --hint=nomultithread takes one thread per core; multithread every thread
 * (the default).  Other hints are refused rather than ignored. */
JO_SETTER(jo_set_hint)
{
    if (arg && strcmp(arg, "nomultithread") == 0) {
        json_object_set_new(o->spec, d->field, json_integer(1));
        return 0;
    }
    if (arg && strcmp(arg, "multithread") == 0) {
        json_object_del(o->spec, d->field);
        return 0;
    }
    return sl_errprintf(e, "Invalid --hint specification: '%s': nomultithread or multithread "
                           "(compute_bound and memory_bound are not supported)", arg ? arg : "");
}

JO_SETTER(jo_set_unsupported)
{
    return sl_errprintf(e, "--%s is not supported yet", d->name);
}

/* A variable the job starts with.  One that is not UTF-8 cannot travel in
 * the JSON job spec: refused, naming it, rather than dropped. */
static int jo_env_add(json_t *env, const char *entry, sl_error_t *e)
{
    const char *eq = strchr(entry, '=');
    char *name;
    if (!eq || eq == entry)
        return 0;
    if (!(name = strndup(entry, (size_t)(eq - entry))))
        return sl_errprintf(e, "out of memory");
    long bad = utf8_invalid_at(entry, strlen(entry));
    if (bad >= 0) {
        char shown[80];
        text_escape(name, strlen(name), shown, sizeof(shown));
        free(name);
        return sl_errprintf(e, "environment variable %s is not valid UTF-8 (byte 0x%02X at "
                               "offset %ld of NAME=value): Sluice carries text as UTF-8 and "
                               "never alters it; unset it or leave it out with --export",
                            shown, (unsigned char)entry[bad], bad);
    }
    json_object_set_new(env, name, json_string(eq + 1));
    free(name);
    return 0;
}

/* One --export list item: VAR takes its value from envp, VAR=val sets it. */
static int jo_export_item(json_t *env, char **envp, const char *item, sl_error_t *e)
{
    size_t n = strlen(item);
    if (strchr(item, '='))
        return jo_env_add(env, item, e);
    for (char **p = envp; p && *p; p++)
        if (strncmp(*p, item, n) == 0 && (*p)[n] == '=')
            return jo_env_add(env, *p, e);
    return 0;   /* as Slurm: a listed variable that is not set is skipped */
}

json_t *jobopt_env(const jobopt_t *o, char **envp, sl_error_t *e)
{
    const char *spec = jobopt_str(o, "export");
    json_t *env = json_object();
    char *list, *save = NULL;
    int all = !spec || strcasecmp(spec, "ALL") == 0;
    if (!env)
        return NULL;
    if (spec && strcasecmp(spec, "NONE") != 0 && !all) {
        if (!(list = strdup(spec)))
            goto oom;
        for (char *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save))
            if (strcasecmp(it, "ALL") == 0)
                all = 1;
        free(list);
    }
    for (char **p = envp; p && *p; p++)
        if ((all || strncmp(*p, "SLURM_", 6) == 0) && jo_env_add(env, *p, e) < 0)
            goto fail;
    if (!spec || !strcasecmp(spec, "ALL") || !strcasecmp(spec, "NONE"))
        return env;
    if (!(list = strdup(spec)))
        goto oom;
    for (char *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(it, "ALL") != 0 && strcasecmp(it, "NONE") != 0 &&
            jo_export_item(env, envp, it, e) < 0) {
            free(list);
            goto fail;
        }
    }
    free(list);
    return env;
oom:
    sl_errprintf(e, "out of memory");
fail:
    json_decref(env);
    return NULL;
}
