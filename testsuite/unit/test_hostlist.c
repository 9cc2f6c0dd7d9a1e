/* test_hostlist.c: host list expansion, compression and sorting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "unit.h"

/* Names of a list joined with commas, for comparing against a table. */
static char *joined(const hostlist_t *hl)
{
    size_t len = 1;
    char *s;

    for (size_t i = 0; i < hostlist_count(hl); i++)
        len += strlen(hostlist_nth(hl, i)) + 1;
    s = calloc(len, 1);
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        if (i)
            strcat(s, ",");
        strcat(s, hostlist_nth(hl, i));
    }
    return s;
}

static const struct { const char *expr, *names; } expand_good[] = {
    { "n1", "n1" },
    { "n[1-3]", "n1,n2,n3" },
    { "n[08-10]", "n08,n09,n10" },
    { "n[8-10]", "n8,n9,n10" },
    { "n[5]", "n5" },
    { "n[1-3,7,10-12]", "n1,n2,n3,n7,n10,n11,n12" },
    { "rack[1-2]-a", "rack1-a,rack2-a" },
    { "r[1-2]n[01-02]", "r1n01,r1n02,r2n01,r2n02" },
    { "login,n[1-2]", "login,n1,n2" },
    { "a,b c\td", "a,b,c,d" },
    { "a,,b,", "a,b" },
    { "[1-3]", "1,2,3" },
    { "n[001-003]", "n001,n002,n003" },
    { "", "" },
};

START_TEST(test_expand_good)
{
    for (size_t i = 0; i < sizeof(expand_good) / sizeof(expand_good[0]); i++) {
        sl_error_t e = { "" };
        hostlist_t *hl = hostlist_expand(expand_good[i].expr, &e);
        char *s;
        ck_assert_msg(hl != NULL, "expand '%s' failed: %s", expand_good[i].expr, e.text);
        s = joined(hl);
        ck_assert_msg(strcmp(s, expand_good[i].names) == 0, "expand '%s' gave '%s', want '%s'",
                      expand_good[i].expr, s, expand_good[i].names);
        free(s);
        hostlist_destroy(hl);
    }
}
END_TEST

static const struct { const char *expr, *error; } expand_bad[] = {
    { "n[1-3", "unbalanced brackets in host list 'n[1-3'" },
    { "n1-3]", "unbalanced brackets in host list 'n1-3]'" },
    { "n[[1]]", "unbalanced brackets in host list 'n[[1]]'" },
    { "n[1]]", "unbalanced brackets in host list 'n[1]]'" },
    { "n]1[", "unbalanced brackets in host list 'n]1['" },
    { "n[]", "empty range in host list 'n[]'" },
    { "n[1,]", "empty range in host list 'n[1,]'" },
    { "n[3-1]", "reversed range '3-1' in host list 'n[3-1]'" },
    { "n[a-b]", "bad range 'a-b' in host list 'n[a-b]'" },
    { "n[1-]", "bad range '1-' in host list 'n[1-]'" },
    { "n[-1]", "bad range '-1' in host list 'n[-1]'" },
    { "n[1-2-3]", "bad range '1-2-3' in host list 'n[1-2-3]'" },
    { "n[1234567890123456789]", "bad range '1234567890123456789' in host list "
                                "'n[1234567890123456789]'" },
    { "ok,n[0-1000000]", "too many hosts in host list 'n[0-1000000]' (at most 1000000)" },
};

START_TEST(test_expand_bad)
{
    for (size_t i = 0; i < sizeof(expand_bad) / sizeof(expand_bad[0]); i++) {
        sl_error_t e = { "" };
        hostlist_t *hl = hostlist_create();
        ck_assert_int_eq(hostlist_push_host(hl, "before"), 0);
        ck_assert_msg(hostlist_push(hl, expand_bad[i].expr, &e) == -1,
                      "expand '%s' succeeded", expand_bad[i].expr);
        ck_assert_msg(strcmp(e.text, expand_bad[i].error) == 0,
                      "expand '%s': got '%s', want '%s'", expand_bad[i].expr, e.text,
                      expand_bad[i].error);
        /* A failed push leaves the list as it was. */
        ck_assert_uint_eq(hostlist_count(hl), 1);
        hostlist_destroy(hl);
    }
}
END_TEST

