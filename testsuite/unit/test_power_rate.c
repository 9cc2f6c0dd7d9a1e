/* Unit tests: ResumeRate/SuspendRate token buckets (power_rate.c). */
#include <check.h>
#include "power.h"
#include "unit.h"

START_TEST(unlimited)
{
    struct power_rate r;
    power_rate_init(&r, 0, 0.0);
    ck_assert_uint_eq(power_rate_take(&r, 1000, 0.0), 1000);
    ck_assert_uint_eq(power_rate_take(&r, 1000, 0.0), 1000);
}
END_TEST

/* A minute's worth at once, then per_min/60 a second. */
START_TEST(burst_then_steady)
{
    struct power_rate r;
    power_rate_init(&r, 60, 100.0);
    ck_assert_uint_eq(power_rate_take(&r, 100, 100.0), 60);
    ck_assert_uint_eq(power_rate_take(&r, 1, 100.0), 0);
    ck_assert_uint_eq(power_rate_take(&r, 1, 100.5), 0);
    ck_assert_uint_eq(power_rate_take(&r, 1, 101.0), 1);
    ck_assert_uint_eq(power_rate_take(&r, 5, 106.0), 5);
    ck_assert_uint_eq(power_rate_take(&r, 1, 106.0), 0);
}
END_TEST

/* Idle for hours: the bucket holds one minute's worth, no more. */
START_TEST(capped)
{
    struct power_rate r;
    power_rate_init(&r, 10, 0.0);
    ck_assert_uint_eq(power_rate_take(&r, 10, 0.0), 10);
    ck_assert_uint_eq(power_rate_take(&r, 100, 10000.0), 10);
    ck_assert_uint_eq(power_rate_take(&r, 1, 10000.0), 0);
    /* a clock that goes back takes nothing away */
    ck_assert_uint_eq(power_rate_take(&r, 1, 9000.0), 0);
    ck_assert_uint_eq(power_rate_take(&r, 1, 9006.0), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("power_rate");
    TCase *tc = tcase_create("power_rate");
    tcase_add_test(tc, unlimited);
    tcase_add_test(tc, burst_then_steady);
    tcase_add_test(tc, capped);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
