/* fields.c: check a request's body against its operation's field table. */
#include "fields.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(const struct field_spec *f)
{
    static const char *const names[] = {
        [FT_STR] = "a string",
        [FT_INT] = "an integer",
        [FT_BOOL] = "a boolean (true or false)",
        [FT_OBJ] = "an object",
        [FT_STRMAP] = "an object of strings",
        [FT_STRS] = "an array of strings",
        [FT_INTS] = "an array of integers",
        [FT_JOBID] = "a job id (an integer or a string such as \"12\" or \"12_3\")",
        [FT_JOBIDS] = "an array of job ids (integers or strings such as \"12\" or \"12_3\")",
        [FT_OBJS] = "an array of objects",
    };
    return names[f->type];
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int int_ok(const struct field_spec *f, const json_t *v)
{
    if (!json_is_integer(v))
        return 0;
    json_int_t n = json_integer_value(v);
    return f->min >= f->max || (n >= f->min && n <= f->max);
}

static int all_of(const json_t *v, int (*ok)(const struct field_spec *, const json_t *),
                  const struct field_spec *f, int array)
{
    size_t i;
    const char *k;
    json_t *x;
    if (array) {
        json_array_foreach((json_t *)v, i, x) {
            if (!ok(f, x))
                return 0;
        }
    } else {
        json_object_foreach((json_t *)v, k, x) {
            if (!ok(f, x))
                return 0;
        }
    }
    return 1;
}

static int str_ok(const struct field_spec *f, const json_t *v) { return json_is_string(v); }
static int obj_ok(const struct field_spec *f, const json_t *v) { (void)f; return json_is_object(v); }

static int jobid_ok(const struct field_spec *f, const json_t *v)
{
    return json_is_string(v) || int_ok(f, v);
}

static int value_ok(const struct field_spec *f, const json_t *v)
{
    switch (f->type) {
    case FT_STR: return json_is_string(v);
    case FT_INT: return int_ok(f, v);
    case FT_BOOL: return json_is_boolean(v);
    case FT_OBJ: return json_is_object(v);
    case FT_STRMAP: return json_is_object(v) && all_of(v, str_ok, f, 0);
    case FT_STRS: return json_is_array(v) && all_of(v, str_ok, f, 1);
    case FT_INTS: return json_is_array(v) && all_of(v, int_ok, f, 1);
    case FT_JOBID: return jobid_ok(f, v);
    case FT_JOBIDS: return json_is_array(v) && all_of(v, jobid_ok, f, 1);
    case FT_OBJS: return json_is_array(v) && all_of(v, obj_ok, f, 1);
    }
    return 0;
}

static const struct field_spec *field_find(const struct field_spec *fields, const char *name)
{
    for (const struct field_spec *f = fields; f && f->name; f++) {
        if (strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

static int range_error(const struct field_spec *f, sl_error_t *e)
{
    return sl_errprintf(e, "field '%s' must be %s from %lld to %lld", f->name,
                        f->type == FT_INTS ? "an array of integers" : "an integer",
                        (long long)f->min, (long long)f->max);
}

/* Name what the operation takes: a misspelt field is most often the cause. */
static int unknown_error(const struct field_spec *fields, const char *key, sl_error_t *e)
{
    char known[256] = "";
    size_t len = 0;
    for (const struct field_spec *f = fields; f && f->name && len < sizeof(known); f++)
        len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
                                len ? ", " : "", f->name);
    return sl_errprintf(e, "unknown field '%.100s' (this operation takes %s)", key,
                        len ? known : "no fields");
}

int fields_check(const struct field_spec *fields, int open, json_t *body, sl_error_t *e)
{
    const char *key;
    json_t *v;
    for (const struct field_spec *f = fields; f && f->name; f++) {
        v = json_object_get(body, f->name);
        if (!v && (f->flags & F_REQUIRED))
            return sl_errprintf(e, "missing field '%s': it must be %s", f->name, type_name(f));
        if (!v || (json_is_null(v) && (f->flags & F_NULL)) || value_ok(f, v))
            continue;
        if ((f->type == FT_INT || f->type == FT_INTS) && f->min < f->max &&
            (json_is_integer(v) || json_is_array(v)))
            return range_error(f, e);
        return sl_errprintf(e, "field '%s' must be %s, not %s", f->name, type_name(f),
                            json_is_array(v) ? "an array holding something else"
                            : json_is_object(v) && f->type == FT_STRMAP
                                ? "an object holding something else"
                                : json_kind(v));
    }
    if (open)
        return 0;
    json_object_foreach(body, key, v) {
        if (!field_find(fields, key))
            return unknown_error(fields, key, e);
    }
    return 0;
}
