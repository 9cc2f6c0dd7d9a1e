/* Unit tests of --constraint expressions (src/ctld/featexpr.c). */
#include <check.h>
#include <string.h>
#include "featexpr.h"
#include "unit.h"

static const struct {
    const char *expr, *node;
    int alt, want;
} cases[] = {
    { "gpu", "gpu,ib", -1, 1 },
    { "gpu", "cpu", -1, 0 },
    { "gpu", NULL, -1, 0 },
    { "gp", "gpu", -1, 0 },
    { "gpu&ib", "gpu,ib", -1, 1 },
    { "gpu&ib", "gpu", -1, 0 },
    { "gpu|ib", "ib", -1, 1 },
    { "a&b|c", "c", -1, 1 },          /* & binds tighter */
    { "a&b|c", "a", -1, 0 },
    { "a|b&c", "a", -1, 1 },
    { "[r1|r2]", "r2", -1, 1 },
    { "[r1|r2]", "r2", 0, 0 },
    { "[r1|r2]", "r2", 1, 1 },
    { "gpu&[r1|r2]", "gpu,r1", 0, 1 },
    { "gpu&[r1|r2]", "r1", 0, 0 },
};

START_TEST(matches)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(featexpr_check(cases[i].expr, NULL), 0);
        ck_assert_msg(featexpr_match(cases[i].expr, cases[i].node, cases[i].alt) ==
                          cases[i].want, "case %zu: %s on %s", i, cases[i].expr,
                      cases[i].node ? cases[i].node : "(none)");
    }
    ck_assert_int_eq(featexpr_alts("gpu"), 0);
    ck_assert_int_eq(featexpr_alts("x&[a|b|c]"), 3);
}
END_TEST

START_TEST(refusals)
{
    sl_error_t e = { "" };
    const char *bad[] = { "", "a&", "&a", "a||b", "[a|b", "[a&b]", "[a]|[b]", "a b", "a,b" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(featexpr_check(bad[i], &e) < 0, "'%s' accepted", bad[i]);
    featexpr_check("a&&b", &e);
    ck_assert_str_eq(e.text, "Invalid feature specification 'a&&b': a feature name was "
                             "expected at offset 2");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("featexpr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matches);
    tcase_add_test(tc, refusals);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
