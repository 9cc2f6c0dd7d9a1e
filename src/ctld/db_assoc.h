/* db_assoc.h: persistence of the accounts database (assoc.h, db_assoc.c). */
#ifndef CTLD_DB_ASSOC_H
#define CTLD_DB_ASSOC_H

#include <jansson.h>
#include "error.h"

struct db;

/* The stored accounts and users ({"name": record}, new references). */
int db_assoc_load(struct db *d, json_t **accounts, json_t **users, sl_error_t *e);
/* Write the rows that differ between the old and the new state. */
void db_assoc_sync(struct db *d, json_t *old_accounts, json_t *old_users, json_t *accounts,
                   json_t *users);

#endif
