/* stepio.c: frames of the step I/O stream (stepio.h). */
#include "stepio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void stepio_header(unsigned char *hdr, uint32_t type, uint32_t task, size_t len)
{
    put32(hdr, (uint32_t)len);
    put32(hdr + 4, type);
    put32(hdr + 8, task);
}

static int write_all(int fd, const void *buf, size_t len, sl_error_t *e)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sl_errprintf(e, "step I/O write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int stepio_write(int fd, uint32_t type, uint32_t task, const void *data, size_t len,
                 sl_error_t *e)
{
    if (len > STEPIO_MAX_PAYLOAD)
        return sl_errprintf(e, "step I/O frame of %zu bytes is over the %u-byte limit", len,
                            STEPIO_MAX_PAYLOAD);
    unsigned char hdr[STEPIO_HDR_LEN];
    stepio_header(hdr, type, task, len);
    if (write_all(fd, hdr, sizeof(hdr), e) < 0)
        return -1;
    return len ? write_all(fd, data, len, e) : 0;
}

int stepio_parse(const unsigned char *buf, size_t len, struct stepio_frame *f, size_t *used,
                 sl_error_t *e)
{
    if (len < STEPIO_HDR_LEN)
        return 0;
    uint32_t plen = get32(buf), type = get32(buf + 4);
    if (type < STEPIO_HELLO || type > STEPIO_TYPE_MAX)
        return sl_errprintf(e, "step I/O frame of unknown type %u", type);
    if (plen > STEPIO_MAX_PAYLOAD)
        return sl_errprintf(e, "step I/O frame of %u bytes is over the %u-byte limit", plen,
                            STEPIO_MAX_PAYLOAD);
    if (len - STEPIO_HDR_LEN < plen)
        return 0;
    f->type = type;
    f->task = get32(buf + 8);
    f->data = buf + STEPIO_HDR_LEN;
    f->len = plen;
    *used = STEPIO_HDR_LEN + (size_t)plen;
    return 1;
}

/* 1: n bytes read; 0: end of file before any; -1: error or cut short. */
static int read_all(int fd, unsigned char *p, size_t n, sl_error_t *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return sl_errprintf(e, "step I/O read: %s", strerror(errno));
        if (r == 0)
            return got ? sl_errprintf(e, "step I/O stream cut within a frame") : 0;
        got += (size_t)r;
    }
    return 1;
}

int stepio_read(int fd, unsigned char **buf, size_t *cap, struct stepio_frame *f,
                sl_error_t *e)
{
    unsigned char hdr[STEPIO_HDR_LEN];
    int rc = read_all(fd, hdr, sizeof(hdr), e);
    if (rc <= 0)
        return rc;
    size_t used;
    uint32_t plen = get32(hdr);
    if (plen > STEPIO_MAX_PAYLOAD || get32(hdr + 4) < STEPIO_HELLO ||
        get32(hdr + 4) > STEPIO_TYPE_MAX) {
        stepio_parse(hdr, sizeof(hdr), f, &used, e);   /* says which */
        return -1;
    }
    size_t need = STEPIO_HDR_LEN + (size_t)plen + 1;
    if (*cap < need) {
        unsigned char *nb = realloc(*buf, need);
        if (!nb)
            return sl_errprintf(e, "out of memory for a step I/O frame of %u bytes", plen);
        *buf = nb;
        *cap = need;
    }
    memcpy(*buf, hdr, sizeof(hdr));
    if (plen) {
        rc = read_all(fd, *buf + STEPIO_HDR_LEN, plen, e);
        if (rc == 0)
            sl_errprintf(e, "step I/O stream cut within a frame");
        if (rc != 1)
            return -1;
    }
    (*buf)[STEPIO_HDR_LEN + plen] = '\0';
    return stepio_parse(*buf, STEPIO_HDR_LEN + plen, f, &used, e);
}

int stepio_make_key(char out[STEPIO_KEY_HEX + 1], sl_error_t *e)
{
    unsigned char raw[STEPIO_KEY_HEX / 2];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sl_errprintf(e, "getrandom: %s", strerror(errno));
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[STEPIO_KEY_HEX] = '\0';
    return 0;
}

int stepio_key_equal(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != STEPIO_KEY_HEX || strlen(b) != STEPIO_KEY_HEX)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < STEPIO_KEY_HEX; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}
