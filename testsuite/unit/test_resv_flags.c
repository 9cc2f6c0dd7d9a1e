/* test_resv_flags.c: a reservation's Flags= words (src/ctld/resv_flags.c):
 * those with a meaning here, Slurm's others refused by name, any case and
 * order in, Slurm's order out with SPEC_NODES. */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "resv.h"
#include "unit.h"

START_TEST(test_flags_round_trip)
{
    static const struct { const char *in, *out; } cases[] = {
        { "", "SPEC_NODES" },
        { "maint", "MAINT,SPEC_NODES" },
        { "WEEKLY,OVERLAP,MAINT,IGNORE_JOBS,DAILY", "MAINT,OVERLAP,IGNORE_JOBS,DAILY,WEEKLY,SPEC_NODES" },
        { "spec_nodes,,daily", "DAILY,SPEC_NODES" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned f = 99;
        char text[160];
        sl_error_t e = { "" };
        ck_assert_int_eq(resv_flags_parse(cases[i].in, &f, &e), 0);
        resv_flags_text(f, text, sizeof(text));
        ck_assert_str_eq(text, cases[i].out);
    }
}
END_TEST

START_TEST(test_flags_refused)
{
    static const struct { const char *in, *msg; } cases[] = {
        { "FLEX", "reservation flag FLEX is not supported by Sluice" },
        { "MAINT,static_alloc", "reservation flag STATIC_ALLOC is not supported" },
        { "BOGUS", "Error parsing flags BOGUS" },
        { "DAILYX", "Error parsing flags DAILYX" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned f = 0;
        sl_error_t e = { "" };
        ck_assert_int_eq(resv_flags_parse(cases[i].in, &f, &e), -1);
        ck_assert_msg(strstr(e.text, cases[i].msg), "%s: %s", cases[i].in, e.text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resv_flags");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_flags_round_trip);
    tcase_add_test(tc, test_flags_refused);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