START_TEST(test_expand_limit)
{
    sl_error_t e = { "" };
    hostlist_t *hl = hostlist_expand("n[1-1000000]", &e);
    ck_assert_ptr_nonnull(hl);
    ck_assert_uint_eq(hostlist_count(hl), HOSTLIST_MAX);
    ck_assert_int_eq(hostlist_push(hl, "one-more", &e), -1);
    ck_assert_str_eq(e.text, "too many hosts in host list 'one-more' (at most 1000000)");
    hostlist_destroy(hl);
    ck_assert_ptr_null(hostlist_expand("r[1-1000]n[1-1001]", &e));
    ck_assert_str_eq(e.text, "too many hosts in host list 'r[1-1000]n[1-1001]' "
                             "(at most 1000000)");
}
END_TEST

static const struct { const char *expr, *ranged; } compress[] = {
    { "n1,n2,n3,n5", "n[1-3,5]" },
    { "n08,n09,n10", "n[08-10]" },
    { "n007,n008", "n[007-008]" },
    { "n9,n10", "n[9-10]" },
    { "n99,n100", "n[99-100]" },
    { "n099,n100", "n[099-100]" },
    { "n8,n09", "n[8,09]" },
    { "n1", "n1" },
    { "n01", "n01" },
    { "login", "login" },
    { "n1,login,n2", "n[1-2],login" },
    { "n3,n1,n2", "n[3,1-2]" },
    { "n1,n1", "n[1,1]" },
    { "rack1-a,rack2-a,rack1-b", "rack[1-2]-a,rack1-b" },
    { "r1n01,r1n02,r2n01", "r1n[01-02],r2n01" },
    { "n[1-3],gpu[1,3-4]", "n[1-3],gpu[1,3-4]" },
    { "a1b,a2b", "a[1-2]b" },
    { "12,13", "[12-13]" },
    { "", "" },
};

START_TEST(test_compress)
{
    for (size_t i = 0; i < sizeof(compress) / sizeof(compress[0]); i++) {
        sl_error_t e = { "" };
        char *s = hostlist_compress(compress[i].expr, &e);
        hostlist_t *hl;
        char *again;
        ck_assert_msg(s != NULL, "compress '%s' failed: %s", compress[i].expr, e.text);
        ck_assert_msg(strcmp(s, compress[i].ranged) == 0, "compress '%s' gave '%s', want '%s'",
                      compress[i].expr, s, compress[i].ranged);
        /* The compressed form expands back to the same names. */
        hl = hostlist_expand(s, &e);
        ck_assert_ptr_nonnull(hl);
        again = hostlist_ranged_string(hl);
        ck_assert_str_eq(again, s);
        free(again);
        hostlist_destroy(hl);
        free(s);
    }
    ck_assert_ptr_null(hostlist_compress("n[1-", NULL));
}
END_TEST

static const struct { const char *expr, *sorted; } uniq[] = {
    { "n3,n1,n2,n1,login,a", "a,login,n[1-3]" },
    { "n10,n9,n1", "n[1,9-10]" },
    { "b2,a10,a9,b1", "a[9-10],b[1-2]" },
    { "x,x,x", "x" },
    { "n1-b,n1-a,n2-a", "n[1-2]-a,n1-b" },
    { "", "" },
};

START_TEST(test_uniq)
{
    for (size_t i = 0; i < sizeof(uniq) / sizeof(uniq[0]); i++) {
        hostlist_t *hl = hostlist_expand(uniq[i].expr, NULL);
        char *s;
        ck_assert_ptr_nonnull(hl);
        hostlist_uniq(hl);
        s = hostlist_ranged_string(hl);
        ck_assert_msg(strcmp(s, uniq[i].sorted) == 0, "uniq '%s' gave '%s', want '%s'",
                      uniq[i].expr, s, uniq[i].sorted);
        free(s);
        hostlist_destroy(hl);
    }
}
END_TEST

START_TEST(test_find_nth)
{
    hostlist_t *hl = hostlist_expand("n[1-3]", NULL);
    ck_assert_int_eq(hostlist_find(hl, "n2"), 1);
    ck_assert_int_eq(hostlist_find(hl, "n4"), -1);
    ck_assert_int_eq(hostlist_push_host(hl, "login"), 0);
    ck_assert_uint_eq(hostlist_count(hl), 4);
    ck_assert_str_eq(hostlist_nth(hl, 3), "login");
    ck_assert_ptr_null(hostlist_nth(hl, 4));
    hostlist_destroy(hl);
    hostlist_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostlist");
    TCase *tc = tcase_create("hostlist");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_expand_good);
    tcase_add_test(tc, test_expand_bad);
    tcase_add_test(tc, test_expand_limit);
    tcase_add_test(tc, test_compress);
    tcase_add_test(tc, test_uniq);
    tcase_add_test(tc, test_find_nth);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
