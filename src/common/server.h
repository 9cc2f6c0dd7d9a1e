/* server.h: the daemons' side of the protocol, on libevent.  A server
 * accepts TCP connections, requires a hello with a valid credential first,
 * then dispatches each request by its "op" through a table of handlers.
 * Handlers run on the event loop thread. */
#ifndef SL_SERVER_H
#define SL_SERVER_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"
#include "fields.h"

struct event_base;
struct sl_auth;
typedef struct sl_server sl_server_t;
typedef struct sl_conn sl_conn_t;

typedef void (*op_fn)(sl_conn_t *conn, uint64_t id, json_t *body, void *arg);

struct op_spec {
    const char *name;        /* "job_submit" */
    op_fn fn;
    unsigned flags;          /* OP_* below */
    /* The body's fields and their types, checked before fn runs (fields.h);
     * a field not listed is refused unless OP_OPEN_FIELDS. */
    const struct field_spec *fields;
};
#define OP_PRIVILEGED 0x1u   /* only root or the daemon's own uid */
#define OP_OPEN_FIELDS 0x2u  /* unlisted fields pass (checked by the handler, or a
                                daemon's newer fields) */

sl_server_t *server_create(struct event_base *base, const char *host, int port,
                           struct sl_auth *auth, const struct op_spec *table,
                           void *arg, sl_error_t *e);
void server_destroy(sl_server_t *s);   /* closes every connection */
void server_set_table(sl_server_t *s, const struct op_spec *table);
/* Check hellos' credentials on that many threads instead of the loop
 * (auth_pool.h): for a daemon that many peers greet at once. */
int server_check_hellos_off_loop(sl_server_t *s, int threads, sl_error_t *e);
/* Connections beyond max are told EAGAIN and closed (0: the default, 4096).
 * Open connections stay when it is lowered. */
void server_set_max_conns(sl_server_t *s, size_t max);

/* Replies; both steal what they are given. */
void conn_reply(sl_conn_t *c, uint64_t id, json_t *body);
void conn_error(sl_conn_t *c, uint64_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Send an unsolicited message (used on the node channel). */
void conn_send(sl_conn_t *c, json_t *msg);
/* Send a whole message already encoded as JSON text (a reply written with
 * jsonw, too large to build as a tree), without copying it: buf and len as
 * proto_put_owned takes them; buf is freed in any case. */
void conn_send_owned(sl_conn_t *c, char *buf, size_t len);

uid_t conn_uid(const sl_conn_t *c);
gid_t conn_gid(const sl_conn_t *c);
const char *conn_peer(const sl_conn_t *c);   /* "127.0.0.1:40312" */

/* A connection may outlive its socket while someone holds it (a reply
 * deferred until a commit).  Replies on a closed connection are dropped. */
sl_conn_t *conn_hold(sl_conn_t *c);
void conn_release(sl_conn_t *c);
int conn_is_open(const sl_conn_t *c);
void conn_close(sl_conn_t *c);
/* Per-connection user data and a callback when the socket closes. */
void conn_set_data(sl_conn_t *c, void *data, void (*on_close)(sl_conn_t *, void *));
void *conn_data(const sl_conn_t *c);

#endif
