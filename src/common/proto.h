/* proto.h: the wire format.  A frame is a 4-byte big-endian length followed
 * by that many bytes of one JSON object.  See doc/protocol.md. */
#ifndef SL_PROTO_H
#define SL_PROTO_H

#include <stdint.h>
#include <jansson.h>
#include "error.h"

#define PROTO_VERSION 1
#define PROTO_MAX_FRAME (64u * 1024u * 1024u)

struct evbuffer;

/* Blocking I/O on a socket.  proto_read returns NULL with a message on EOF,
 * a short read, an oversized frame or malformed JSON. */
int proto_write(int fd, json_t *msg, sl_error_t *e);
json_t *proto_read(int fd, sl_error_t *e);

/* One message from a frame's body (len bytes, not NUL-terminated). */
json_t *proto_decode(const char *buf, size_t len, sl_error_t *e);

/* Buffered I/O for libevent connections (proto_ev.c).  proto_take returns 1 and a message,
 * 0 when more bytes are needed, -1 on a malformed or oversized frame. */
int proto_put(struct evbuffer *out, json_t *msg);
int proto_take(struct evbuffer *in, json_t **msg, sl_error_t *e);

/* Message constructors; each steals body (may be NULL). */
json_t *proto_request(const char *op, uint64_t id, json_t *body);
json_t *proto_reply(uint64_t id, json_t *body);
json_t *proto_error(uint64_t id, const char *code, const char *message);

#endif
