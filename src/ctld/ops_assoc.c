/* ops_assoc.c: sacctmgr's requests on accounts, users and associations
 * (assoc.h), and the check of a job's account at submission.
 *
 * Changes come from root, the daemons' user, Operators= of the config, or a
 * user whose AdminLevel is Operator or Administrator; anyone may list.  A
 * request naming several entities applies to a copy of the database and
 * replaces it only when every one succeeded: a refused request changes
 * nothing.  The rows that changed are written into the open transaction and
 * the reply waits for its commit, so an acknowledged change survives kill -9. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "assoc.h"
#include "ctld.h"
#include "db_assoc.h"
#include "log.h"

int assoc_setup(struct ctld *c, sl_error_t *e)
{
    json_t *accounts, *users;
    if (db_assoc_load(c->db, &accounts, &users, e) < 0)
        return -1;
    c->assoc = calloc(1, sizeof(*c->assoc));
    if (!c->assoc)
        return sl_errprintf(e, "out of memory");
    assoc_load(c->assoc, accounts, users);
    assoc_enforce_warn(c);
    return 0;
}

void assoc_teardown(struct ctld *c)
{
    if (c->assoc)
        assoc_fini(c->assoc);
    free(c->assoc);
    c->assoc = NULL;
}

void assoc_enforce_warn(struct ctld *c)
{
    unsigned v = c->conf->acct_enforce;
    if (v & ~(unsigned)ENFORCE_ASSOCIATIONS)
        log_warn("AccountingStorageEnforce: only 'associations' has an effect in this "
                    "version; limits, qos, safe, wckeys, nojobs and nosteps are accepted and "
                    "ignored (QOS and limits are not implemented)");
}

static int assoc_may_change(struct ctld *c, uid_t uid)
{
    return ctld_is_admin(c, uid) ||
           assoc_admin_level(c->assoc, ctld_user_name(uid)) >= ASSOC_ADMIN_OPERATOR;
}

/* AdminLevel=Administrator is given by root, Operators= of the config and
 * Administrators only, as in Slurm (a database Operator cannot raise
 * anyone, itself included, above itself). */
static int assoc_may_grant(struct ctld *c, uid_t uid, json_t *q)
{
    int level;
    const char *want = json_string_value(json_object_get(q, "admin_level"));
    if (!want || assoc_admin_parse(want, &level, NULL) < 0 || level < ASSOC_ADMIN_ADMIN)
        return 1;
    return ctld_is_admin(c, uid) ||
           assoc_admin_level(c->assoc, ctld_user_name(uid)) >= ASSOC_ADMIN_ADMIN;
}

static const char *qstr(json_t *q, const char *key)
{
    return json_string_value(json_object_get(q, key));
}

/* One change over every name of the request; -1 with e set on the first
 * that fails.  added collects what each one reports (ops may ignore it). */
typedef int (*assoc_change_fn)(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                               sl_error_t *e);

static void assoc_apply(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q,
                        assoc_change_fn fn, const char *what)
{
    struct assoc_db copy;
    sl_error_t e;
    json_t *names = json_object_get(q, "names"), *v, *added = json_array();   /* reply "changed" */
    size_t i;
    if (!assoc_may_change(c, conn_uid(conn))) {
        json_decref(added);
        conn_error(conn, id, "EPERM", "Access/permission denied: only root, an operator or a "
                                      "user with AdminLevel Operator or Administrator can "
                                      "%s", what);
        return;
    }
    if (json_array_size(names) == 0) {
        json_decref(added);
        conn_error(conn, id, "EINVAL", "%s: no names given (Names=)", what);
        return;
    }
    if (!assoc_may_grant(c, conn_uid(conn), q)) {
        json_decref(added);
        conn_error(conn, id, "EPERM", "Access/permission denied: only root, an operator of "
                                      "the configuration or an Administrator can make "
                                      "someone an Administrator");
        return;
    }
    assoc_copy(&copy, c->assoc);
    json_array_foreach(names, i, v) {
        if (fn(&copy, json_string_value(v), q, added, &e) < 0) {
            assoc_fini(&copy);
            json_decref(added);
            conn_error(conn, id, strstr(e.text, "unknown") ? "ENOENT" : "EINVAL", "%s",
                       e.text);
            return;
        }
    }
    db_assoc_sync(c->db, c->assoc->accounts, c->assoc->users, copy.accounts, copy.users);
    assoc_fini(c->assoc);
    *c->assoc = copy;
    log_info("accounts: %s by %s", what, ctld_user_name(conn_uid(conn)));
    ctld_reply_later(c, conn, id, json_pack("{s:o}", "changed", added));
}

