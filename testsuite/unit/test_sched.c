/* Unit tests: the reservation map of sched/backfill (resmap.c) and the
 * fair-share and priority formulas (fairmath.c). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "fairmath.h"
#include "resmap.h"
#include "unit.h"

#define NOW 1000

START_TEST(resmap_running_jobs)
{
    resmap_t *m = resmap_create(2, NOW);
    resmap_set_node(m, 0, 4, 1000);
    resmap_set_node(m, 1, 4, 1000);
    resmap_use(m, 0, NOW - 50, NOW + 100, 3, 100, 0);   /* ends at 1100 */
    resmap_use(m, 1, NOW - 10, RESMAP_FOREVER, 4, 0, 0);
    ck_assert(resmap_fits(m, 0, NOW, NOW + 10, 1, 900));
    ck_assert(!resmap_fits(m, 0, NOW, NOW + 10, 2, 0));
    ck_assert(!resmap_fits(m, 0, NOW, NOW + 10, 1, 901));
    ck_assert(resmap_fits(m, 0, NOW + 100, NOW + 500, 4, 1000));   /* after it ends */
    ck_assert(!resmap_fits(m, 1, NOW + 10000, NOW + 10001, 1, 0));  /* never frees */
    ck_assert(!resmap_fits(m, 0, NOW, NOW + 1, 5, 0));              /* bigger than the node */
    ck_assert(!resmap_reserved(m, 0, NOW, NOW + 1000, NULL, NULL)); /* running, not reserved */
    ck_assert_int_eq(resmap_round(m, NOW + 61, 60), NOW + 120);
    ck_assert_int_eq(resmap_round(m, NOW + 60, 60), NOW + 60);
    ck_assert_int_eq(resmap_round(m, NOW - 5, 60), NOW - 5);
    resmap_destroy(m);
}
END_TEST

/* GPUs are their own dimension: busy GPUs block a job that needs them even
 * where CPUs are free, and a reservation of GPUs blocks only overlap. */
START_TEST(resmap_gpus)
{
    resmap_t *m = resmap_create(2, NOW);
    resmap_set_node(m, 0, 8, 1000);
    resmap_set_gpus(m, 0, 2);
    resmap_set_node(m, 1, 8, 1000);                      /* no GPUs */
    resmap_use(m, 0, NOW - 5, NOW + 100, 1, 0, 7);
    resmap_use_gpus(m, 0, NOW - 5, NOW + 100, 2, 7);     /* both until 1100 */
    ck_assert(resmap_fits(m, 0, NOW, NOW + 10, 4, 0));
    ck_assert(!resmap_fits_gpus(m, 0, NOW, NOW + 10, 1));
    ck_assert(resmap_fits_gpus(m, 0, NOW + 100, NOW + 200, 2));
    ck_assert(resmap_fits_gpus(m, 0, NOW, NOW + 10, 0));
    ck_assert(!resmap_fits_gpus(m, 1, NOW, NOW + 10, 1));
    resmap_use_gpus(m, 0, NOW + 200, NOW + 300, 1, 9);   /* reserved */
    ck_assert(resmap_fits_gpus(m, 0, NOW + 100, NOW + 300, 1));
    ck_assert(!resmap_fits_gpus(m, 0, NOW + 100, NOW + 300, 2));
    ck_assert(resmap_reserved(m, 0, NOW + 250, NOW + 260, NULL, NULL));
    ck_assert(!resmap_reserved(m, 0, NOW, NOW + 50, NULL, NULL));
    resmap_destroy(m);
}
END_TEST

START_TEST(resmap_reservations_block_overlap_only)
{
    resmap_t *m = resmap_create(1, NOW);
    resmap_set_node(m, 0, 4, 0);
    resmap_use(m, 0, NOW, NOW + 100, 2, 0, 0);          /* running until 1100 */
    resmap_use(m, 0, NOW + 100, NOW + 400, 4, 0, 42);   /* job 42 reserved at 1100 */
    uint32_t owner = 0;
    int64_t at = 0;
    ck_assert(resmap_reserved(m, 0, NOW, NOW + 200, &owner, &at));
    ck_assert_uint_eq(owner, 42);
    ck_assert_int_eq(at, NOW + 100);
    ck_assert(!resmap_reserved(m, 0, NOW, NOW + 100, NULL, NULL));
    /* A short job fits in the gap before the reservation... */
    ck_assert(resmap_fits(m, 0, NOW, NOW + 100, 2, 0));
    /* ...a long one would overlap it... */
    ck_assert(!resmap_fits(m, 0, NOW, NOW + 101, 2, 0));
    /* ...and after the reservation there is room again. */
    ck_assert(resmap_fits(m, 0, NOW + 400, NOW + 900, 4, 0));
    resmap_destroy(m);
}
END_TEST

