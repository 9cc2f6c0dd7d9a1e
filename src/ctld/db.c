#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "log.h"
#include "db_impl.h"

static const char *stmt_sql[ST_COUNT] = {
    [ST_INSERT] = "INSERT INTO jobs(id, uid, state, end_time, record, spec, arr_id, arr_task)"
                  " VALUES(?,?,?,?,?,?,?,?)",
    [ST_TASK] = "SELECT record FROM jobs WHERE arr_id=? AND arr_task=? ORDER BY id DESC LIMIT 1",
    [ST_ATTEMPT] = "INSERT OR REPLACE INTO attempts(job_id, attempt, record) VALUES(?,?,?)",
    [ST_UPDATE] = "UPDATE jobs SET state=?, end_time=?, record=? WHERE id=?",
    [ST_NODE] = "INSERT OR REPLACE INTO nodes(name, record) VALUES(?,?)",
    [ST_GET] = "SELECT record FROM jobs WHERE id=?",
    [ST_SPEC] = "SELECT spec FROM jobs WHERE id=?",
    [ST_STEP_SAVE] = "INSERT OR REPLACE INTO steps(job_id, step_id, state, record)"
                     " VALUES(?,?,?,?)",
    [ST_STEPS_OF] = "SELECT record FROM steps WHERE job_id=? ORDER BY step_id",
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
};

static const char *schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, uid INTEGER, state TEXT,"
    " end_time INTEGER, record TEXT NOT NULL, spec TEXT, arr_id INTEGER, arr_task INTEGER);"
    "CREATE INDEX IF NOT EXISTS jobs_task ON jobs(arr_id, arr_task) WHERE arr_id > 0;"
    "CREATE TABLE IF NOT EXISTS attempts(job_id INTEGER, attempt INTEGER, record TEXT NOT NULL,"
    " PRIMARY KEY(job_id, attempt));"
    "CREATE TABLE IF NOT EXISTS queues(name TEXT PRIMARY KEY, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS policies(name TEXT PRIMARY KEY, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS reservations(name TEXT PRIMARY KEY, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shares(policy TEXT, id TEXT, usage REAL, updated INTEGER,"
    " PRIMARY KEY(policy, id));"
    "CREATE TABLE IF NOT EXISTS jobdefs(name TEXT, revision INTEGER, status TEXT,"
    " registered INTEGER, def TEXT NOT NULL, PRIMARY KEY(name, revision));"
    "CREATE INDEX IF NOT EXISTS jobs_active ON jobs(state) WHERE state NOT IN"
    " ('SUCCEEDED','FAILED');"
    "CREATE TABLE IF NOT EXISTS nodes(name TEXT PRIMARY KEY, record TEXT NOT NULL);"
    /* Job steps: step_id -2 is the batch step (it sorts first, as sacct lists it). */
    "CREATE TABLE IF NOT EXISTS steps(job_id INTEGER, step_id INTEGER, state TEXT,"
    " record TEXT NOT NULL, PRIMARY KEY(job_id, step_id));";

static void db_die(struct db *d, const char *what)
{
    log_fatal("database error (%s): %s", what, sqlite3_errmsg(d->h));
}

struct db *db_open(const char *dir, sl_error_t *e)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/sluice.db", dir);
    struct db *d = calloc(1, sizeof(*d));
    if (!d) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_open(path, &d->h) != SQLITE_OK) {
        sl_errprintf(e, "cannot open database %s: %s", path, sqlite3_errmsg(d->h));
        goto fail;
    }
    sqlite3_busy_timeout(d->h, 5000);
    if (sqlite3_exec(d->h, schema, NULL, NULL, &msg) != SQLITE_OK) {
        sl_errprintf(e, "cannot initialise database %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v2(d->h, stmt_sql[i], -1, &d->st[i], NULL) != SQLITE_OK) {
            sl_errprintf(e, "cannot prepare '%s': %s", stmt_sql[i], sqlite3_errmsg(d->h));
            goto fail;
        }
    }
    return d;
fail:
    db_close(d);
    return NULL;
}

void db_close(struct db *d)
{
    if (!d)
        return;
    if (d->in_txn)
        db_commit(d);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(d->st[i]);
    sqlite3_close(d->h);
    free(d);
}

void db_step(struct db *d, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        db_die(d, what);
}

void db_begin(struct db *d)
{
    if (!d->in_txn) {
        db_step(d, d->st[ST_BEGIN], "begin");
        d->in_txn = 1;
    }
}

int db_in_txn(const struct db *d)
{
    return d->in_txn;
}

void db_commit(struct db *d)
{
    if (!d->in_txn)
        return;
    db_step(d, d->st[ST_COMMIT], "commit");
    d->in_txn = 0;
}

void bind_json(sqlite3_stmt *st, int idx, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    if (text)
        sqlite3_bind_text(st, idx, text, -1, free);
    else
        sqlite3_bind_null(st, idx);
}

void db_job_insert(struct db *d, json_t *rec, json_t *spec)
{
    sqlite3_stmt *st = d->st[ST_INSERT];
    db_begin(d);
    sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(rec, "job_id")));
    sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(rec, "uid")));
    sqlite3_bind_text(st, 3, json_string_value(json_object_get(rec, "state")), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(rec, "end_time")));
    bind_json(st, 5, rec);
    bind_json(st, 6, spec);
    sqlite3_bind_int64(st, 7, json_integer_value(json_object_get(rec, "array_job_id")));
    sqlite3_bind_int64(st, 8, json_integer_value(json_object_get(rec, "array_task_id")));
    db_step(d, st, "insert job");
}

