/* sshare.h: sshare's fields and the fair-share factor it shows. */
#ifndef SL_SSHARE_H
#define SL_SSHARE_H

#include <jansson.h>
#include "jobfmt.h"

/* Ends with a NULL name. */
extern const struct jobfmt_field sshare_fields[];

/* For each record of share_list's "shares" (doc/protocol.md) add
 *   "norm_share": (1/weight) / sum of 1/weight over the shares of the same
 *                 policy, and
 *   "fairshare":  2^(-effective_usage / norm_share)  (1 with no usage).
 * A lower weight is a larger share: 0.5 gets twice what 1.0 gets. */
void sshare_fairshare(json_t *shares);

/* Order records by policy ("(cluster)" first), then share. */
void sshare_sort(json_t *shares);

#endif
