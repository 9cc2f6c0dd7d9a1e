/* fuzz_proto.c: the wire format (proto.c, proto_ev.c): a stream of frames,
 * each a 4-byte big-endian length and that many bytes of one JSON object.
 * The first byte seeds how the stream is cut into the pieces the daemons'
 * buffered reader (proto_take) receives; the same bytes also go through the
 * commands' blocking reader (proto_read) over a pipe.  Promises checked:
 * both readers take the same messages, in order, and stop at the same
 * malformed frame; each message is an object that proto_put re-frames and
 * proto_take reads back equal; a refusal says why.  (What a request's
 * envelope and body must hold is checked by the server's dispatch, which
 * needs a connection: not here.) */
#include <event2/buffer.h>
#include <unistd.h>

#include "fuzz.h"
#include "proto.h"

#define MAX_MSGS 64

struct taken {
    json_t *msgs[MAX_MSGS];
    size_t n;
    int failed;
};

static void check_message(json_t *msg)
{
    struct evbuffer *b = evbuffer_new();
    json_t *back = NULL;
    sl_error_t e;
    FUZZ_CHECK(json_is_object(msg), "a frame gave a non-object");
    FUZZ_CHECK(proto_put(b, msg) == 0, "cannot re-frame a message");
    FUZZ_CHECK(proto_take(b, &back, &e) == 1 && json_equal(back, msg),
               "re-framed message reads back otherwise");
    FUZZ_CHECK(evbuffer_get_length(b) == 0, "bytes left after one frame");
    json_decref(back);
    evbuffer_free(b);
}

/* The daemons' way: pieces of the stream arrive one by one. */
static void take_buffered(const uint8_t *data, size_t size, unsigned seed, struct taken *t)
{
    struct evbuffer *in = evbuffer_new();
    size_t at = 0;
    while (at < size && !t->failed && t->n < MAX_MSGS) {
        size_t piece;
        seed = seed * 1103515245u + 12345u;
        piece = 1 + (seed >> 16) % 64;
        if (piece > size - at)
            piece = size - at;
        evbuffer_add(in, data + at, piece);
        at += piece;
        for (;;) {
            json_t *msg;
            sl_error_t e;
            int rc = proto_take(in, &msg, &e);
            if (rc == 0)
                break;
            if (rc < 0) {
                FUZZ_CHECK(!msg && e.text[0], "refused without a message");
                t->failed = 1;   /* the server closes the connection */
                break;
            }
            check_message(msg);
            if (t->n == MAX_MSGS) {
                json_decref(msg);
                break;
            }
            t->msgs[t->n++] = msg;
        }
    }
    evbuffer_free(in);
}

/* The commands' way: blocking reads on a file descriptor until EOF. */
static void take_blocking(const uint8_t *data, size_t size, struct taken *t)
{
    int fd[2];
    if (pipe(fd) < 0 ||
        write(fd[1], data, size) != (ssize_t)size)
        abort();
    close(fd[1]);
    while (t->n < MAX_MSGS) {
        sl_error_t e;
        json_t *msg = proto_read(fd[0], &e);
        if (!msg) {
            FUZZ_CHECK(e.text[0], "refused without a message");
            break;
        }
        t->msgs[t->n++] = msg;
    }
    close(fd[0]);
}

/* A header promising more bytes than the stream holds makes a reader
 * wait or fail at EOF whatever the number; but up to 64 MiB is allocated
 * for it first, which under ASan takes milliseconds.  Shrink such headers
 * (in a copy) to one byte more than is left: the same paths, faster. */
static uint8_t *shrink_headers(const uint8_t *data, size_t size)
{
    uint8_t *s = malloc(size ? size : 1);
    size_t at = 0;
    memcpy(s, data, size);
    while (size - at >= 4) {
        uint32_t len = (uint32_t)s[at] << 24 | (uint32_t)s[at + 1] << 16 |
                       (uint32_t)s[at + 2] << 8 | s[at + 3];
        size_t left = size - at - 4;
        if (len > left) {
            if (len <= PROTO_MAX_FRAME) {
                len = (uint32_t)left + 1;
                s[at] = (uint8_t)(len >> 24);
                s[at + 1] = (uint8_t)(len >> 16);
                s[at + 2] = (uint8_t)(len >> 8);
                s[at + 3] = (uint8_t)len;
            }
            break;
        }
        at += 4 + len;
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct taken buffered = { { NULL }, 0, 0 }, blocking = { { NULL }, 0, 0 };
    if (size < 1 || size > 16384)
        return 0;   /* the whole stream fits in a pipe's buffer */
    uint8_t *stream = shrink_headers(data + 1, size - 1);
    take_buffered(stream, size - 1, data[0], &buffered);
    take_blocking(stream, size - 1, &blocking);
    free(stream);
    if (buffered.n < MAX_MSGS && blocking.n < MAX_MSGS)
        FUZZ_CHECK(buffered.n == blocking.n, "buffered reader took %zu messages, blocking %zu",
                   buffered.n, blocking.n);
    for (size_t i = 0; i < buffered.n && i < blocking.n; i++) {
        FUZZ_CHECK(json_equal(buffered.msgs[i], blocking.msgs[i]), "message %zu differs", i);
    }
    for (size_t i = 0; i < buffered.n; i++)
        json_decref(buffered.msgs[i]);
    for (size_t i = 0; i < blocking.n; i++)
        json_decref(blocking.msgs[i]);
    return 0;
}
