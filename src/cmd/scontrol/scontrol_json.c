/* scontrol_json.c: --json and --yaml.  Slurm 22.05's scontrol has neither
 * (23.02's does); Sluice gives the objects squeue --json and sinfo --json
 * give (openapi v0.0.38's job and node dumps, dpjob.c): meta, errors,
 * jobs[] or nodes[] with Slurm's key names and units, Sluice's own fields
 * under each object's "sluice" key.  The field map is doc/json.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "dpjob.h"
#include "dpjson.h"
#include "scontrol.h"

/* The same job object as squeue --json (dpjob.c). */
json_t *scontrol_job_json(const json_t *r)
{
    return dp_job_info(r, cmd_conf_load()->cluster_name);
}

void scontrol_print_doc(const struct scontrol_opts *o, const char *key, json_t *items)
{
    json_t *doc = json_pack("{s:o, s:[], s:O}", "meta", dp_meta(DP_PLUGIN_V38), "errors", key,
                            items);
    if (o->yaml) {
        dp_yaml(doc, stdout);
    } else {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
    }
    json_decref(doc);
}
