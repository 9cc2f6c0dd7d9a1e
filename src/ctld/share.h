/* share.h: fair share.  Usage is core-seconds, decayed with a half-life
 * (ShareDecaySeconds of a policy, PriorityDecayHalfLife otherwise):
 *   usage(t) = usage(t0) * 2^(-(t - t0) / half_life)   (0 half-life: no memory)
 * plus the core-seconds running jobs have used so far.  See doc/scheduling.md. */
#ifndef CTLD_SHARE_H
#define CTLD_SHARE_H

#include <jansson.h>
#include "ctld.h"

int shares_setup(struct ctld *c);
void shares_teardown(struct ctld *c);
/* The share identifier: --share, else the account, else the user. */
const char *share_id(const struct job *j);
/* Start of a pass: usage as of now, and no virtual time handed out yet. */
void share_pass_begin(struct ctld *c);
/* Weighted fair queueing: the key of j's turn within its policy queue; each
 * call advances its share's virtual time by the job's expected cost. */
double share_virtual_time(struct ctld *c, const struct job *j);
/* ComputeReservation: may j's queue give cpus more to j's share now? */
int share_queue_room(struct ctld *c, const struct job *j, uint32_t cpus);
/* A job ended: its core-seconds join its share's usage. */
void share_charge(struct ctld *c, const struct job *j);
/* priority/multifactor's fair-share factor in [0, 1]. */
double share_factor(struct ctld *c, const struct job *j);
/* sshare: every share with its weight, usage and factor. */
json_t *share_list(struct ctld *c);
const struct conf_policy *share_policy_of(struct ctld *c, const struct job *j);

#endif
