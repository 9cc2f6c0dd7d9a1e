/* sbatch_het.c: a heterogeneous job's components after the first: each is
 * its own script directives group and command-line group, with only the
 * resource options of a job (doc/man1/sbatch.1, "HETEROGENEOUS JOBS"). */
#include <stdlib.h>
#include <string.h>
#include "hetsplit.h"
#include "jobopt.h"
#include "sbatch.h"

/* Component k (>= 1) from script group k and argv group k. */
static json_t *het_component(int argc, char **argv, const int *starts, size_t nseg,
                             const char *script, size_t k, sl_error_t *e)
{
    jobopt_t *o = jobopt_create(JOBOPT_SBATCH);
    char *part = hetsplit_script_part(script, k);
    json_t *spec = NULL;
    int rc = !o || !part ? sl_errprintf(e, "out of memory") : jobopt_parse_script(o, part, e);
    if (rc == 0 && k < nseg) {
        int end = k + 1 < nseg ? starts[k + 1] : argc;
        /* The last group ends at the script: the parse stops there. */
        if (jobopt_parse_argv(o, end - starts[k], argv + starts[k], e) < 0)
            rc = -1;
    }
    if (rc == 0 && json_object_size(o->local)) {
        /* --wrap, --parsable, --wait...: what sbatch itself does, once. */
        const char *key = json_object_iter_key(json_object_iter(o->local));
        rc = sl_errprintf(e, "%s applies to the whole heterogeneous job: give it in the "
                             "first component only", key);
    }
    if (rc == 0)
        spec = json_incref(o->spec);
    else
        sl_errprefix(e, "heterogeneous job component %zu", k);
    jobopt_destroy(o);
    free(part);
    return spec;
}

int sbatch_het_add(struct jobopt *lead, int argc, char **argv, const int *starts, size_t nseg,
                   int idx, const char *script, size_t n, sl_error_t *e)
{
    json_t *comps = json_array();
    (void)idx;
    for (size_t k = 1; k < n; k++) {
        json_t *spec = het_component(argc, argv, starts, nseg, script, k, e);
        if (!spec) {
            json_decref(comps);
            return -1;
        }
        json_array_append_new(comps, spec);
    }
    json_object_set_new(lead->spec, "het_components", comps);
    return 0;
}
