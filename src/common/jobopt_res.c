/* jobopt_res.c: the options of resources the cluster counts and of limits
 * the job carries: --tmp, -L/--licenses, --deadline, --priority and
 * --propagate (whose resource limits travel as SLURM_RLIMIT_* variables, as
 * in Slurm, and are applied by the step daemon: see stepd/rlimits.c). */
#include "jobopt_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include "license.h"
#include "parse.h"

JO_SETTER(jo_set_tmp)
{
    uint64_t mb;
    if (!arg || parse_mem_mb(arg, &mb, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)mb));
    return 0;
}

/* name[:count] or name*count, comma separated; sent normalised as
 * "name:count,..." (the controller checks the names). */
JO_SETTER(jo_set_licenses)
{
    struct license_list l = { NULL, 0 };
    sl_error_t why;
    char *out = NULL;
    size_t len = 0;
    FILE *m;
    if (license_parse(arg, &l, &why) < 0)
        return sl_errprintf(e, "Invalid license specification: '%s': %s (use "
                               "name[:count][,...])", arg, why.text);
    if (!(m = open_memstream(&out, &len))) {
        license_list_free(&l);
        return sl_errprintf(e, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++)
        fprintf(m, "%s%s:%u", i ? "," : "", l.items[i].name, l.items[i].count);
    fclose(m);
    license_list_free(&l);
    json_object_set_new(o->spec, d->field, json_string(out));
    free(out);
    return 0;
}

JO_SETTER(jo_set_deadline)
{
    int64_t t;
    if (parse_datetime(arg, o->now ? o->now : (int64_t)time(NULL), &t, e) < 0)
        return sl_errprefix(e, "Invalid --%s specification", d->name);
    json_object_set_new(o->spec, d->field, json_integer(t));
    return 0;
}

/* Only operators may set it: the controller refuses the others. */
JO_SETTER(jo_set_priority)
{
    uint64_t v;
    if (parse_u64(arg, 0, UINT32_MAX - 2, d->name, &v, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': a number from 0 to %u",
                            d->name, arg, UINT32_MAX - 2);
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)v));
    return 0;
}

static const struct { const char *name; int res; } rlimit_names[] = {
    { "AS", RLIMIT_AS },           { "CORE", RLIMIT_CORE },   { "CPU", RLIMIT_CPU },
    { "DATA", RLIMIT_DATA },       { "FSIZE", RLIMIT_FSIZE }, { "MEMLOCK", RLIMIT_MEMLOCK },
    { "NOFILE", RLIMIT_NOFILE },   { "NPROC", RLIMIT_NPROC }, { "RSS", RLIMIT_RSS },
    { "STACK", RLIMIT_STACK },
};
#define NRLIMITS (sizeof(rlimit_names) / sizeof(rlimit_names[0]))

/* Bit i: rlimit_names[i]; -1 with e set on an unknown name. */
static long rlimit_mask(const char *list, sl_error_t *e)
{
    char *copy = strdup(list ? list : "ALL"), *save = NULL;
    long mask = 0;
    for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it; it = strtok_r(NULL, ",", &save)) {
        size_t i;
        if (!strcasecmp(it, "ALL")) {
            mask = (1L << NRLIMITS) - 1;
            continue;
        }
        if (!strcasecmp(it, "NONE"))
            continue;
        for (i = 0; i < NRLIMITS && strcasecmp(it, rlimit_names[i].name); i++)
            ;
        if (i == NRLIMITS) {
            sl_errprintf(e, "Invalid --propagate specification: '%s': use ALL, NONE or "
                            "AS, CORE, CPU, DATA, FSIZE, MEMLOCK, NOFILE, NPROC, RSS, STACK",
                         it);
            free(copy);
            return -1;
        }
        mask |= 1L << i;
    }
    free(copy);
    return mask;
}

JO_SETTER(jo_set_propagate)
{
    if (rlimit_mask(arg ? arg : "ALL", e) < 0)
        return -1;
    json_object_set_new(o->local, d->field, json_string(arg ? arg : "ALL"));
    return 0;
}

/* The submitting shell's soft limits, as Slurm passes them: one variable
 * each, "unlimited" or a number, for the step daemon to apply. */
int jobopt_rlimits_env(const jobopt_t *o, json_t *env, sl_error_t *e)
{
    long mask = rlimit_mask(json_string_value(json_object_get(o->local, "propagate")), e);
    const char *key;
    json_t *v;
    void *tmp;
    if (mask < 0)
        return -1;
    /* Those inherited from an enclosing job are not the shell's limits. */
    json_object_foreach_safe(env, tmp, key, v) {
        if (!strncmp(key, "SLURM_RLIMIT_", 13))
            json_object_del(env, key);
    }
    for (size_t i = 0; i < NRLIMITS; i++) {
        struct rlimit rl;
        char var[32], val[32];
        if (!(mask & (1L << i)) || getrlimit(rlimit_names[i].res, &rl) < 0)
            continue;
        snprintf(var, sizeof(var), "SLURM_RLIMIT_%s", rlimit_names[i].name);
        if (rl.rlim_cur == RLIM_INFINITY)
            snprintf(val, sizeof(val), "unlimited");
        else
            snprintf(val, sizeof(val), "%llu", (unsigned long long)rl.rlim_cur);
        json_object_set_new(env, var, json_string(val));
    }
    return 0;
}
