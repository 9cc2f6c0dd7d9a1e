/* forward_async.h: a request forwarded along the tree (fanout.h) by a node
 * daemon -- step_launch, file_bcast -- answered once every subtree has: the
 * sends run in a thread, the event loop goes on serving meanwhile. */
#ifndef SL_NODED_FORWARD_ASYNC_H
#define SL_NODED_FORWARD_ASYNC_H

#include <stdint.h>
#include <jansson.h>
#include "fanout.h"
#include "server.h"

struct event_base;

/* The answer to the request, given this node's failures and then its
 * children's (an array of {"node", "error"}; borrowed). */
typedef void (*forward_answer_fn)(sl_conn_t *conn, uint64_t id, json_t *failed,
                                  const char *code);

/* Run sends (pointing into fwd, held until done) and then answer; takes
 * sends and failed.  Without base or a thread, runs them in the loop. */
void forward_async(struct event_base *base, sl_conn_t *conn, uint64_t id, json_t *fwd,
                   struct fanout_send *sends, size_t count, json_t *failed, const char *code,
                   forward_answer_fn answer);

#endif
