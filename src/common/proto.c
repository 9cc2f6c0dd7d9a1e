#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* send(MSG_NOSIGNAL): a peer that closed gives EPIPE, not a SIGPIPE that
 * would kill a command without a word; write() for what is not a socket. */
static ssize_t write_some(int fd, const void *p, size_t len)
{
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    return n < 0 && errno == ENOTSOCK ? write(fd, p, len) : n;
}

static int write_all(int fd, const void *buf, size_t len, sl_error_t *e)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write_some(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return sl_errprintf(e, "write failed: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len, sl_error_t *e)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sl_errprintf(e, "read failed: %s", strerror(errno));
        if (n == 0)
            return sl_errprintf(e, "connection closed by peer");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

json_t *proto_decode(const char *buf, size_t len, sl_error_t *e)
{
    json_error_t jerr;
    /* jansson stops reading at a NUL byte: "{}\0junk" would pass as "{}". */
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        sl_errprintf(e, "malformed frame: a NUL byte at offset %zu", (size_t)(nul - buf));
        return NULL;
    }
    json_t *msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg) {
        sl_errprintf(e, "malformed JSON in frame: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(msg)) {
        json_decref(msg);
        sl_errprintf(e, "frame is not a JSON object");
        return NULL;
    }
    return msg;
}

int proto_write(int fd, json_t *msg, sl_error_t *e)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text)
        return sl_errprintf(e, "cannot encode message");
    size_t len = strlen(text);
    uint32_t hdr = htonl((uint32_t)len);
    char stackbuf[4096];
    int rc;
    /* One write for small frames keeps request latency to one segment. */
    if (len + 4 <= sizeof(stackbuf)) {
        memcpy(stackbuf, &hdr, 4);
        memcpy(stackbuf + 4, text, len);
        rc = write_all(fd, stackbuf, len + 4, e);
    } else {
        rc = write_all(fd, &hdr, 4, e);
        if (rc == 0)
            rc = write_all(fd, text, len, e);
    }
    free(text);
    return rc;
}

char *proto_read_text(int fd, size_t *len, sl_error_t *e)
{
    uint32_t hdr;
    if (read_all(fd, &hdr, 4, e) < 0)
        return NULL;
    *len = ntohl(hdr);
    if (*len > PROTO_MAX_FRAME) {
        sl_errprintf(e, "frame of %zu bytes exceeds the %u byte limit", *len,
                     PROTO_MAX_FRAME);
        return NULL;
    }
    char *buf = malloc(*len + 1);
    if (!buf) {
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    if (read_all(fd, buf, *len, e) < 0) {
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

json_t *proto_read(int fd, sl_error_t *e)
{
    size_t len;
    char *buf = proto_read_text(fd, &len, e);
    json_t *msg = buf ? proto_decode(buf, len, e) : NULL;
    free(buf);
    return msg;
}

json_t *proto_request(const char *op, uint64_t id, json_t *body)
{
    return json_pack("{s:s, s:I, s:o}", "op", op, "id", (json_int_t)id, "body",
                     body ? body : json_object());
}

json_t *proto_reply(uint64_t id, json_t *body)
{
    return json_pack("{s:I, s:o}", "id", (json_int_t)id, "body", body ? body : json_object());
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                                : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n <= 1)
        return n;
    uint32_t cp = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *proto_text_valid(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len * 4 + 1), *o = out;
    const unsigned char *p = (const unsigned char *)text;
    if (!out)
        return NULL;
    while (*p) {
        size_t n = utf8_len(p);
        if (n) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            o += sprintf(o, "\\x%02X", *p++);
        }
    }
    *o = '\0';
    return out;
}

json_t *proto_error(uint64_t id, const char *code, const char *message)
{
    /* A message quoting what was refused (a configuration line, a name) may
     * hold invalid UTF-8, which JSON cannot carry: the reply must still go. */
    char *valid = proto_text_valid(message);
    json_t *msg = json_pack("{s:I, s:{s:s, s:s}}", "id", (json_int_t)id, "error", "code", code,
                            "message", valid ? valid : "(unprintable message)");
    free(valid);
    return msg;
}
