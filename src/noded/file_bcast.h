/* file_bcast.h: sbcast's file_bcast request (doc/protocol.md, "sbcast"): one
 * chunk of a file for a running job's node, written at its offset by a child
 * that has become the job's user, with the controller's bcast_grant as the
 * proof that the caller owns a job running on this node.  The first chunk
 * creates the file (refused when it exists, unless "force"); the last sets
 * its mode and, with sbcast -p, its times. */
#ifndef SL_NODED_FILE_BCAST_H
#define SL_NODED_FILE_BCAST_H

#include <jansson.h>
#include "step_launch.h"

extern const struct field_spec file_bcast_fields[];

void file_bcast_serve(struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body);

#endif
