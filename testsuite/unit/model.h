/* model.h: what the model-based tests (test_model_*.c) share: a seeded
 * PRNG and a check that names the seed and step on failure.
 *
 * Each test drives a structure with random operations and compares it,
 * after every step, with a trivially correct reference.  The seed comes
 * from SLUICE_MODEL_SEED when set (to replay a failure), else from the
 * clock; a failure message always carries it. */
#ifndef SL_TEST_MODEL_H
#define SL_TEST_MODEL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct model {
    uint64_t seed, state;
    long step;
};

static inline uint64_t model_seed(void)
{
    const char *env = getenv("SLUICE_MODEL_SEED");
    if (env && *env)
        return strtoull(env, NULL, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
}

static inline void model_init(struct model *m)
{
    m->seed = m->state = model_seed();
    m->step = 0;
}

/* splitmix64: tiny, good enough, same sequence everywhere for one seed. */
static inline uint64_t model_next(struct model *m)
{
    uint64_t z = (m->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint32_t model_below(struct model *m, uint32_t n)
{
    return (uint32_t)(model_next(m) % n);
}

/* True with probability pct / 100. */
static inline int model_chance(struct model *m, uint32_t pct)
{
    return model_below(m, 100) < pct;
}

/* ck_assert_msg with the seed and step that reproduce the failure. */
#define MODEL_CHECK(m, cond, ...)                                                         \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            char model_msg_[512];                                                         \
            snprintf(model_msg_, sizeof(model_msg_), __VA_ARGS__);                        \
            ck_abort_msg("%s (SLUICE_MODEL_SEED=%llu, step %ld)", model_msg_,             \
                         (unsigned long long)(m)->seed, (m)->step);                       \
        }                                                                                 \
    } while (0)

#endif
