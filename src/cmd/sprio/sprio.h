/* sprio.h: sprio's fields.  A row is one job record of prio_list
 * (doc/protocol.md), or the weights row: {"weights_row": true}. */
#ifndef SL_SPRIO_H
#define SL_SPRIO_H

#include <jansson.h>
#include "jobfmt.h"

struct sprio_ctx {
    int multifactor;     /* priority/multifactor; otherwise every factor shows 0 */
    /* The weights each factor is multiplied by, in the order of enum
     * sprio_factor. */
    double w[5];
};

enum sprio_factor { SPRIO_AGE, SPRIO_FAIRSHARE, SPRIO_JOBSIZE, SPRIO_PARTITION, SPRIO_NICE };

/* The context from a prio_list reply. */
void sprio_ctx_init(struct sprio_ctx *ctx, const json_t *reply);

/* Ends with a NULL name. */
extern const struct jobfmt_field sprio_fields[];

#endif
