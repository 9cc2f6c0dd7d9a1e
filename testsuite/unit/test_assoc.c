/* test_assoc.c: the accounts database (src/ctld/assoc.c): names, the tree
 * rules, which accounts a user may use, refusals that change nothing, and a
 * model-based test of random adds and deletes against a small reference. */
#include <stdio.h>
#include <string.h>
#include "assoc.h"
#include "model.h"
#include "unit.h"

START_TEST(test_names)
{
    sl_error_t e;
    const char *good[] = { "lab", "a", "proj-1", "x_y.z", "user@site", "A1" };
    const char *bad[] = { "", "-x", "a b", "a,b", "a=b", "a/b",
                          "0123456789012345678901234567890123456789012345678901234567890123456789" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(assoc_name_check("account", good[i], &e) == 0, "%s: %s", good[i], e.text);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(assoc_name_check("account", bad[i], &e) < 0, "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(e.text, "account name"), "%s", e.text);
    }
    int level;
    ck_assert_int_eq(assoc_admin_parse("operator", &level, &e), 0);
    ck_assert_int_eq(level, ASSOC_ADMIN_OPERATOR);
    ck_assert_int_eq(assoc_admin_parse("Administrator", &level, &e), 0);
    ck_assert_int_eq(level, ASSOC_ADMIN_ADMIN);
    ck_assert_int_eq(assoc_admin_parse("boss", &level, &e), -1);
    ck_assert_msg(strstr(e.text, "AdminLevel 'boss'"), "%s", e.text);
}
END_TEST

/* The state before and after a refused change are the same. */
static void refused(struct assoc_db *a, int rc, const json_t *acc0, const json_t *usr0,
                    const char *want, const sl_error_t *e)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(e->text, want), "'%s' lacks '%s'", e->text, want);
    ck_assert(json_equal(a->accounts, (json_t *)acc0));
    ck_assert(json_equal(a->users, (json_t *)usr0));
}

START_TEST(test_tree_and_users)
{
    struct assoc_db a;
    sl_error_t e;
    assoc_init(&a);
    ck_assert_int_eq(assoc_account_add(&a, "Lab", "the lab", "sci", NULL, &e), 0);
    ck_assert_int_eq(assoc_account_add(&a, "sub", NULL, NULL, "lab", &e), 0);
    json_t *sub = json_object_get(a.accounts, "sub");
    ck_assert_str_eq(json_string_value(json_object_get(sub, "description")), "sub");
    ck_assert_str_eq(json_string_value(json_object_get(sub, "organization")), "sci");
    ck_assert_int_eq(assoc_user_add(&a, "alice", "lab", NULL, NULL, -1, &e), 1);
    ck_assert_int_eq(assoc_user_add(&a, "alice", "lab", NULL, NULL, -1, &e), 0);
    ck_assert_int_eq(assoc_user_add(&a, "alice", "sub", "gpu", NULL, -1, &e), 1);
    ck_assert_str_eq(assoc_default_account(&a, "alice"), "lab");
    ck_assert(assoc_may_use(&a, "alice", "LAB", "cpu"));
    ck_assert(assoc_may_use(&a, "alice", "sub", "gpu"));
    ck_assert(!assoc_may_use(&a, "alice", "sub", "cpu"));
    ck_assert(!assoc_may_use(&a, "bob", "lab", NULL));
    ck_assert_ptr_null(assoc_default_account(&a, "bob"));

    json_t *acc0 = json_deep_copy(a.accounts), *usr0 = json_deep_copy(a.users);
    refused(&a, assoc_account_add(&a, "lab", NULL, NULL, NULL, &e), acc0, usr0,
            "already exists", &e);
    refused(&a, assoc_account_add(&a, "x", NULL, NULL, "nope", &e), acc0, usr0,
            "unknown parent account nope", &e);
    refused(&a, assoc_account_delete(&a, "lab", &e), acc0, usr0, "child accounts", &e);
    refused(&a, assoc_account_delete(&a, "sub", &e), acc0, usr0, "has users (alice)", &e);
    refused(&a, assoc_account_delete(&a, "root", &e), acc0, usr0, "root", &e);
    refused(&a, assoc_account_modify(&a, "lab", NULL, NULL, "sub", &e), acc0, usr0,
            "below itself", &e);
    refused(&a, assoc_user_add(&a, "bob", "nope", NULL, NULL, -1, &e), acc0, usr0,
            "unknown account nope", &e);
    refused(&a, assoc_user_add(&a, "bob", "lab", NULL, "sub", -1, &e), acc0, usr0,
            "not one of its associations", &e);
    refused(&a, assoc_user_modify(&a, "alice", "root", -1, &e), acc0, usr0,
            "no association with account root", &e);
    refused(&a, assoc_user_delete(&a, "alice", "lab", NULL, &e), acc0, usr0,
            "default account", &e);
    refused(&a, assoc_user_delete(&a, "alice", "root", NULL, &e), acc0, usr0,
            "no association", &e);
    refused(&a, assoc_user_delete(&a, "bob", NULL, NULL, &e), acc0, usr0, "unknown user", &e);

    ck_assert_int_eq(assoc_user_modify(&a, "alice", "sub", ASSOC_ADMIN_OPERATOR, &e), 0);
    ck_assert_int_eq(assoc_admin_level(&a, "alice"), ASSOC_ADMIN_OPERATOR);
    ck_assert_int_eq(assoc_user_delete(&a, "alice", "lab", NULL, &e), 0);
    ck_assert(!assoc_may_use(&a, "alice", "lab", NULL));
    ck_assert_int_eq(assoc_user_delete(&a, "alice", "sub", "gpu", &e), 0);
    ck_assert_ptr_null(json_object_get(a.users, "alice"));   /* the last one goes with it */
    ck_assert_int_eq(assoc_account_delete(&a, "sub", &e), 0);
    ck_assert_int_eq(assoc_account_delete(&a, "lab", &e), 0);
    ck_assert_uint_eq(json_object_size(a.accounts), 1);
    json_decref(acc0);
    json_decref(usr0);
    assoc_fini(&a);
}
END_TEST

