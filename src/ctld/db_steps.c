/* db_steps.c: the steps table (doc/protocol.md, "Job steps"). */
#include <sqlite3.h>
#include "db_impl.h"

/* The batch step's key: it sorts before step 0, as sacct lists it. */
#define STEP_BATCH_KEY (-2)

static json_int_t step_key(json_t *rec)
{
    json_t *s = json_object_get(rec, "step_id");
    return json_is_integer(s) ? json_integer_value(s) : STEP_BATCH_KEY;
}

void db_step_save(struct db *d, json_t *rec)
{
    sqlite3_stmt *st = d->st[ST_STEP_SAVE];
    db_begin(d);
    sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(rec, "job_id")));
    sqlite3_bind_int64(st, 2, step_key(rec));
    sqlite3_bind_text(st, 3, json_string_value(json_object_get(rec, "state")), -1,
                      SQLITE_TRANSIENT);
    bind_json(st, 4, rec);
    db_step(d, st, "save step");
}

json_t *db_steps_of(struct db *d, uint32_t job_id)
{
    sqlite3_stmt *st = d->st[ST_STEPS_OF];
    json_t *out = json_array();
    sqlite3_bind_int64(st, 1, job_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *rec = column_json(st, 0);
        if (rec)
            json_array_append_new(out, rec);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}
