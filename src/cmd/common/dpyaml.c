/* dpyaml.c: --yaml, the --json document as YAML (see dpjson.h). */
#include <stdio.h>
#include <stdlib.h>

#include "dpjson.h"

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

void dp_yaml(const json_t *doc, FILE *out)
{
    fputs("---\n", out);
    yaml_value(doc, 0, out);
}
