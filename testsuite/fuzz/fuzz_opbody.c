/* fuzz_opbody: the body of every controller operation, through the checks
 * that run before any handler: the operation's field table (fields_check,
 * the tables of src/ctld/op_fields.c) and, for job_submit, jobspec_check.
 * Input: one byte picks the table (and whether unknown fields pass, as for
 * job_submit and the node channel), the rest is the JSON body.  Besides the
 * sanitizers it checks the promise the handlers rely on: a body the table
 * accepts holds every required field, and every field it names has the
 * declared type (so "job_ids": "1,2" can never reach job_cancel).  The
 * handlers themselves need a running controller and are exercised by the
 * integration tests (test_protocol_hardening.py, test_bad_input.py). */
#include <jansson.h>
#include "fuzz.h"
#include "jobspec.h"
#include "../../src/ctld/op_fields.c"

static const struct field_spec *const tables[] = {
    F_none, F_job_submit, F_job_list, F_job_show, F_job_cancel, F_job_select,
    F_job_update, F_job_requeue, F_jobdef_register, F_jobdef_list, F_jobdef_deregister,
    F_by_name, F_change, F_acct_query, F_node_list, F_node_update, F_node_register,
    F_job_started, F_job_ended, F_step_node_ended, F_job_complete, F_step_create, F_step_complete, F_step_list,
    F_step_show, F_node_power, F_node_heartbeat, F_resv_create, F_resv_update, F_bcast_grant,
    F_names, F_account_change, F_user_change,
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static int is_jobid(const json_t *v)
{
    return json_is_string(v) || (json_is_integer(v) && json_integer_value(v) >= 0);
}

static int all(const json_t *a, int (*ok)(const json_t *))
{
    size_t i;
    json_t *x;
    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, x) if (!ok(x)) return 0;
    return 1;
}

static int is_str(const json_t *v) { return json_is_string(v); }
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_obj(const json_t *v) { return json_is_object(v); }

/* The declared type, checked independently of fields.c. */
static int typed(const struct field_spec *f, const json_t *v)
{
    switch (f->type) {
    case FT_STR: return json_is_string(v);
    case FT_INT:
        return json_is_integer(v) && (f->min >= f->max || (json_integer_value(v) >= f->min &&
                                                           json_integer_value(v) <= f->max));
    case FT_BOOL: return json_is_boolean(v);
    case FT_OBJ: return json_is_object(v);
    case FT_STRMAP: {
        const char *k;
        json_t *x;
        if (!json_is_object(v))
            return 0;
        json_object_foreach((json_t *)v, k, x) if (!json_is_string(x)) return 0;
        return 1;
    }
    case FT_STRS: return all(v, is_str);
    case FT_INTS: return all(v, is_int);
    case FT_JOBID: return is_jobid(v);
    case FT_JOBIDS: return all(v, is_jobid);
    case FT_OBJS: return all(v, is_obj);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct field_spec *fields = tables[data[0] % NTABLES];
    int open = (data[0] / NTABLES) & 1;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    sl_error_t e = { "" };
    if (fields_check(fields, open, body, &e) == 0) {
        for (const struct field_spec *f = fields; f->name; f++) {
            json_t *v = json_object_get(body, f->name);
            FUZZ_CHECK(v || !(f->flags & F_REQUIRED), "required '%s' missing", f->name);
            FUZZ_CHECK(!v || typed(f, v) || (json_is_null(v) && (f->flags & F_NULL)),
                       "'%s' accepted with the wrong type", f->name);
        }
        if (fields == F_job_submit && jobspec_check(body, &e) < 0)
            FUZZ_CHECK(e.text[0], "jobspec_check refused without a message");
    } else {
        FUZZ_CHECK(e.text[0], "fields_check refused without a message");
    }
    json_decref(body);
    return 0;
}
