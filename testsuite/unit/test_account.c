/* Unit tests: the user's account that sluiced puts in a launch record
 * (src/noded/account.c): uid check, home, shell, supplementary groups. */
#define _GNU_SOURCE
#include <check.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "unit.h"

static json_t *rec_for(const char *user, long uid, long gid)
{
    return json_pack("{s:s, s:I, s:I}", "user", user, "uid", (json_int_t)uid, "gid",
                     (json_int_t)gid);
}

/* The user running the tests, as the user database says. */
static struct passwd *me(void)
{
    struct passwd *pw = getpwuid(getuid());
    ck_assert_ptr_nonnull(pw);
    return pw;
}

START_TEST(own_account_resolved)
{
    struct passwd *pw = me();
    char *name = strdup(pw->pw_name), *home = strdup(pw->pw_dir), *shell = strdup(pw->pw_shell);
    gid_t gid = pw->pw_gid;
    json_t *rec = rec_for(name, (long)getuid(), (long)gid);
    sl_error_t e;

    ck_assert_int_eq(account_resolve(rec, "n1", &e), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "home")), home);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "shell")), shell);
    json_t *groups = json_object_get(rec, "groups");
    if (getuid() == 0) {
        /* As root: getgrouplist's list, which always holds the primary group. */
        int found = 0;
        size_t i;
        json_t *v;
        ck_assert(json_is_array(groups) && json_array_size(groups) >= 1);
        json_array_foreach(groups, i, v)
            found |= json_integer_value(v) == (json_int_t)gid;
        ck_assert(found);
    } else {
        ck_assert_ptr_null(groups);      /* no user change without root: no list */
    }
    json_decref(rec);
    free(name);
    free(home);
    free(shell);
}
END_TEST

START_TEST(unknown_user)
{
    json_t *rec = rec_for("no-such-user-sluice", (long)getuid(), 0);
    sl_error_t e;
    int rc = account_resolve(rec, "n7", &e);

    if (getuid() == 0) {
        ck_assert_int_eq(rc, -1);
        ck_assert_str_eq(e.text, "user no-such-user-sluice does not exist on node n7");
    } else {
        ck_assert_int_eq(rc, 0);          /* runs as sluiced's own user */
        ck_assert_ptr_null(json_object_get(rec, "home"));
    }
    json_decref(rec);
}
END_TEST

START_TEST(uid_mismatch)
{
    struct passwd *pw = me();
    char *name = strdup(pw->pw_name);
    json_t *rec = rec_for(name, (long)getuid() + 12345, (long)pw->pw_gid);
    sl_error_t e;

    ck_assert_int_eq(account_resolve(rec, "n2", &e), -1);
    if (getuid() == 0)
        ck_assert_msg(strstr(e.text, "has uid 0 on node n2, not 12345") != NULL, "%s", e.text);
    else
        ck_assert_msg(strstr(e.text, "not root") != NULL, "%s", e.text);
    json_decref(rec);
    free(name);
}
END_TEST

START_TEST(incomplete_record)
{
    json_t *rec = json_pack("{s:s, s:I}", "user", "root", "uid", (json_int_t)0);
    sl_error_t e;

    ck_assert_int_eq(account_resolve(rec, "n1", &e), -1);
    ck_assert_str_eq(e.text, "launch record without uid, gid or user");
    json_decref(rec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("account");
    TCase *tc = tcase_create("account");
    tcase_add_test(tc, own_account_resolved);
    tcase_add_test(tc, unknown_user);
    tcase_add_test(tc, uid_mismatch);
    tcase_add_test(tc, incomplete_record);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
