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
/* One frame's bytes, unparsed (malloc'd, NUL-terminated; *len without the
 * NUL), for readers that parse it themselves (jtape). */
char *proto_read_text(int fd, size_t *len, sl_error_t *e);

/* One message from a frame's body (len bytes, not NUL-terminated). */
json_t *proto_decode(const char *buf, size_t len, sl_error_t *e);

/* Buffered I/O for libevent connections (proto_ev.c).  proto_take returns 1 and a message,
 * 0 when more bytes are needed, -1 on a malformed or oversized frame. */
int proto_put(struct evbuffer *out, json_t *msg);
/* A frame of text already encoded (one JSON object). */
int proto_put_text(struct evbuffer *out, const char *text, size_t len);
/* The same without a copy, for large replies: buf (malloc'd) holds
 * PROTO_HDR_LEN bytes of room for the header, then the text; len counts
 * both.  buf is the buffer's from now on (freed when sent, or on error). */
#define PROTO_HDR_LEN 4
int proto_put_owned(struct evbuffer *out, char *buf, size_t len);
int proto_take(struct evbuffer *in, json_t **msg, sl_error_t *e);

/* Message constructors; each steals body (may be NULL). */
json_t *proto_request(const char *op, uint64_t id, json_t *body);
json_t *proto_reply(uint64_t id, json_t *body);
/* message may hold invalid UTF-8: each bad byte is sent as \xNN. */
json_t *proto_error(uint64_t id, const char *code, const char *message);
/* A copy of text (malloc'd) with each byte that is not part of valid UTF-8
 * written as the four characters \xNN. */
char *proto_text_valid(const char *text);

#endif
