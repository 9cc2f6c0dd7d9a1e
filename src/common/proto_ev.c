/* proto_ev.c: framing over libevent buffers, for the daemons.  Apart from
 * proto.c so that a command, which only does blocking I/O, does not load
 * libevent at every exec. */
#include "proto.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

int proto_put_text(struct evbuffer *out, const char *text, size_t len)
{
    uint32_t hdr = htonl((uint32_t)len);
    int rc = evbuffer_add(out, &hdr, 4);
    if (rc == 0)
        rc = evbuffer_add(out, text, len);
    return rc;
}

static void owned_free(const void *data, size_t len, void *arg)
{
    free(arg);
}

int proto_put_owned(struct evbuffer *out, char *buf, size_t len)
{
    uint32_t hdr = htonl((uint32_t)(len - PROTO_HDR_LEN));
    memcpy(buf, &hdr, PROTO_HDR_LEN);
    if (evbuffer_add_reference(out, buf, len, owned_free, buf) < 0) {
        free(buf);
        return -1;
    }
    return 0;
}

int proto_put(struct evbuffer *out, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text)
        return -1;
    int rc = proto_put_text(out, text, strlen(text));
    free(text);
    return rc;
}

int proto_take(struct evbuffer *in, json_t **msg, sl_error_t *e)
{
    uint32_t hdr;
    *msg = NULL;
    if (evbuffer_get_length(in) < 4)
        return 0;
    evbuffer_copyout(in, &hdr, 4);
    size_t len = ntohl(hdr);
    if (len > PROTO_MAX_FRAME)
        return sl_errprintf(e, "frame of %zu bytes exceeds the %u byte limit", len,
                            PROTO_MAX_FRAME);
    if (evbuffer_get_length(in) < len + 4)
        return 0;
    evbuffer_drain(in, 4);
    const char *body = (const char *)evbuffer_pullup(in, (ssize_t)len);
    *msg = proto_decode(body ? body : "", len, e);
    evbuffer_drain(in, len);
    return *msg ? 1 : -1;
}
