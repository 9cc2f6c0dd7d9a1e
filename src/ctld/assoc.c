/* assoc.c: the accounts tree, users and associations (assoc.h). */
#include "assoc.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void assoc_init(struct assoc_db *a)
{
    a->accounts = json_object();
    a->users = json_object();
    json_object_set_new(a->accounts, ASSOC_ROOT,
                        json_pack("{s:s, s:s, s:s}", "description", "default root account",
                                  "organization", "root", "parent", ""));
}

void assoc_fini(struct assoc_db *a)
{
    json_decref(a->accounts);
    json_decref(a->users);
    a->accounts = a->users = NULL;
}

void assoc_copy(struct assoc_db *dst, const struct assoc_db *src)
{
    dst->accounts = json_deep_copy(src->accounts);
    dst->users = json_deep_copy(src->users);
}

void assoc_load(struct assoc_db *a, json_t *accounts, json_t *users)
{
    assoc_init(a);
    if (json_is_object(accounts))
        json_object_update(a->accounts, accounts);
    if (json_is_object(users))
        json_object_update(a->users, users);
    json_decref(accounts);
    json_decref(users);
}

int assoc_name_check(const char *what, const char *name, sl_error_t *e)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return sl_errprintf(e, "%s name is empty", what);
    if (n > 64)
        return sl_errprintf(e, "%s name '%.64s...' is longer than 64 characters", what, name);
    if (name[0] == '-')
        return sl_errprintf(e, "%s name '%s' starts with '-'", what, name);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.@", *p))
            return sl_errprintf(e, "%s name '%s' has '%c': use letters, digits, '_', '-', "
                                   "'.' or '@'", what, name, *p);
    return 0;
}

static const char *const admin_names[] = { "None", "Operator", "Administrator" };

int assoc_admin_parse(const char *s, int *level, sl_error_t *e)
{
    for (int i = 0; i < 3; i++)
        if (s && strcasecmp(s, admin_names[i]) == 0) {
            *level = i;
            return 0;
        }
    if (s && strcasecmp(s, "Admin") == 0) {
        *level = ASSOC_ADMIN_ADMIN;
        return 0;
    }
    return sl_errprintf(e, "invalid AdminLevel '%s': use None, Operator or Administrator",
                        s ? s : "");
}

const char *assoc_admin_name(int level)
{
    return level >= 0 && level < 3 ? admin_names[level] : "None";
}

/* Slurm keeps account names in lower case. */
static void lower(char *dst, const char *src, size_t len)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

int assoc_is_ancestor(const struct assoc_db *a, const char *anc, const char *acct)
{
    /* The depth bound stops a loop in a corrupt stored tree. */
    for (size_t depth = 0; acct && *acct && depth <= json_object_size(a->accounts); depth++) {
        if (strcmp(anc, acct) == 0)
            return 1;
        acct = str(json_object_get(a->accounts, acct), "parent");
    }
    return 0;
}

int assoc_account_add(struct assoc_db *a, const char *name, const char *desc, const char *org,
                      const char *parent, sl_error_t *e)
{
    char n[72], p[72];
    if (assoc_name_check("account", name, e) < 0)
        return -1;
    lower(n, name, sizeof(n));
    lower(p, parent && *parent ? parent : ASSOC_ROOT, sizeof(p));
    if (json_object_get(a->accounts, n))
        return sl_errprintf(e, "account %s already exists", n);
    json_t *par = json_object_get(a->accounts, p);
    if (!par)
        return sl_errprintf(e, "unknown parent account %s", p);
    if (!org)
        org = strcmp(p, ASSOC_ROOT) ? str(par, "organization") : n;
    json_object_set_new(a->accounts, n, json_pack("{s:s, s:s, s:s}", "description",
                                                  desc ? desc : n, "organization", org,
                                                  "parent", p));
    return 0;
}

int assoc_account_modify(struct assoc_db *a, const char *name, const char *desc,
                         const char *org, const char *parent, sl_error_t *e)
{
    char n[72], p[72];
    lower(n, name ? name : "", sizeof(n));
    json_t *rec = json_object_get(a->accounts, n);
    if (!rec)
        return sl_errprintf(e, "unknown account %s", n);
    if (parent) {
        lower(p, parent, sizeof(p));
        if (strcmp(n, ASSOC_ROOT) == 0)
            return sl_errprintf(e, "the root account has no parent");
        if (!json_object_get(a->accounts, p))
            return sl_errprintf(e, "unknown parent account %s", p);
        if (assoc_is_ancestor(a, n, p))
            return sl_errprintf(e, "account %s cannot be its own parent or below itself "
                                   "(parent %s)", n, p);
        json_object_set_new(rec, "parent", json_string(p));
    }
    if (desc)
        json_object_set_new(rec, "description", json_string(desc));
    if (org)
        json_object_set_new(rec, "organization", json_string(org));
    return 0;
}

static int user_has_account(const json_t *user, const char *acct, const char *part)
{
    json_t *as;
    size_t i;
    json_array_foreach(json_object_get(user, "assocs"), i, as)
        if (!strcmp(str(as, "account"), acct) && (!part || !strcmp(str(as, "partition"), part)))
            return 1;
    return 0;
}