/* The reference: NA accounts ("a0".."a5"; index NA is root), NU users with a
 * bit per associated account and a default. */
#define NA 6
#define NU 4
struct ref {
    int exists[NA + 1], parent[NA + 1];
    unsigned assocs[NU];
    int def[NU];                 /* -1: no such user */
};

static const char *aname(int i, char *buf)
{
    if (i == NA)
        return ASSOC_ROOT;
    snprintf(buf, 8, "a%d", i);
    return buf;
}

static int ref_below(const struct ref *r, int anc, int acct)
{
    for (int d = 0; acct >= 0 && d <= NA; d++, acct = acct == NA ? -1 : r->parent[acct])
        if (acct == anc)
            return 1;
    return 0;
}

static int ref_step(struct model *m, struct ref *r, struct assoc_db *a, sl_error_t *e)
{
    int i = (int)model_below(m, NA), j = (int)model_below(m, NA + 1), u = (int)model_below(m, NU);
    char b1[8], b2[8], un[8];
    snprintf(un, sizeof(un), "u%d", u);
    switch (model_below(m, 6)) {
    case 0: {
        int ok = !r->exists[i] && r->exists[j];
        int rc = assoc_account_add(a, aname(i, b1), NULL, NULL, aname(j, b2), e);
        MODEL_CHECK(m, (rc == 0) == ok, "add %s under %s: %d (%s)", b1, b2, rc, e->text);
        if (ok)
            r->exists[i] = 1, r->parent[i] = j;
        return ok;
    }
    case 1: {
        int ok = r->exists[i];
        for (int k = 0; k < NA; k++)
            ok &= !(r->exists[k] && r->parent[k] == i);
        for (int k = 0; k < NU; k++)
            ok &= !(r->assocs[k] & (1u << i));
        int rc = assoc_account_delete(a, aname(i, b1), e);
        MODEL_CHECK(m, (rc == 0) == ok, "delete %s: %d (%s)", b1, rc, e->text);
        r->exists[i] &= !ok;
        return ok;
    }
    case 2: {
        int ok = r->exists[i] && r->exists[j] && !ref_below(r, i, j);
        int rc = assoc_account_modify(a, aname(i, b1), NULL, NULL, aname(j, b2), e);
        MODEL_CHECK(m, (rc == 0) == ok, "move %s under %s: %d (%s)", b1, b2, rc, e->text);
        if (ok)
            r->parent[i] = j;
        return ok;
    }
    case 3: {
        int ok = r->exists[i];
        int rc = assoc_user_add(a, un, aname(i, b1), NULL, NULL, -1, e);
        MODEL_CHECK(m, (rc >= 0) == ok, "add %s to %s: %d (%s)", un, b1, rc, e->text);
        MODEL_CHECK(m, !ok || rc == !(r->assocs[u] & (1u << i)), "add %s to %s: %d", un, b1,
                    rc);
        if (ok && r->def[u] < 0)
            r->def[u] = i;
        if (ok)
            r->assocs[u] |= 1u << i;
        return ok;
    }
    case 4: {
        unsigned rest = r->assocs[u] & ~(1u << i);
        int ok = r->def[u] >= 0 && (r->assocs[u] & (1u << i)) && (!rest || i != r->def[u]);
        int rc = assoc_user_delete(a, un, aname(i, b1), NULL, e);
        MODEL_CHECK(m, (rc == 0) == ok, "remove %s from %s: %d (%s)", un, b1, rc, e->text);
        if (ok && !(r->assocs[u] = rest))
            r->def[u] = -1;
        return ok;
    }
    default: {
        int ok = r->def[u] >= 0 && (r->assocs[u] & (1u << i));
        int rc = assoc_user_modify(a, un, aname(i, b1), -1, e);
        MODEL_CHECK(m, (rc == 0) == ok, "default of %s to %s: %d (%s)", un, b1, rc, e->text);
        if (ok)
            r->def[u] = i;
        return ok;
    }
    }
}

