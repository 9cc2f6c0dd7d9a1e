/* fairmath.h: the formulas of fair share and multifactor priority, pure so
 * that they can be tested on their own (doc/scheduling.md states them). */
#ifndef CTLD_FAIRMATH_H
#define CTLD_FAIRMATH_H

#include <stdint.h>

/* usage * 2^(-elapsed / half_life); a half-life of 0 keeps nothing. */
double fair_decay(double usage, double elapsed, double half_life);
/* 2^(-norm_usage / norm_share); 1 when the share has no usage. */
double fair_factor(double norm_usage, double norm_share);
/* ComputeReservation: the fraction held back with `active` shares running. */
double fair_reserved(uint32_t percent, uint32_t active);
/* Weighted fair queueing: the key of a share's next job. */
double fair_key(double usage, double handed_out, double weight);
/* min(1, pending / max_age) */
double prio_age(double pending, double max_age);
/* The weighted sum, clamped to [1, 4e9]. */
uint32_t prio_sum(const double weights[4], const double factors[4], double nice_weight,
                  int32_t nice);

#endif