START_TEST(resmap_change_times)
{
    resmap_t *m = resmap_create(2, NOW);
    int64_t t[8];
    resmap_set_node(m, 0, 4, 0);
    resmap_set_node(m, 1, 4, 0);
    resmap_use(m, 0, NOW, NOW + 300, 1, 0, 0);
    resmap_use(m, 1, NOW, NOW + 100, 1, 0, 0);
    resmap_use(m, 1, NOW, NOW + 300, 1, 0, 0);
    resmap_use(m, 1, NOW, RESMAP_FOREVER, 1, 0, 0);
    size_t n = resmap_times(m, t, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(t[0], NOW);
    ck_assert_int_eq(t[1], NOW + 100);
    ck_assert_int_eq(t[2], NOW + 300);
    ck_assert_uint_eq(resmap_times(m, t, 2), 2);
    resmap_destroy(m);
}
END_TEST

START_TEST(decay_halves_each_half_life)
{
    ck_assert(fabs(fair_decay(800, 3600, 3600) - 400) < 1e-9);
    ck_assert(fabs(fair_decay(800, 7200, 3600) - 200) < 1e-9);
    ck_assert(fabs(fair_decay(800, 0, 3600) - 800) < 1e-9);
    ck_assert(fair_decay(800, 10, 0) == 0);   /* no memory */
}
END_TEST

START_TEST(fair_factor_values)
{
    ck_assert(fair_factor(0, 0.5) == 1.0);
    ck_assert(fabs(fair_factor(0.5, 0.5) - 0.5) < 1e-12);   /* used exactly its share */
    ck_assert(fabs(fair_factor(1.0, 0.5) - 0.25) < 1e-12);  /* twice its share */
    ck_assert(fair_factor(0.1, 0.5) > fair_factor(0.2, 0.5));
}
END_TEST

START_TEST(weighted_fair_queueing_gives_two_to_one)
{
    /* Weights 0.5 and 1.0 with equal jobs: A gets two turns for each of B's. */
    double handed_a = 0, handed_b = 0;
    int turns_a = 0, turns_b = 0;
    for (int i = 0; i < 300; i++) {
        double ka = fair_key(0, handed_a, 0.5), kb = fair_key(0, handed_b, 1.0);
        if (ka <= kb) {
            handed_a += 60;
            turns_a++;
        } else {
            handed_b += 60;
            turns_b++;
        }
    }
    ck_assert_int_eq(turns_a, 200);
    ck_assert_int_eq(turns_b, 100);
}
END_TEST

START_TEST(compute_reservation_fraction)
{
    ck_assert(fabs(fair_reserved(50, 1) - 0.5) < 1e-12);
    ck_assert(fabs(fair_reserved(50, 2) - 0.25) < 1e-12);
    ck_assert(fair_reserved(0, 3) == 0);
}
END_TEST

START_TEST(priority_sum)
{
    const double w[4] = { 1000, 10000, 100, 1000 };
    const double f[4] = { 0.5, 0.25, 0.1, 1.0 };
    /* 500 + 2500 + 10 + 1000 - 1*10 */
    ck_assert_uint_eq(prio_sum(w, f, 1, 10), 4000);
    ck_assert_uint_eq(prio_sum(w, (const double[4]){ 0, 0, 0, 0 }, 1, 50), 1);   /* clamped */
    ck_assert(fabs(prio_age(3600, 7200) - 0.5) < 1e-12);
    ck_assert(prio_age(9999, 7200) == 1.0);
    ck_assert(prio_age(-5, 7200) == 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("formulas");
    tcase_add_test(tc, resmap_running_jobs);
    tcase_add_test(tc, resmap_gpus);
    tcase_add_test(tc, resmap_reservations_block_overlap_only);
    tcase_add_test(tc, resmap_change_times);
    tcase_add_test(tc, decay_halves_each_half_life);
    tcase_add_test(tc, fair_factor_values);
    tcase_add_test(tc, weighted_fair_queueing_gives_two_to_one);
    tcase_add_test(tc, compute_reservation_fraction);
    tcase_add_test(tc, priority_sum);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
