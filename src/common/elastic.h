/* elastic.h: elastic partitions' pure logic, shared by the config parser
 * (which instance types a partition's nodes get, in which order) and the
 * controller (how many vCPUs it may power up).  Unit-tested in
 * testsuite/unit/test_elastic.c. */
#ifndef SL_ELASTIC_H
#define SL_ELASTIC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

/* One entry of the instance-type catalogue (etc/instance-types.json). */
struct elastic_type {
    char name[40];
    uint32_t vcpus;
    uint64_t memory_mb;
    uint32_t gpus;
    char gpu_type[24];       /* "" when no GPU */
    double price;            /* on-demand, USD per hour */
    double spot_price;       /* typical spot price, USD per hour */
    double spot_score;       /* spot pool capacity score, 1 (scarce) to 10 (deep) */
};

/* Parse a catalogue: {"types": [{"name", "vcpus", "memory_mb", "gpus",
 * "gpu_type", "price", "spot_price", "spot_score"}]}.  *out is malloc'ed. */
int elastic_catalog_parse(json_t *doc, struct elastic_type **out, size_t *n, sl_error_t *e);

/* Order types (indexes into t, n of them) as the strategy prefers them:
 * BEST_FIT*: cheapest on-demand price first; SPOT_CAPACITY_OPTIMIZED:
 * deepest pool first (then cheapest spot price); SPOT_PRICE_CAPACITY_OPTIMIZED:
 * lowest spot price per unit of pool score first.  Ties: fewer vCPUs, then
 * name.  ord must hold n entries. */
void elastic_rank(const struct elastic_type *t, size_t n, int strategy, size_t *ord);

/* The first type in ord that holds a job of cpus vCPUs, mem_mb MiB and
 * gpus GPUs; -1 when none does. */
long elastic_pick(const struct elastic_type *t, const size_t *ord, size_t n, uint32_t cpus,
                  uint64_t mem_mb, uint32_t gpus);

/* May nodes of add[0..nadd-1] vCPUs be powered up in a partition that has
 * cur vCPUs running or starting?  BEST_FIT never passes max; the other
 * strategies may pass it by one instance (AWS Batch's rule), so all but
 * the last instance must stay under max. */
int elastic_budget_allows(int strategy, uint32_t cur, uint32_t max, const uint32_t *add,
                          size_t nadd);

/* The type to resume count nodes as, for one job, when the partition runs
 * cur vCPUs of max: types are ranked (the strategy's order, elastic_rank),
 * vcpus[i] and fits[i] (does type i hold the job) given in that order.
 *   BEST_FIT: the first type that fits; *allowed only when count of it
 *     stay within max (else the job waits: never another type);
 *   BEST_FIT_PROGRESSIVE: the first fitting type whose count instances stay
 *     within max, else the first the one-instance overshoot allows, else
 *     the first that fits (not allowed);
 *   SPOT_*: the first that fits, allowed by the overshoot rule.
 * Returns the rank, or -1 when no type fits. */
long elastic_choose(int strategy, const uint32_t *vcpus, const int *fits, size_t n,
                    uint32_t count, uint32_t cur, uint32_t max, int *allowed);

/* How many node names a type gets: enough to reach max vCPUs with it alone
 * (one more where the strategy may pass max), at most ELASTIC_MAX_PER_TYPE. */
#define ELASTIC_MAX_PER_TYPE 1024u
uint32_t elastic_names_for(int strategy, uint32_t max_vcpus, uint32_t type_vcpus);

#endif