void db_job_update(struct db *d, json_t *rec)
{
    sqlite3_stmt *st = d->st[ST_UPDATE];
    db_begin(d);
    sqlite3_bind_text(st, 1, json_string_value(json_object_get(rec, "state")), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(rec, "end_time")));
    bind_json(st, 3, rec);
    sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(rec, "job_id")));
    db_step(d, st, "update job");
}

void db_node_save(struct db *d, const char *name, json_t *rec)
{
    sqlite3_stmt *st = d->st[ST_NODE];
    db_begin(d);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    bind_json(st, 2, rec);
    db_step(d, st, "save node");
}

json_t *column_json(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return text ? json_loads((const char *)text, 0, NULL) : NULL;
}

static json_t *db_get_one(struct db *d, enum stmt_id sid, uint32_t id)
{
    sqlite3_stmt *st = d->st[sid];
    json_t *v = NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = column_json(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return v;
}

json_t *db_job_get(struct db *d, uint32_t id)
{
    return db_get_one(d, ST_GET, id);
}

json_t *db_job_spec(struct db *d, uint32_t id)
{
    return db_get_one(d, ST_SPEC, id);
}

json_t *db_task_get(struct db *d, uint32_t array_id, int32_t task)
{
    sqlite3_stmt *st = d->st[ST_TASK];
    json_t *v = NULL;
    sqlite3_bind_int64(st, 1, array_id);
    sqlite3_bind_int64(st, 2, task);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = column_json(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return v;
}

void db_attempt_insert(struct db *d, json_t *rec)
{
    sqlite3_stmt *st = d->st[ST_ATTEMPT];
    db_begin(d);
    sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(rec, "job_id")));
    sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(rec, "attempt")));
    bind_json(st, 3, rec);
    db_step(d, st, "record attempt");
}

uint32_t db_max_job_id(struct db *d)
{
    sqlite3_stmt *st;
    uint32_t max = 0;
    if (sqlite3_prepare_v2(d->h, "SELECT max(id) FROM jobs", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            max = (uint32_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return max;
}

int db_jobs_active(struct db *d, int (*fn)(json_t *rec, void *arg), void *arg, sl_error_t *e)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT record FROM jobs WHERE state NOT IN ('SUCCEEDED','FAILED')"
                      " ORDER BY id";
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return sl_errprintf(e, "cannot read jobs: %s", sqlite3_errmsg(d->h));
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        json_t *rec = column_json(st, 0);
        if (!rec) {
            rc = sl_errprintf(e, "corrupt job record in the database");
            break;
        }
        rc = fn(rec, arg);
        json_decref(rec);
    }
    sqlite3_finalize(st);
    return rc;
}

json_t *db_nodes_load(struct db *d)
{
    sqlite3_stmt *st;
    json_t *all = json_object();
    if (sqlite3_prepare_v2(d->h, "SELECT name, record FROM nodes", -1, &st, NULL) != SQLITE_OK)
        return all;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *rec = column_json(st, 1);
        if (rec)
            json_object_set_new(all, (const char *)sqlite3_column_text(st, 0), rec);
    }
    sqlite3_finalize(st);
    return all;
}

/* Builds "... AND id IN (?,?)" style clauses; values bound in order. */
static void sql_in_list(char *sql, size_t len, const char *col, size_t n)
{
    size_t used = strlen(sql);
    used += (size_t)snprintf(sql + used, len - used, " AND %s IN (", col);
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(sql + used, len - used, i ? ",?" : "?");
    snprintf(sql + used, len - used, ")");
}

json_t *db_acct_query(struct db *d, const struct acct_filter *f, sl_error_t *e)
{
    size_t len = 256 + 4 * f->nids + 2 * f->nuids;
    char *sql = malloc(len);
    sqlite3_stmt *st;
    int idx = 1;
    snprintf(sql, len, "SELECT record FROM jobs WHERE 1");
    if (f->nids) {
        /* An array's id also selects its tasks. */
        sql_in_list(sql, len, "(id", f->nids);
        size_t used = strlen(sql) - 1;
        sql[used] = '\0';
        strcat(sql, ") OR arr_id IN (");
        for (size_t i = 0; i < f->nids; i++)
            strcat(sql, i ? ",?" : "?");
        strcat(sql, "))");
    }
    if (!f->all_users && f->nuids)
        sql_in_list(sql, len, "uid", f->nuids);
    if (f->start)
        strcat(sql, " AND (end_time = 0 OR end_time >= ?)");
    if (f->ended_only)
        strcat(sql, " AND end_time > 0");
    strcat(sql, " ORDER BY id");
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        sl_errprintf(e, "accounting query failed: %s", sqlite3_errmsg(d->h));
        free(sql);
        return NULL;
    }
    free(sql);
    for (size_t i = 0; i < f->nids; i++)
        sqlite3_bind_int64(st, idx++, f->ids[i]);
    for (size_t i = 0; i < f->nids; i++)
        sqlite3_bind_int64(st, idx++, f->ids[i]);
    for (size_t i = 0; !f->all_users && i < f->nuids; i++)
        sqlite3_bind_int64(st, idx++, f->uids[i]);
    if (f->start)
        sqlite3_bind_int64(st, idx++, f->start);
    json_t *jobs = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *rec = column_json(st, 0);
        if (!rec)
            continue;
        int64_t submit = json_integer_value(json_object_get(rec, "submit_time"));
        if (f->end && submit > f->end) {
            json_decref(rec);
            continue;
        }
        json_array_append_new(jobs, rec);
    }
    sqlite3_finalize(st);
    return jobs;
}
