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
#include "conf.h"
#include "license.h"
#include "parse.h"
#include "rlimit_list.h"

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

JO_SETTER(jo_set_propagate)
{
    if (rlimit_list_mask(arg ? arg : "ALL", "--propagate", e) < 0)
        return -1;
    json_object_set_new(o->local, d->field, json_string(arg ? arg : "ALL"));
    return 0;
}

/* Which limits: --propagate's, else the config's PropagateResourceLimits
 * (or all but PropagateResourceLimitsExcept), else all, as in Slurm. */
static long rlimits_wanted(const jobopt_t *o, const conf_t *c, sl_error_t *e)
{
    const char *opt = json_string_value(json_object_get(o->local, "propagate"));
    long except;
    if (opt)
        return rlimit_list_mask(opt, "--propagate", e);
    if (c && c->propagate_rlimits_except) {
        except = rlimit_list_mask(c->propagate_rlimits_except, "PropagateResourceLimitsExcept", e);
        return except < 0 ? -1 : RLIMIT_LIST_ALL & ~except;
    }
    return rlimit_list_mask(c ? c->propagate_rlimits : NULL, "PropagateResourceLimits", e);
}

/* The submitting shell's soft limits, as Slurm passes them: one variable
 * each, "unlimited" or a number, for the step daemon to apply. */
int jobopt_rlimits_env(const jobopt_t *o, const conf_t *c, json_t *env, sl_error_t *e)
{
    long mask = rlimits_wanted(o, c, e);
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
    for (size_t i = 0; i < RLIMIT_LIST_N; i++) {
        struct rlimit rl;
        char var[32], val[32];
        if (!(mask & (1L << i)) || getrlimit(rlimit_list_res(i), &rl) < 0)
            continue;
        snprintf(var, sizeof(var), "SLURM_RLIMIT_%s", rlimit_list_name(i));
        if (rl.rlim_cur == RLIM_INFINITY)
            snprintf(val, sizeof(val), "unlimited");
        else
            snprintf(val, sizeof(val), "%llu", (unsigned long long)rl.rlim_cur);
        json_object_set_new(env, var, json_string(val));
    }
    return 0;
}

/* Kept, printed once by jobopt_warn: commands parse argv more than once. */
static void jo_warn_add(jobopt_t *o, const char *name, const char *why)
{
    json_t *w = json_object_get(o->local, "warnings");
    if (!w)
        json_object_set_new(o->local, "warnings", w = json_object());
    json_object_set_new(w, name, json_string(why));
}

/* An option that only tunes performance on Slurm (CPU frequency, switch
 * count, tasks per core...) or does what Sluice does anyway: accepted so a
 * script written for Slurm runs, with a one-line warning saying it has no
 * effect here (the table's help says why), never silently.  Counts are
 * still checked, so a typo is not hidden behind the warning. */
JO_SETTER(jo_set_noeffect)
{
    if (d->arg == JO_REQ && (!arg || !*arg))
        return jo_invalid(d, arg, e);
    if (arg && (!strcmp(d->name, "ntasks-per-core") || !strcmp(d->name, "switches"))) {
        char *end;
        long n = strtol(arg, &end, 10);
        if (end == arg || n < 0 || (*end && *end != '@'))
            return jo_invalid(d, arg, e);
    }
    const char *why = d->help, *colon = strstr(why, ": ");
    jo_warn_add(o, d->name, colon ? colon + 2 : why);
    return 0;
}

/* sbatch -m: the steps' default (SLURM_DISTRIBUTION).  A kind srun does not
 * have yet (cyclic, plane...) only tunes placement: accepted with a warning
 * and not passed on, so the job's sruns keep their block placement. */
JO_SETTER(jo_set_batch_distribution)
{
    sl_error_t why;
    if (jo_set_distribution(o, d, arg, &why) == 0)
        return 0;
    if (!strstr(why.text, "not supported yet"))
        return sl_errprintf(e, "%s", why.text);
    jo_warn_add(o, d->name, "tasks are placed block-wise over the nodes here");
    return 0;
}

void jobopt_warn(const jobopt_t *o, FILE *out)
{
    const char *name;
    json_t *why;
    if (jobopt_flag(o, "quiet"))
        return;
    json_object_foreach(json_object_get(o->local, "warnings"), name, why)
        fprintf(out, "%s: warning: --%s has no effect here: %s\n", o->prog, name,
                json_string_value(why));
}
