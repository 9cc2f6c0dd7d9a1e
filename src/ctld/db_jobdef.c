/* db_jobdef.c: stored job definitions and earlier attempts. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "db_impl.h"

int db_jobdef_add(struct db *d, const char *name, json_t *def, int64_t now, sl_error_t *e)
{
    sqlite3_stmt *st;
    int rev = 1;
    if (sqlite3_prepare_v2(d->h, "SELECT max(revision) FROM jobdefs WHERE name=?", -1, &st,
                           NULL) != SQLITE_OK)
        return sl_errprintf(e, "job definition query failed: %s", sqlite3_errmsg(d->h));
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        rev = sqlite3_column_int(st, 0) + 1;
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(d->h, "INSERT INTO jobdefs(name, revision, status, registered, def)"
                                 " VALUES(?,?,'ACTIVE',?,?)", -1, &st, NULL) != SQLITE_OK)
        return sl_errprintf(e, "job definition insert failed: %s", sqlite3_errmsg(d->h));
    db_begin(d);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, rev);
    sqlite3_bind_int64(st, 3, now);
    bind_json(st, 4, def);
    db_step(d, st, "insert job definition");
    sqlite3_finalize(st);
    return rev;
}

/* name NULL: all; revision 0: every revision (or, with !all, the latest
 * ACTIVE when a name is given). */
json_t *db_jobdef_list(struct db *d, const char *name, int revision, int all)
{
    sqlite3_stmt *st;
    json_t *out = json_array();
    const char *sql = "SELECT name, revision, status, registered, def FROM jobdefs"
                      " WHERE (?1 IS NULL OR name=?1) AND (?2=0 OR revision=?2)"
                      " AND (?3 OR status='ACTIVE') ORDER BY name, revision";
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return out;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, revision);
    sqlite3_bind_int(st, 3, all || revision);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *def = column_json(st, 4);
        json_array_append_new(out, json_pack("{s:s, s:i, s:s, s:I, s:o}", "name",
                                             (const char *)sqlite3_column_text(st, 0),
                                             "revision", sqlite3_column_int(st, 1), "status",
                                             (const char *)sqlite3_column_text(st, 2),
                                             "registered_time",
                                             (json_int_t)sqlite3_column_int64(st, 3),
                                             "definition", def ? def : json_object()));
    }
    sqlite3_finalize(st);
    return out;
}

int db_jobdef_set_status(struct db *d, const char *name, int revision, const char *status)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "UPDATE jobdefs SET status=? WHERE name=? AND revision=?", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    db_begin(d);
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, revision);
    db_step(d, st, "update job definition");
    int changed = sqlite3_changes(d->h);
    sqlite3_finalize(st);
    return changed ? 0 : -1;
}

void db_attempts_append(struct db *d, json_t *jobs)
{
    sqlite3_stmt *st;
    size_t n = json_array_size(jobs);
    if (sqlite3_prepare_v2(d->h, "SELECT record FROM attempts WHERE job_id=? ORDER BY attempt",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    json_t *all = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_array_get(jobs, i);
        sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(rec, "job_id")));
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *a = column_json(st, 0);
            if (a)
                json_array_append_new(all, a);
        }
        sqlite3_reset(st);
        json_array_append(all, rec);
    }
    sqlite3_finalize(st);
    json_array_clear(jobs);
    json_array_extend(jobs, all);
    json_decref(all);
}

/* Named records kept whole: queues and policies changed at run time. */
static json_t *db_named_load(struct db *d, const char *table)
{
    sqlite3_stmt *st;
    char sql[128];
    json_t *all = json_object();
    snprintf(sql, sizeof(sql), "SELECT name, record FROM %s", table);
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return all;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *rec = column_json(st, 1);
        if (rec)
            json_object_set_new(all, (const char *)sqlite3_column_text(st, 0), rec);
    }
    sqlite3_finalize(st);
    return all;
}

static void db_named_save(struct db *d, const char *table, const char *name, json_t *rec)
{
    sqlite3_stmt *st;
    char sql[128];
    snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s(name, record) VALUES(?,?)", table);
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        json_decref(rec);
        return;
    }
    db_begin(d);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    bind_json(st, 2, rec);
    db_step(d, st, "save queue or policy");
    sqlite3_finalize(st);
    json_decref(rec);
}

json_t *db_queues_load(struct db *d) { return db_named_load(d, "queues"); }
json_t *db_policies_load(struct db *d) { return db_named_load(d, "policies"); }
void db_queue_save(struct db *d, const char *name, json_t *rec) { db_named_save(d, "queues", name, rec); }
void db_policy_save(struct db *d, const char *name, json_t *rec) { db_named_save(d, "policies", name, rec); }
json_t *db_resvs_load(struct db *d) { return db_named_load(d, "reservations"); }
void db_resv_save(struct db *d, const char *name, json_t *rec) { db_named_save(d, "reservations", name, rec); }

json_t *db_shares_load(struct db *d)
{
    sqlite3_stmt *st;
    json_t *all = json_array();
    if (sqlite3_prepare_v2(d->h, "SELECT policy, id, usage, updated FROM shares", -1, &st,
                           NULL) != SQLITE_OK)
        return all;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(all, json_pack("{s:s, s:s, s:f, s:I}", "policy",
                                             (const char *)sqlite3_column_text(st, 0), "id",
                                             (const char *)sqlite3_column_text(st, 1), "usage",
                                             sqlite3_column_double(st, 2), "updated",
                                             (json_int_t)sqlite3_column_int64(st, 3)));
    sqlite3_finalize(st);
    return all;
}

void db_share_save(struct db *d, const char *policy, const char *id, double usage, int64_t t)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "INSERT OR REPLACE INTO shares(policy, id, usage, updated)"
                                 " VALUES(?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return;
    db_begin(d);
    sqlite3_bind_text(st, 1, policy, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, usage);
    sqlite3_bind_int64(st, 4, t);
    db_step(d, st, "save share usage");
    sqlite3_finalize(st);
}

int db_purge(struct db *d, int64_t before)
{
    const char *sql[] = {
        "DELETE FROM jobs WHERE state IN ('SUCCEEDED','FAILED') AND end_time > 0"
        " AND end_time < ?",
        "DELETE FROM attempts WHERE job_id NOT IN (SELECT id FROM jobs)",
        "DELETE FROM steps WHERE job_id NOT IN (SELECT id FROM jobs)",
    };
    int removed = 0;
    db_begin(d);
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(d->h, sql[i], -1, &st, NULL) != SQLITE_OK)
            return -1;
        if (i == 0)
            sqlite3_bind_int64(st, 1, before);
        db_step(d, st, "purge");
        if (i == 0)
            removed = sqlite3_changes(d->h);
        sqlite3_finalize(st);
    }
    return removed;
}