int assoc_account_delete(struct assoc_db *a, const char *name, sl_error_t *e)
{
    char n[72];
    const char *k;
    json_t *v;
    lower(n, name ? name : "", sizeof(n));
    if (!json_object_get(a->accounts, n))
        return sl_errprintf(e, "unknown account %s", n);
    if (strcmp(n, ASSOC_ROOT) == 0)
        return sl_errprintf(e, "the root account cannot be deleted");
    json_object_foreach(a->accounts, k, v)
        if (!strcmp(str(v, "parent"), n))
            return sl_errprintf(e, "account %s has child accounts (%s): delete or move them "
                                   "first", n, k);
    json_object_foreach(a->users, k, v)
        if (user_has_account(v, n, NULL))
            return sl_errprintf(e, "account %s has users (%s): remove their associations "
                                   "first", n, k);
    json_object_del(a->accounts, n);
    return 0;
}

int assoc_user_add(struct assoc_db *a, const char *user, const char *account,
                   const char *partition, const char *def_acct, int admin, sl_error_t *e)
{
    char acct[72], def[72];
    const char *part = partition ? partition : "";
    if (assoc_name_check("user", user, e) < 0 ||
        (*part && assoc_name_check("partition", part, e) < 0))
        return -1;
    lower(acct, account ? account : "", sizeof(acct));
    lower(def, def_acct ? def_acct : acct, sizeof(def));
    if (!json_object_get(a->accounts, acct))
        return sl_errprintf(e, *acct ? "unknown account %s" : "%s: a new association needs "
                                                              "an account (Account=)",
                            *acct ? acct : user);
    json_t *u = json_object_get(a->users, user);
    /* The default account: the one being added or one the user has. */
    if (def_acct && strcmp(def, acct) && !(u && user_has_account(u, def, NULL)))
        return sl_errprintf(e, "default account %s of user %s is not one of its associations",
                            def, user);
    if (!u) {
        u = json_pack("{s:s, s:s, s:[]}", "default_account", def, "admin_level",
                      assoc_admin_name(admin < 0 ? ASSOC_ADMIN_NONE : admin), "assocs");
        json_object_set_new(a->users, user, u);
    } else if (admin >= 0) {
        json_object_set_new(u, "admin_level", json_string(assoc_admin_name(admin)));
    }
    if (def_acct)
        json_object_set_new(u, "default_account", json_string(def));
    if (user_has_account(u, acct, part))
        return 0;
    json_array_append_new(json_object_get(u, "assocs"),
                          json_pack("{s:s, s:s}", "account", acct, "partition", part));
    return 1;
}

int assoc_user_modify(struct assoc_db *a, const char *user, const char *def_acct, int admin,
                      sl_error_t *e)
{
    char def[72];
    json_t *u = json_object_get(a->users, user ? user : "");
    if (!u)
        return sl_errprintf(e, "unknown user %s", user ? user : "");
    if (def_acct) {
        lower(def, def_acct, sizeof(def));
        if (!user_has_account(u, def, NULL))
            return sl_errprintf(e, "user %s has no association with account %s: add it "
                                   "first (sacctmgr add user %s Account=%s)", user, def, user,
                                def);
        json_object_set_new(u, "default_account", json_string(def));
    }
    if (admin >= 0)
        json_object_set_new(u, "admin_level", json_string(assoc_admin_name(admin)));
    return 0;
}

int assoc_user_delete(struct assoc_db *a, const char *user, const char *account,
                      const char *partition, sl_error_t *e)
{
    char acct[72];
    json_t *u = json_object_get(a->users, user ? user : ""), *as;
    if (!u)
        return sl_errprintf(e, "unknown user %s", user ? user : "");
    if (!account) {
        json_object_del(a->users, user);
        return 0;
    }
    lower(acct, account, sizeof(acct));
    json_t *list = json_object_get(u, "assocs"), *kept = json_array();
    size_t i;
    json_array_foreach(list, i, as)
        if (strcmp(str(as, "account"), acct) || (partition && strcmp(str(as, "partition"),
                                                                      partition)))
            json_array_append(kept, as);
    if (json_array_size(kept) == json_array_size(list)) {
        json_decref(kept);
        return sl_errprintf(e, "user %s has no association with account %s%s%s", user, acct,
                            partition ? " in partition " : "", partition ? partition : "");
    }
    if (json_array_size(kept) == 0) {
        json_decref(kept);
        json_object_del(a->users, user);
        return 0;
    }
    json_t *probe = json_pack("{s:O}", "assocs", kept);
    int keeps_default = user_has_account(probe, str(u, "default_account"), NULL);
    json_decref(probe);
    if (!keeps_default) {
        json_decref(kept);
        return sl_errprintf(e, "cannot remove the association of user %s with its default "
                               "account %s while it has others: change DefaultAccount first",
                            user, acct);
    }
    json_object_set_new(u, "assocs", kept);
    return 0;
}

int assoc_may_use(const struct assoc_db *a, const char *user, const char *account,
                  const char *partition)
{
    char acct[72];
    json_t *as;
    size_t i;
    lower(acct, account ? account : "", sizeof(acct));
    json_array_foreach(json_object_get(json_object_get(a->users, user ? user : ""), "assocs"),
                       i, as) {
        const char *p = str(as, "partition");
        if (!strcmp(str(as, "account"), acct) && (!*p || !partition || !strcmp(p, partition)))
            return 1;
    }
    return 0;
}

const char *assoc_default_account(const struct assoc_db *a, const char *user)
{
    json_t *u = json_object_get(a->users, user ? user : "");
    return u && *str(u, "default_account") ? str(u, "default_account") : NULL;
}

int assoc_admin_level(const struct assoc_db *a, const char *user)
{
    int level = ASSOC_ADMIN_NONE;
    json_t *u = json_object_get(a->users, user ? user : "");
    if (u)
        assoc_admin_parse(str(u, "admin_level"), &level, NULL);
    return level;
}
