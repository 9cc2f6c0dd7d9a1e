/* stepio.h: the stream between srun and the sluicestepd of each node of a
 * job step (doc/protocol.md, "The step I/O stream").  The stepd connects
 * to the address srun gave in its launch, proves it was sent by that
 * launch with the step's I/O key, then carries the tasks' output, their
 * exits and the PMI exchange up, and stdin and signals down.
 *
 * A frame is a 12-byte header (payload length, type, task; big-endian)
 * and the payload.  Binary on purpose: task output is bytes, not text. */
#ifndef SL_STEPIO_H
#define SL_STEPIO_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define STEPIO_HDR_LEN 12
#define STEPIO_MAX_PAYLOAD (16u * 1024u * 1024u)
#define STEPIO_ALL_TASKS 0xffffffffu
#define STEPIO_KEY_HEX 64          /* 32 random bytes, in hex */

enum stepio_type {
    STEPIO_HELLO = 1,      /* up:   JSON {"io_key","node_id","node","tasks":[ranks]} */
    STEPIO_STDOUT = 2,     /* up:   task's stdout bytes; empty = end of file */
    STEPIO_STDERR = 3,     /* up:   task's stderr bytes; empty = end of file */
    STEPIO_STDIN = 4,      /* down: bytes for task (STEPIO_ALL_TASKS: every local task);
                                    empty = end of file */
    STEPIO_SIGNAL = 5,     /* down: 4-byte signal number, to every local task */
    STEPIO_TASK_EXIT = 6,  /* up:   JSON {"exit_code":N,"signal":S,"core":0|1} of task */
    STEPIO_FENCE = 7,      /* up:   4-byte sequence number, then this node's blob */
    STEPIO_FENCE_DONE = 8, /* down: 4-byte sequence number, then every node's blobs
                                    concatenated; task = 0 on success, else failure */
    STEPIO_ABORT = 9,      /* up:   JSON {"status":N,"message":"..."}: end the step */
    STEPIO_NODE_DONE = 10, /* up:   every local task has exited and been reported */
    STEPIO_ERROR = 11,     /* up:   text for srun's "srun: error: NODE: ..." (task as
                                    the rank it concerns, or STEPIO_ALL_TASKS) */
    STEPIO_WINSIZE = 12,   /* down: --pty's new window size for task: rows, cols as two
                                    16-bit big-endian numbers (exactly 4 bytes) */
    STEPIO_TYPE_MAX = 12
};

struct stepio_frame {
    uint32_t type;
    uint32_t task;
    const unsigned char *data;   /* points into the caller's buffer */
    size_t len;
};

/* Write one whole frame to a blocking descriptor (retries on EINTR and
 * short writes).  Returns 0, or -1 with e set. */
int stepio_write(int fd, uint32_t type, uint32_t task, const void *data, size_t len,
                 sl_error_t *e);
/* Encode a header into hdr[STEPIO_HDR_LEN]. */
void stepio_header(unsigned char *hdr, uint32_t type, uint32_t task, size_t len);
/* Parse the first frame of buf[0..len): 1 with *f filled and *used set to
 * the frame's whole size, 0 when more bytes are needed, -1 with e set on a
 * frame of unknown type or over STEPIO_MAX_PAYLOAD. */
int stepio_parse(const unsigned char *buf, size_t len, struct stepio_frame *f, size_t *used,
                 sl_error_t *e);
/* Read one frame from a blocking descriptor into *buf (grown as needed;
 * *cap its size).  1: a frame (its data points into *buf); 0: end of file
 * before a frame began; -1: error or a cut frame, e set. */
int stepio_read(int fd, unsigned char **buf, size_t *cap, struct stepio_frame *f,
                sl_error_t *e);
/* 32 random bytes (getrandom) as 64 hex digits and a NUL. */
int stepio_make_key(char out[STEPIO_KEY_HEX + 1], sl_error_t *e);
/* Compare two keys in constant time: 1 when equal. */
int stepio_key_equal(const char *a, const char *b);
#endif
