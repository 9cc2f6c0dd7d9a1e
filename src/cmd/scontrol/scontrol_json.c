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

/* YAML: a block mapping per object, "- " per array item, scalars as JSON
 * writes them (a double-quoted JSON string is a valid YAML scalar). */
static void yaml_scalar(const json_t *v, FILE *out)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    fprintf(out, "%s\n", s ? s : "null");
    free(s);
}

static int yaml_empty(const json_t *v)
{
    return (json_is_object(v) && !json_object_size(v)) || (json_is_array(v) && !json_array_size(v));
}

static void yaml_value(const json_t *v, int indent, FILE *out);

static void yaml_object(const json_t *v, int indent, int first_inline, FILE *out)
{
    const char *key;
    json_t *x;
    int first = 1;
    json_object_foreach((json_t *)v, key, x) {
        if (!(first && first_inline))
            fprintf(out, "%*s", indent, "");
        first = 0;
        fprintf(out, "%s:", key);
        if (yaml_empty(x)) {
            fprintf(out, " %s\n", json_is_object(x) ? "{}" : "[]");
        } else if (json_is_object(x) || json_is_array(x)) {
            fputc('\n', out);
            yaml_value(x, indent + 2, out);
        } else {
            fputc(' ', out);
            yaml_scalar(x, out);
        }
    }
}

static void yaml_value(const json_t *v, int indent, FILE *out)
{
    size_t i;
    json_t *x;
    if (json_is_object(v)) {
        yaml_object(v, indent, 0, out);
    } else if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, x) {
            fprintf(out, "%*s- ", indent, "");
            if (json_is_object(x) && json_object_size(x))
                yaml_object(x, indent + 2, 1, out);
            else if (yaml_empty(x))
                fprintf(out, "%s\n", json_is_object(x) ? "{}" : "[]");
            else if (json_is_array(x)) {
                fputc('\n', out);
                yaml_value(x, indent + 2, out);
            } else
                yaml_scalar(x, out);
        }
    } else {
        fprintf(out, "%*s", indent, "");
        yaml_scalar(v, out);
    }
}

void scontrol_print_doc(const struct scontrol_opts *o, const char *key, json_t *items)
{
    json_t *doc = json_pack("{s:o, s:[], s:O}", "meta", dp_meta(DP_PLUGIN_V38), "errors", key,
                            items);
    if (o->yaml) {
        fputs("---\n", stdout);
        yaml_value(doc, 0, stdout);
    } else {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
    }
    json_decref(doc);
}
