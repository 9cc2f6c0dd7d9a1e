/* jobdef.c: job definitions in the shape of AWS Batch's RegisterJobDefinition,
 * and their use at submission: a definition supplies defaults that anything
 * the submission states overrides. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "log.h"
#include "mnp.h"

static const char *top_keys[] = {
    "jobDefinitionName", "type", "parameters", "containerProperties", "nodeProperties",
    "retryStrategy", "timeout", "schedulingPriority", "tags", "propagateTags",
    "platformCapabilities", NULL,
};

static int name_valid(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (!len || len > 128 || !isalnum((unsigned char)n[0]))
        return 0;
    for (const char *p = n; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return 0;
    }
    return 1;
}

static int def_check(json_t *def, sl_error_t *e)
{
    const char *k;
    json_t *v;
    if (!json_is_object(def))
        return sl_errprintf(e, "a job definition must be a JSON object");
    json_object_foreach(def, k, v) {
        int known = 0;
        for (size_t i = 0; top_keys[i]; i++)
            known |= !strcmp(k, top_keys[i]);
        if (!known)
            return sl_errprintf(e, "unknown job definition field '%s'", k);
    }
    if (!name_valid(json_string_value(json_object_get(def, "jobDefinitionName"))))
        return sl_errprintf(e, "jobDefinitionName must be 1-128 of A-Z a-z 0-9 _ -, starting "
                               "with a letter or digit");
    const char *type = json_string_value(json_object_get(def, "type"));
    if (!type || (strcmp(type, "container") && strcmp(type, "single") && strcmp(type, "multinode")))
        return sl_errprintf(e, "type must be container (single) or multinode");
    json_object_foreach(json_object_get(def, "parameters"), k, v) {
        if (!json_is_string(v))
            return sl_errprintf(e, "parameter '%s' must have a string value", k);
    }
    json_t *rs = json_object_get(def, "retryStrategy");
    json_int_t att = json_integer_value(json_object_get(rs, "attempts"));
    if (rs && (att < 1 || att > 10))
        return sl_errprintf(e, "retryStrategy.attempts must be from 1 to 10");
    json_t *to = json_object_get(def, "timeout");
    if (to && json_integer_value(json_object_get(to, "attemptDurationSeconds")) < 60)
        return sl_errprintf(e, "timeout.attemptDurationSeconds must be at least 60");
    if (!strcmp(type, "multinode")) {
        if (json_object_get(def, "containerProperties"))
            return sl_errprintf(e, "a multinode definition gives each node range its container "
                                   "in nodeProperties, not containerProperties");
        return mnp_check(json_object_get(def, "nodeProperties"), e);
    }
    if (json_object_get(def, "nodeProperties"))
        return sl_errprintf(e, "nodeProperties needs type multinode");
    return mnp_check_container(json_object_get(def, "containerProperties"),
                               "containerProperties", e);
}

void op_jobdef_register(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    json_t *def = json_object_get(q, "definition");
    if (def_check(def, &e) < 0) {
        conn_error(conn, id, "EINVAL", "invalid job definition: %s", e.text);
        return;
    }
    const char *name = json_string_value(json_object_get(def, "jobDefinitionName"));
    int rev = db_jobdef_add(c->db, name, def, ctld_now(), &e);
    if (rev < 0) {
        conn_error(conn, id, "EIO", "%s", e.text);
        return;
    }
    log_info("job definition %s:%d registered by uid %u", name, rev, (unsigned)conn_uid(conn));
    ctld_reply_later(c, conn, id, json_pack("{s:s, s:i}", "name", name, "revision", rev));
}

void op_jobdef_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    int rev = (int)json_integer_value(json_object_get(q, "revision"));
    json_t *defs = db_jobdef_list(c->db, name, rev, json_is_true(json_object_get(q, "all")));
    if (name && !json_array_size(defs)) {
        json_decref(defs);
        conn_error(conn, id, "ENOENT", "Invalid job definition specified: %s%s", name,
                   rev ? "" : " (no ACTIVE revision)");
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "definitions", defs));
}

void op_jobdef_deregister(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    int rev = (int)json_integer_value(json_object_get(q, "revision"));
    if (!name || rev < 1) {
        conn_error(conn, id, "EINVAL", "deregister needs NAME:REVISION");
        return;
    }
    if (db_jobdef_set_status(c->db, name, rev, "INACTIVE") < 0) {
        conn_error(conn, id, "ENOENT", "Invalid job definition specified: %s:%d", name, rev);
        return;
    }
    ctld_kick(c);
    ctld_reply_later(c, conn, id, json_object());
}