static void ref_compare(struct model *m, const struct ref *r, const struct assoc_db *a)
{
    char b1[8], b2[8], un[8];
    for (int i = 0; i < NA; i++) {
        json_t *rec = json_object_get(a->accounts, aname(i, b1));
        MODEL_CHECK(m, !rec == !r->exists[i], "account %s exists: %d", b1, r->exists[i]);
        if (rec)
            MODEL_CHECK(m, !strcmp(json_string_value(json_object_get(rec, "parent")),
                                   aname(r->parent[i], b2)), "parent of %s", b1);
    }
    for (int u = 0; u < NU; u++) {
        snprintf(un, sizeof(un), "u%d", u);
        const char *def = assoc_default_account(a, un);
        MODEL_CHECK(m, r->def[u] < 0 ? !def : def && !strcmp(def, aname(r->def[u], b1)),
                    "default of %s", un);
        for (int i = 0; i < NA; i++)
            MODEL_CHECK(m, assoc_may_use(a, un, aname(i, b1), "p") ==
                               !!(r->assocs[u] & (1u << i)), "%s may use %s", un, b1);
    }
}

START_TEST(test_model)
{
    struct model m;
    struct ref r;
    struct assoc_db a;
    sl_error_t e;
    model_init(&m);
    memset(&r, 0, sizeof(r));
    r.exists[NA] = 1;
    for (int u = 0; u < NU; u++)
        r.def[u] = -1;
    assoc_init(&a);
    for (m.step = 0; m.step < 20000; m.step++) {
        json_t *acc0 = json_deep_copy(a.accounts), *usr0 = json_deep_copy(a.users);
        if (!ref_step(&m, &r, &a, &e))
            MODEL_CHECK(&m, json_equal(acc0, a.accounts) && json_equal(usr0, a.users),
                        "a refused change changed the state");
        json_decref(acc0);
        json_decref(usr0);
        ref_compare(&m, &r, &a);
    }
    assoc_fini(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("assoc");
    TCase *tc = tcase_create("assoc");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_tree_and_users);
    tcase_add_test(tc, test_model);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
