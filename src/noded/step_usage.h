/* step_usage.h: sstat's step_usage request (doc/protocol.md, "sstat"): the
 * live usage of a running step (or, step_id -1, of the batch step) on a node
 * served here, as its stepd last wrote it (usage.json: src/stepd/usage.h).
 * The step's user, root and the controller's user may ask. */
#ifndef SL_NODED_STEP_USAGE_H
#define SL_NODED_STEP_USAGE_H

#include <jansson.h>
#include "step_launch.h"

extern const struct field_spec step_usage_fields[];

void step_usage_serve(struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body);

#endif