static int admin_of(json_t *q, int *level, sl_error_t *e)
{
    *level = -1;
    return qstr(q, "admin_level") ? assoc_admin_parse(qstr(q, "admin_level"), level, e) : 0;
}

static int account_add(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                       sl_error_t *e)
{
    if (assoc_account_add(a, name, qstr(q, "description"), qstr(q, "organization"),
                          qstr(q, "parent"), e) < 0)
        return -1;
    json_array_append_new(added, json_string(name));
    return 0;
}

static int account_modify(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                          sl_error_t *e)
{
    json_array_append_new(added, json_string(name));
    return assoc_account_modify(a, name, qstr(q, "description"), qstr(q, "organization"),
                                qstr(q, "parent"), e);
}

static int account_delete(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                          sl_error_t *e)
{
    (void)q;
    json_array_append_new(added, json_string(name));
    return assoc_account_delete(a, name, e);
}

/* Every (account, partition) of the request for one user. */
static int user_add(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                    sl_error_t *e)
{
    json_t *accts = json_object_get(q, "accounts"), *parts = json_object_get(q, "partitions");
    json_t *av, *pv;
    size_t i, k;
    int level, rc;
    const char *def = qstr(q, "default_account");
    if (admin_of(q, &level, e) < 0)
        return -1;
    if (json_array_size(accts) == 0 && def) {
        rc = assoc_user_add(a, name, def, NULL, def, level, e);
        if (rc > 0)
            json_array_append_new(added, json_pack("{s:s, s:s, s:s}", "user", name, "account",
                                                   def, "partition", ""));
        return rc < 0 ? -1 : 0;
    }
    if (json_array_size(accts) == 0)
        return sl_errprintf(e, "user %s: a new association needs an account (Account=)", name);
    json_array_foreach(accts, i, av) {
        for (k = 0; k < (json_array_size(parts) ? json_array_size(parts) : 1); k++) {
            pv = json_array_get(parts, k);
            /* The first account is the default of a new user. */
            rc = assoc_user_add(a, name, json_string_value(av), json_string_value(pv),
                                def, level, e);
            if (rc < 0)
                return -1;
            if (rc > 0)
                json_array_append_new(added, json_pack("{s:s, s:s, s:s}", "user", name,
                                                       "account", json_string_value(av),
                                                       "partition", pv ? json_string_value(pv)
                                                                       : ""));
        }
    }
    return 0;
}

static int user_modify(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                       sl_error_t *e)
{
    int level;
    if (admin_of(q, &level, e) < 0)
        return -1;
    json_array_append_new(added, json_string(name));
    return assoc_user_modify(a, name, qstr(q, "default_account"), level, e);
}

static int user_delete(struct assoc_db *a, const char *name, json_t *q, json_t *added,
                       sl_error_t *e)
{
    json_t *accts = json_object_get(q, "accounts"), *parts = json_object_get(q, "partitions");
    json_t *av;
    size_t i, k;
    if (json_array_size(accts) == 0) {
        json_array_append_new(added, json_pack("{s:s}", "user", name));
        return assoc_user_delete(a, name, NULL, NULL, e);
    }
    json_array_foreach(accts, i, av) {
        for (k = 0; k < (json_array_size(parts) ? json_array_size(parts) : 1); k++) {
            const char *p = json_string_value(json_array_get(parts, k));
            if (assoc_user_delete(a, name, json_string_value(av), p, e) < 0)
                return -1;
            json_array_append_new(added, json_pack("{s:s, s:s, s:s}", "user", name, "account",
                                                   json_string_value(av), "partition",
                                                   p ? p : ""));
        }
    }
    return 0;
}

