/* assoc.h: the accounts database of sacctmgr: accounts in a tree under
 * root, users with a default account and an admin level, and associations
 * (user, account, optional partition) that say which accounts a user may
 * charge.  Pure logic over jansson values (no controller state), so that the
 * unit test drives it directly; the controller keeps one (c->assoc, see
 * ops_assoc.c) and persists it (db_assoc.c).
 *
 *   accounts: {"NAME": {"description", "organization", "parent"}}, root with
 *             parent "" always present;
 *   users:    {"NAME": {"default_account", "admin_level",
 *                        "assocs": [{"account", "partition"}]}}
 *             (partition "" for every partition).
 *
 * Every change either applies whole or fails with e naming the problem and
 * the database unchanged (callers work on a copy: assoc_copy). */
#ifndef CTLD_ASSOC_H
#define CTLD_ASSOC_H

#include <jansson.h>
#include "error.h"

#define ASSOC_ROOT "root"

enum assoc_admin { ASSOC_ADMIN_NONE, ASSOC_ADMIN_OPERATOR, ASSOC_ADMIN_ADMIN };

struct assoc_db {
    json_t *accounts;
    json_t *users;
};

void assoc_init(struct assoc_db *a);          /* root only */
void assoc_fini(struct assoc_db *a);
void assoc_copy(struct assoc_db *dst, const struct assoc_db *src);
/* Take over a stored state (NULLs for none); root is added if missing. */
void assoc_load(struct assoc_db *a, json_t *accounts, json_t *users);

/* Names of accounts, users and partitions: 1 to 64 characters of letters,
 * digits, '_', '-', '.', '@', not starting with '-'; accounts are kept in
 * lower case, as Slurm's. */
int assoc_name_check(const char *what, const char *name, sl_error_t *e);
int assoc_admin_parse(const char *s, int *level, sl_error_t *e);
const char *assoc_admin_name(int level);

/* Accounts.  desc, org: NULL for the default (the account's name; the
 * organization is the parent's unless the parent is root); parent NULL for
 * root.  Add refuses an existing account and an unknown parent; modify
 * refuses a parent that is the account or below it; delete refuses root, an
 * account with child accounts and one that users are associated with. */
int assoc_account_add(struct assoc_db *a, const char *name, const char *desc, const char *org,
                      const char *parent, sl_error_t *e);
int assoc_account_modify(struct assoc_db *a, const char *name, const char *desc,
                         const char *org, const char *parent, sl_error_t *e);
int assoc_account_delete(struct assoc_db *a, const char *name, sl_error_t *e);
/* Is anc the account acct or one of its ancestors? */
int assoc_is_ancestor(const struct assoc_db *a, const char *anc, const char *acct);

/* Users.  assoc_user_add associates user with account (partition NULL or ""
 * for all), creating the user if new: its default account is def_acct, else
 * account; admin < 0 leaves the level (None for a new user).  Returns 1 when
 * something was added, 0 when the association existed already. */
int assoc_user_add(struct assoc_db *a, const char *user, const char *account,
                   const char *partition, const char *def_acct, int admin, sl_error_t *e);
/* def_acct NULL or admin < 0: unchanged.  The default account must be one
 * the user is associated with. */
int assoc_user_modify(struct assoc_db *a, const char *user, const char *def_acct, int admin,
                      sl_error_t *e);
/* account NULL: the user and all its associations.  Else the user's
 * associations with account (partition NULL: any partition); refused when
 * none matches, and when it would leave the default account without an
 * association while others remain (the last one removes the user). */
int assoc_user_delete(struct assoc_db *a, const char *user, const char *account,
                      const char *partition, sl_error_t *e);

/* May user run jobs under account in partition (NULL: any)?  An
 * association without a partition covers every partition. */
int assoc_may_use(const struct assoc_db *a, const char *user, const char *account,
                  const char *partition);
const char *assoc_default_account(const struct assoc_db *a, const char *user);  /* or NULL */
int assoc_admin_level(const struct assoc_db *a, const char *user);

#endif
