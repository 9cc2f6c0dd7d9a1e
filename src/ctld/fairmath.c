#include "fairmath.h"

#include <math.h>

double fair_decay(double usage, double elapsed, double half_life)
{
    if (elapsed <= 0)
        return usage;
    return half_life > 0 ? usage * pow(2.0, -elapsed / half_life) : 0;
}

double fair_factor(double norm_usage, double norm_share)
{
    if (norm_usage <= 0)
        return 1.0;
    if (norm_share <= 0)
        return 0.0;
    return pow(2.0, -norm_usage / norm_share);
}

double fair_reserved(uint32_t percent, uint32_t active)
{
    return pow((double)percent / 100.0, (double)active);
}

double fair_key(double usage, double handed_out, double weight)
{
    return (usage + handed_out) * weight;
}

double prio_age(double pending, double max_age)
{
    if (pending <= 0 || max_age <= 0)
        return 0;
    return fmin(1.0, pending / max_age);
}

uint32_t prio_sum(const double weights[4], const double factors[4], double nice_weight,
                  int32_t nice)
{
    double p = -nice_weight * nice;
    for (int i = 0; i < 4; i++)
        p += weights[i] * factors[i];
    if (p < 1)
        p = 1;
    if (p > 4e9)
        p = 4e9;
    return (uint32_t)llround(p);
}
