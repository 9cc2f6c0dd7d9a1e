/* db_impl.h: what the database's source files share (not for other users). */
#ifndef CTLD_DB_IMPL_H
#define CTLD_DB_IMPL_H

#include <sqlite3.h>
#include "db.h"

enum stmt_id {
    ST_INSERT, ST_UPDATE, ST_NODE, ST_GET, ST_SPEC, ST_BEGIN, ST_COMMIT, ST_TASK, ST_ATTEMPT,
    ST_STEP_SAVE, ST_STEPS_OF,
    ST_COUNT
};

struct db {
    sqlite3 *h;
    sqlite3_stmt *st[ST_COUNT];
    int in_txn;
};

void db_step(struct db *d, sqlite3_stmt *st, const char *what);
void db_begin(struct db *d);
void bind_json(sqlite3_stmt *st, int idx, json_t *v);
json_t *column_json(sqlite3_stmt *st, int col);

#endif
