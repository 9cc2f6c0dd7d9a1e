/* db_assoc.c: the accounts database (assoc.h) in the controller's SQLite
 * database: a row per account and per user (with its associations), written
 * into the open transaction like every other change, so that a change is
 * durable before sacctmgr hears of it. */
#include <stdio.h>
#include <string.h>
#include "db_impl.h"
#include "db_assoc.h"
#include "log.h"

static const char *assoc_schema =
    "CREATE TABLE IF NOT EXISTS acct_accounts(name TEXT PRIMARY KEY, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS acct_users(name TEXT PRIMARY KEY, record TEXT NOT NULL);";

static json_t *table_load(struct db *d, const char *table)
{
    sqlite3_stmt *st;
    char sql[96];
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

int db_assoc_load(struct db *d, json_t **accounts, json_t **users, sl_error_t *e)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, assoc_schema, NULL, NULL, &msg) != SQLITE_OK) {
        sl_errprintf(e, "cannot create the accounts tables: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    *accounts = table_load(d, "acct_accounts");
    *users = table_load(d, "acct_users");
    return 0;
}

/* Write rec under name (NULL rec: delete the row). */
static void row_put(struct db *d, const char *table, const char *name, json_t *rec)
{
    sqlite3_stmt *st;
    char sql[128];
    if (rec)
        snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s(name, record) VALUES(?,?)", table);
    else
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE name=?", table);
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        log_fatal("database error (prepare %s): %s", table, sqlite3_errmsg(d->h));
    db_begin(d);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (rec)
        bind_json(st, 2, rec);
    db_step(d, st, "save accounts");
    sqlite3_finalize(st);
}

static void table_sync(struct db *d, const char *table, json_t *old, json_t *now)
{
    const char *k;
    json_t *v;
    json_object_foreach(now, k, v)
        if (!json_equal(v, json_object_get(old, k)))
            row_put(d, table, k, v);
    json_object_foreach(old, k, v)
        if (!json_object_get(now, k))
            row_put(d, table, k, NULL);
}

void db_assoc_sync(struct db *d, json_t *old_accounts, json_t *old_users, json_t *accounts,
                   json_t *users)
{
    table_sync(d, "acct_accounts", old_accounts, accounts);
    table_sync(d, "acct_users", old_users, users);
}
