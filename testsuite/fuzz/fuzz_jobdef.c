/* fuzz_jobdef.c: job definitions (AWS Batch's RegisterJobDefinition shape)
 * on both sides.  First byte 0 mod 2: the rest is a file for
 * jobdef_file_read (scontrol register jobdefinition), written in a private
 * temporary directory.  Else the rest is JSON [DEFINITION, SPEC]: the
 * controller's check of a definition (ctld/jobdef.c), and when it passes, a
 * job_submit SPEC applied against it as the stored ACTIVE revision 1
 * (ctld/jobdef_apply.c).  Both controller files are compiled into this
 * harness with stubs for the database and the connection.  Promises
 * checked: a file read is an object with a non-empty name; an applied spec
 * is an object with a script and the definition's label; a refusal says
 * why. */
#include <unistd.h>

#include "fuzz.h"
#include "jobdef_file.h"

/* The controller's files, with what they call of the rest of the daemon
 * stubbed below. */
#include "../../src/ctld/jobdef.c"
#include "../../src/ctld/jobdef_apply.c"
#include "../../src/ctld/mnp.c"

static json_t *stored;   /* the definition db_jobdef_list returns */
static struct ctld fake_ctld;

json_t *db_jobdef_list(struct db *d, const char *name, int revision, int all)
{
    if (!stored || (revision && revision != 1))
        return json_array();
    return json_pack("[{s:s, s:i, s:s, s:O}]", "name", name, "revision", 1, "status", "ACTIVE",
                     "definition", stored);
}

int db_jobdef_add(struct db *d, const char *name, json_t *def, int64_t now, sl_error_t *e)
{
    return 1;
}

int db_jobdef_set_status(struct db *d, const char *name, int revision, const char *status)
{
    return 0;
}

void conn_error(sl_conn_t *c, uint64_t id, const char *code, const char *fmt, ...) {}
void conn_reply(sl_conn_t *c, uint64_t id, json_t *body) { json_decref(body); }
uid_t conn_uid(const sl_conn_t *c) { return 0; }
int64_t ctld_now(void) { return 1700000000; }
void ctld_kick(struct ctld *c) {}
void ctld_reply_later(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *body)
{
    json_decref(body);
}

static char dir[64], path[96];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof(dir), "%s", "/tmp/sluice-fuzz-jobdef.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof(path), "%s/def.json", dir);
    atexit(cleanup);
    return 0;
}

static void file_read(const uint8_t *data, size_t size)
{
    sl_error_t e;
    json_t *def;
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    if (!(def = jobdef_file_read(path, &e))) {
        FUZZ_CHECK(strstr(e.text, path), "message '%s' does not name the file", e.text);
        return;
    }
    FUZZ_CHECK(json_is_object(def), "not an object");
    FUZZ_CHECK(*json_string_value(json_object_get(def, "jobDefinitionName")), "no name");
    json_decref(def);
}

static void controller(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *spec, *out;
    sl_error_t e;
    if (!json_is_array(in) || json_array_size(in) != 2 ||
        !json_is_object(json_array_get(in, 1))) {
        json_decref(in);
        return;
    }
    if (def_check(json_array_get(in, 0), &e) < 0) {
        FUZZ_CHECK(e.text[0], "definition refused without a message");
        json_decref(in);
        return;
    }
    stored = json_array_get(in, 0);
    /* As op_job_submit: a spec naming a definition is applied. */
    spec = json_array_get(in, 1);
    if (json_object_get(spec, "job_definition")) {
        out = jobdef_apply(&fake_ctld, spec, &e);
        if (out) {
            FUZZ_CHECK(json_is_object(out), "applied spec is not an object");
            /* A script given with the submission is kept as given (the
             * submission's own checks judge it); else one is built. */
            json_t *given = json_object_get(spec, "script");
            FUZZ_CHECK(given ? json_equal(json_object_get(out, "script"), given)
                             : json_is_string(json_object_get(out, "script")), "no script");
            FUZZ_CHECK(json_is_string(json_object_get(out, "job_definition")), "no label");
            json_decref(out);
        } else {
            FUZZ_CHECK(e.text[0], "spec refused without a message");
        }
    }
    stored = NULL;
    json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    if (data[0] % 2)
        controller(data + 1, size - 1);
    else
        file_read(data + 1, size - 1);
    return 0;
}
