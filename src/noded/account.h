/* account.h: the job user's account as this node sees it.  sluiced looks
 * it up for each launch and writes it into the launch record, so that
 * sluicestepd needs no name service: the stepd is linked statically (its
 * exec is most of a trivial job's cost) and a static program cannot load
 * NSS modules.  Slurm's slurmd sends the group list to its stepd likewise. */
#ifndef SL_NODED_ACCOUNT_H
#define SL_NODED_ACCOUNT_H

#include <jansson.h>
#include "error.h"

/* Check rec's "user" and "uid" against this node's user database and add
 * "home", "shell" and (when sluiced runs as root) "groups" to rec.
 * -1 with e set when the job cannot run here as that user. */
int account_resolve(json_t *rec, const char *node_name, sl_error_t *e);

#endif
