/* client.h: a blocking, authenticated connection to a Sluice daemon, as the
 * commands (and sluiced's controller link) use it. */
#ifndef SL_CLIENT_H
#define SL_CLIENT_H

#include <jansson.h>
#include "error.h"
#include "jtape.h"

struct conf;
typedef struct sl_client sl_client_t;

/* Connect to the controller named by the config and authenticate (hello).
 * On failure e says e.g. "cannot connect to controller localhost:6917:
 * Connection refused". */
sl_client_t *client_open(const struct conf *c, sl_error_t *e);
/* Like client_open, but the hello is sent without waiting for its reply,
 * which the first call reads: a refused credential is reported by that
 * call.  For commands, which make one call or a few. */
sl_client_t *client_open_deferred(const struct conf *c, sl_error_t *e);
/* The same to a node's sluiced (sstat, sbcast), hello deferred. */
sl_client_t *client_open_node(const struct conf *c, const char *name, const char *host,
                              int port, sl_error_t *e);
/* Send one request and wait for its reply.  Steals body (may be NULL).
 * Returns the reply's body (a new reference; {} if the reply had none), or
 * NULL with e set to the server's error message.  client_last_code() then
 * gives the error code ("ENOENT", "EINVAL", "EPERM", ...). */
json_t *client_call(sl_client_t *cl, const char *op, json_t *body, sl_error_t *e);
/* The same, but the reply is parsed into tp (jtape.h: no allocation per
 * value), for replies of 100,000 rows.  Returns the body's token, or
 * JT_NONE with e set. */
size_t client_call_tape(sl_client_t *cl, const char *op, json_t *body, struct jtape *tp,
                        sl_error_t *e);
const char *client_last_code(const sl_client_t *cl);
int client_fd(const sl_client_t *cl);
void client_close(sl_client_t *cl);   /* accepts NULL */

/* One-shot: load the config (SLUICE_CONF or default path), connect, call,
 * close.  For simple commands. */
json_t *client_call_once(const struct conf *c, const char *op, json_t *body,
                         sl_error_t *e);

#endif
