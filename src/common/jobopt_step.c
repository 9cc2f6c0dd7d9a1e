/* jobopt_step.c: the setters of the options only srun and salloc take: how
 * a step's tasks are launched (--mpi, --cpu-bind, --distribution), where
 * their I/O goes (-i) and srun's own behaviour (-K, -W, -v, -Q).  Their
 * values land in o->local: they shape the step, not the job spec. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpubind.h"
#include "jobopt_impl.h"
#include "parse.h"

/* The MPI types a step may name (plugins/mpi/NAME; "none" needs none).
 * pmix_v4 is Slurm's name for the same plugin on a PMIx 4 system; pmi2 is
 * the PMI-1 server under the name Slurm users give MPICH's (guide-mpi.md). */
static const char *const jo_mpi_types[] = { "none", "pmix", "pmix_v4", "pmi1", "pmi2", NULL };

const char *const *jobopt_mpi_types(void)
{
    return jo_mpi_types;
}

/* --mpi=list is kept as "list": srun prints the types and exits. */
JO_SETTER(jo_set_mpi)
{
    if (arg && strcmp(arg, "list") == 0)
        return jo_set_str(o, d, arg, e);
    for (const char *const *t = jo_mpi_types; arg && *t; t++) {
        if (strcmp(arg, *t) == 0) {
            json_object_set_new(o->local, d->field,
                                json_string(strcmp(arg, "pmix_v4") ? arg : "pmix"));
            return 0;
        }
    }
    return sl_errprintf(e, "Invalid MPI type '%s', --mpi=list for acceptable types",
                        arg ? arg : "");
}

/* -K[=0|1]: OpenMPI's launcher passes it bare. */
JO_SETTER(jo_set_kill_bad_exit)
{
    if (!arg || strcmp(arg, "1") == 0)
        return jo_set_true(o, d, arg, e);
    if (strcmp(arg, "0") == 0)
        return jo_set_false(o, d, arg, e);
    return jo_invalid(d, arg, e);
}

/* A count of seconds that may be 0 (-W 0: wait for ever, as Slurm). */
JO_SETTER(jo_set_seconds)
{
    uint64_t v;
    if (!arg || parse_u64(arg, 0, INT32_MAX, d->name, &v, NULL) < 0)
        return jo_invalid(d, arg, e);
    json_object_set_new(o->local, d->field, json_integer((json_int_t)v));
    return 0;
}

/* -v and -Q: each -v adds one. */
JO_SETTER(jo_set_verbose)
{
    json_int_t n = json_integer_value(json_object_get(o->local, d->field));
    (void)arg;
    (void)e;
    json_object_set_new(o->local, d->field, json_integer(n + 1));
    return 0;
}

/* --cpu-bind: none, threads, cores, sockets, map_cpu:LIST, mask_cpu:LIST,
 * verbose, quiet (src/common/cpubind.h); anything else is refused. */
JO_SETTER(jo_set_cpu_bind)
{
    struct cpubind_spec sp;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    if (cpubind_parse(arg, &sp, e) < 0)
        return -1;
    cpubind_spec_free(&sp);
    if (d->local)
        json_object_set_new(o->local, d->field, json_string(arg));
    else
        json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

/* --distribution / -m: ranks are placed block-wise over the nodes (the
 * first part); the part after ':' orders CPUs within a node for binding:
 * block or cyclic.  Other layouts are refused. */
JO_SETTER(jo_set_distribution)
{
    static const char *const later[] = { "cyclic", "plane", "arbitrary", "pack",
                                         "nopack", NULL };
    size_t n;
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    n = strcspn(arg, ":,=");
    if ((n == 5 && strncasecmp(arg, "block", 5) == 0) || (n == 1 && arg[0] == '*')) {
        if (cpubind_dist_cyclic(arg, e) < 0)
            return -1;
        return jo_set_str(o, d, arg, e);
    }
    for (const char *const *k = later; *k; k++)
        if (n == strlen(*k) && strncasecmp(arg, *k, n) == 0)
            return sl_errprintf(e, "--distribution=%s is not supported yet (tasks are "
                                   "placed block-wise over the nodes; the CPU level after "
                                   "':' may be block or cyclic)", arg);
    return jo_invalid(d, arg, e);
}

/* srun -i: "all", "none", a task number, or a file name pattern. */
JO_SETTER(jo_set_input)
{
    if (!arg || !*arg)
        return jo_invalid(d, arg, e);
    return jo_set_str(o, d, arg, e);
}

/* A step's -o/-e files are truncated by the nodes; append is not there yet. */
JO_SETTER(jo_set_step_open_mode)
{
    if (arg && *arg && strncasecmp(arg, "truncate", strlen(arg)) == 0)
        return jo_set_str(o, d, "truncate", e);
    if (arg && *arg && strncasecmp(arg, "append", strlen(arg)) == 0)
        return sl_errprintf(e, "--open-mode=append is not supported yet by srun (a step's "
                               "output files are truncated)");
    return jo_invalid(d, arg, e);
}