void op_account_add(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, account_add, "add accounts");
}

void op_account_modify(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, account_modify, "modify accounts");
}

void op_account_delete(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, account_delete, "delete accounts");
}

void op_user_add(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, user_add, "add users");
}

void op_user_modify(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, user_modify, "modify users");
}

void op_user_delete(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    assoc_apply(arg, conn, id, q, user_delete, "delete users");
}

static int name_wanted(json_t *names, const char *name)
{
    json_t *v;
    size_t i;
    if (json_array_size(names) == 0)
        return 1;
    json_array_foreach(names, i, v)
        if (strcasecmp(json_string_value(v), name) == 0)
            return 1;
    return 0;
}

/* account_list: {"accounts": [{"name", "description", "organization",
 * "parent"}], "cluster"}, by name. */
void op_account_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *out = json_array(), *v;
    const char *k;
    json_object_foreach(c->assoc->accounts, k, v) {
        if (!name_wanted(json_object_get(q, "names"), k))
            continue;
        json_t *rec = json_deep_copy(v);
        json_object_set_new(rec, "name", json_string(k));
        json_array_append_new(out, rec);
    }
    conn_reply(conn, id, json_pack("{s:o, s:s}", "accounts", out, "cluster",
                                   c->conf->cluster_name));
}

/* user_list: {"users": [{"name", "default_account", "admin_level",
 * "assocs"}], "cluster"}; names and accounts narrow it (a user is listed
 * with the associations of those accounts only). */
void op_user_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *out = json_array(), *v, *as, *accts = json_object_get(q, "accounts");
    const char *k;
    size_t i;
    json_object_foreach(c->assoc->users, k, v) {
        if (!name_wanted(json_object_get(q, "names"), k))
            continue;
        json_t *rec = json_deep_copy(v), *kept = json_array();
        json_array_foreach(json_object_get(v, "assocs"), i, as)
            if (name_wanted(accts, json_string_value(json_object_get(as, "account"))))
                json_array_append(kept, as);
        if (json_array_size(accts) && json_array_size(kept) == 0) {
            json_decref(kept);
            json_decref(rec);
            continue;
        }
        json_object_set_new(rec, "assocs", kept);
        json_object_set_new(rec, "name", json_string(k));
        json_array_append_new(out, rec);
    }
    conn_reply(conn, id, json_pack("{s:o, s:s}", "users", out, "cluster",
                                   c->conf->cluster_name));
}

/* May j's user charge acct in every partition of j's (a comma list when
 * several were asked)? */
static int assoc_parts_ok(struct ctld *c, const struct job *j, const char *acct)
{
    char *parts = strdup(j->partition ? j->partition : ""), *save = NULL;
    int ok = parts != NULL;
    for (char *p = strtok_r(parts, ",", &save); ok && p; p = strtok_r(NULL, ",", &save))
        ok = assoc_may_use(c->assoc, j->user, acct, p);
    if (ok && parts && !*parts)
        ok = assoc_may_use(c->assoc, j->user, acct, NULL);
    free(parts);
    return ok;
}

int assoc_job_account(struct ctld *c, const struct job *j, const char *acct, char **out,
                      sl_error_t *e)
{
    const char *use = acct && *acct ? acct : assoc_default_account(c->assoc, j->user);
    *out = NULL;
    if (!(c->conf->acct_enforce & ENFORCE_ASSOCIATIONS)) {
        *out = use ? strdup(use) : NULL;
        return 0;
    }
    if (!use || !assoc_parts_ok(c, j, use))
        return sl_errprintf(e, "Invalid account or account/partition combination specified");
    /* Stored as the database keeps it (Slurm's accounts are lower case). */
    *out = strdup(use);
    for (char *p = *out; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

int assoc_job_check(struct ctld *c, struct job *j, sl_error_t *e)
{
    char *acct;
    if (assoc_job_account(c, j, j->account, &acct, e) < 0)
        return -1;
    job_set_str(&j->account, acct);
    free(acct);
    return 0;
}
