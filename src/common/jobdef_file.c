/* jobdef_file.c: see jobdef_file.h. */
#define _GNU_SOURCE
#include "jobdef_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What must be there for the controller to know which definition it is. */
static int jobdef_check(const char *path, const json_t *def, sl_error_t *e)
{
    json_t *name = json_object_get(def, "jobDefinitionName");
    if (!json_is_object(def))
        return sl_errprintf(e, "%s: a job definition must be a JSON object", path);
    if (!name)
        return sl_errprintf(e, "%s: jobDefinitionName is missing", path);
    if (!json_is_string(name) || !*json_string_value(name))
        return sl_errprintf(e, "%s: jobDefinitionName must be a non-empty string", path);
    return 0;
}

json_t *jobdef_file_read(const char *path, sl_error_t *e)
{
    json_error_t je;
    json_t *def;
    FILE *f = fopen(path, "r");
    if (!f) {
        sl_errprintf(e, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    def = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    if (!def && ferror(f))
        sl_errprintf(e, "cannot read %s: %s", path, strerror(errno));
    else if (!def)
        sl_errprintf(e, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    fclose(f);
    if (def && jobdef_check(path, def, e) < 0) {
        json_decref(def);
        return NULL;
    }
    return def;
}
