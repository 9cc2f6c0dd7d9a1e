/* power_rate.c: ResumeRate and SuspendRate as token buckets (pure logic,
 * testsuite/unit/test_power_rate.c). */
#include "power.h"

void power_rate_init(struct power_rate *r, uint32_t per_min, double now)
{
    r->per_min = per_min;
    r->tokens = per_min;
    r->last = now;
}

/* The bucket holds at most a minute's worth: a burst of per_min, then
 * per_min/60 a second. */
uint32_t power_rate_take(struct power_rate *r, uint32_t want, double now)
{
    if (r->per_min == 0)
        return want;
    if (now > r->last) {
        r->tokens += (now - r->last) * r->per_min / 60.0;
        if (r->tokens > r->per_min)
            r->tokens = r->per_min;
    }
    r->last = now;
    uint32_t got = r->tokens >= want ? want : (uint32_t)r->tokens;
    r->tokens -= got;
    return got;
}
