/* mnp.h: multi-node parallel job definitions (AWS Batch's type multinode):
 * their checks at registration and the plan the node driver (sluice-mnp)
 * follows at run time. */
#ifndef SL_MNP_H
#define SL_MNP_H

#include <jansson.h>
#include "error.h"

#define MNP_MAX_RANGES 5
/* The variable that carries the plan to the job's driver. */
#define MNP_PLAN_VAR "SLUICE_MNP_PLAN"

/* AWS's targetNodes "0:1", "2:", ":3" or "4" over num_nodes nodes: the
 * first and last node it names.  An open end is the first or last node. */
int mnp_range_parse(const char *text, long num_nodes, long *first, long *last, sl_error_t *e);
/* A container block (containerProperties, or a node range's container). */
int mnp_check_container(json_t *cp, const char *where, sl_error_t *e);
/* nodeProperties: numNodes >= 1, mainNode < numNodes, at most 5 ranges
 * covering each node exactly once, each with a valid container. */
int mnp_check(json_t *np, sl_error_t *e);
/* The range whose targetNodes hold node i (NULL when none). */
json_t *mnp_range_of(json_t *np, long i);
/* The driver's plan (JSON text, to free) from a checked nodeProperties,
 * every command word passed through subst (Ref:: parameters); the variables
 * of overrides (the submission's, may be NULL) win over each range's. */
typedef char *(*mnp_subst_fn)(const char *word, void *arg, sl_error_t *e);
char *mnp_plan(json_t *np, json_t *overrides, mnp_subst_fn subst, void *arg, sl_error_t *e);
/* The largest VCPU or MEMORY any range asks for (0: none asks). */
long mnp_max_resource(json_t *np, const char *type);

#endif
