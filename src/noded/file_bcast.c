/* file_bcast.c: sbcast's file_bcast (file_bcast.h). */
#define _GNU_SOURCE
#include "file_bcast.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auth.h"
#include "fanout.h"
#include "forward_async.h"
#include "log.h"
#include "proto.h"
#include "server.h"

const struct field_spec file_bcast_fields[] = {
    FIELD("cred", FT_STR, F_REQUIRED),
    FIELD("node", FT_STR, F_REQUIRED),
    FIELD("path", FT_STR, F_REQUIRED),
    FIELD("offset", FT_INT, F_REQUIRED, .min = 0, .max = INT64_MAX),
    FIELD("data", FT_STR, F_REQUIRED),           /* hex */
    FIELD("final", FT_BOOL, 0),
    FIELD("force", FT_BOOL, 0),
    FIELD("mode", FT_INT, 0, .min = 0, .max = 07777),
    FIELD("atime", FT_INT, 0, .min = 0, .max = INT64_MAX),   /* sbcast -p */
    FIELD("mtime", FT_INT, 0, .min = 0, .max = INT64_MAX),
    FIELD("forward", FT_OBJS, 0),                /* the rest of this subtree (fanout.h) */
    FIELD("tree_width", FT_INT, 0, .min = 1, .max = 65533),
    FIELD("from", FT_STR, 0),
    FIELDS_END,
};

/* The grant: made by the controller, for this node, not expired, and the
 * caller is its user (or root). */
static json_t *grant_check(const struct step_server *s, uid_t peer, json_t *body,
                           sl_error_t *e)
{
    const char *node = json_string_value(json_object_get(body, "node"));
    uid_t maker;
    gid_t mgid;
    size_t len, i;
    json_t *g, *v;
    char *payload = auth_cred_verify_payload(s->auth, json_string_value(json_object_get(body,
                                             "cred")), &maker, &mgid, &len, e);
    int here = 0;
    if (!payload)
        return NULL;
    g = json_loadb(payload, len, 0, NULL);
    free(payload);
    if (maker != 0 && maker != s->ctld_uid) {
        json_decref(g);
        sl_errprintf(e, "invalid sbcast credential: made by uid %ld, not by the controller",
                     (long)maker);
        return NULL;
    }
    json_array_foreach(json_object_get(g, "node_names"), i, v)
        here |= json_is_string(v) && !strcmp(json_string_value(v), node);
    const char *kind = json_string_value(json_object_get(g, "kind"));
    if (!g || !kind || strcmp(kind, "bcast") != 0 || !here || !s->node_jobs(s->arg, node) || json_integer_value(json_object_get(g, "expires")) < (json_int_t)time(NULL) ||
        (peer != 0 && (json_int_t)peer != json_integer_value(json_object_get(g, "uid")))) {
        json_decref(g);
        sl_errprintf(e, "invalid sbcast credential: not for node %s, expired or not the "
                        "caller's", node);
        return NULL;
    }
    return g;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The data, decoded; NULL when it is not hex. */
static unsigned char *hex_decode(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    unsigned char *out = malloc(len / 2 + 1);
    if (!out || len % 2) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *n = len / 2;
    return out;
}

/* In the child, as the job's user: write the chunk (the first one creates
 * the file), then on the last one set its mode and, with -p, its times. */
static int chunk_write(json_t *body, const unsigned char *data, size_t n, char *err, size_t elen)
{
    const char *path = json_string_value(json_object_get(body, "path"));
    json_int_t off = json_integer_value(json_object_get(body, "offset"));
    json_t *mode = json_object_get(body, "mode"), *mt = json_object_get(body, "mtime");
    int flags = O_WRONLY | O_CLOEXEC, fd;
    if (off == 0)
        flags |= O_CREAT | O_TRUNC | (json_is_true(json_object_get(body, "force")) ? 0 : O_EXCL);
    if ((fd = open(path, flags, 0600)) < 0) {
        snprintf(err, elen, "%s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (sbcast -f replaces it)" : "");
        return -1;
    }
    if (n && pwrite(fd, data, n, (off_t)off) != (ssize_t)n) {
        snprintf(err, elen, "%s: write: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (json_is_true(json_object_get(body, "final"))) {
        if (mode && fchmod(fd, (mode_t)json_integer_value(mode)) < 0)
            snprintf(err, elen, "%s: chmod: %s", path, strerror(errno));
        if (mt) {
            struct timespec ts[2] = {
                { (time_t)json_integer_value(json_object_get(body, "atime")), 0 },
                { (time_t)json_integer_value(mt), 0 },
            };
            if (futimens(fd, ts) < 0)
                snprintf(err, elen, "%s: times: %s", path, strerror(errno));
        }
    }
    if (close(fd) < 0 && !*err)
        snprintf(err, elen, "%s: close: %s", path, strerror(errno));
    return *err ? -1 : 0;
}

static int become(const json_t *g, char *err, size_t elen)
{
    uid_t uid = (uid_t)json_integer_value(json_object_get(g, "uid"));
    gid_t gid = (gid_t)json_integer_value(json_object_get(g, "gid"));
    const char *user = json_string_value(json_object_get(g, "user"));
    if (getuid() != 0 && getuid() != uid) {
        snprintf(err, elen, "sluiced runs neither as root nor as uid %ld", (long)uid);
        return -1;
    }
    if (getuid() != 0)
        return 0;
    if ((user && initgroups(user, gid) < 0) || setgid(gid) < 0 || setuid(uid) < 0) {
        snprintf(err, elen, "cannot become uid %ld: %s", (long)uid, strerror(errno));
        return -1;
    }
    return 0;
}

/* Fork, become the user, write; the child's message comes back by a pipe.
 * The event loop waits for one local write, as it does for a spool file. */
static int write_as_user(const json_t *g, json_t *body, const unsigned char *data, size_t n,
                         sl_error_t *e)
{
    char err[512] = "";
    int p[2], status = 0;
    pid_t pid;
    ssize_t got;
    if (pipe2(p, O_CLOEXEC) < 0)
        return sl_errprintf(e, "pipe: %s", strerror(errno));
    if ((pid = fork()) < 0) {
        close(p[0]);
        close(p[1]);
        return sl_errprintf(e, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        int rc = become(g, err, sizeof(err)) < 0 || chunk_write(body, data, n, err,
                                                                sizeof(err)) < 0;
        if (rc && write(p[1], err, strlen(err)) < 0)
            _exit(2);
        _exit(rc);
    }
    close(p[1]);
    got = read(p[0], err, sizeof(err) - 1);
    close(p[0]);
    err[got > 0 ? got : 0] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return sl_errprintf(e, "%s", *err ? err : "the writer failed");
    return 0;
}

static int grant_names(const json_t *g, const char *node)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(g, "node_names"), i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), node))
            return 1;
    return 0;
}

/* The sends of this chunk to the rest of the subtree (fwd), as step_launch
 * forwards a launch; NULL with e when fwd names a node not in the grant. */
static struct fanout_send *bcast_forward_plan(const struct step_server *s, const json_t *g,
                                              json_t *body, const char *node, json_t *fwd,
                                              size_t *count, sl_error_t *e)
{
    json_int_t w = json_integer_value(json_object_get(body, "tree_width"));
    json_t *base, *x;
    size_t i;
    struct fanout_send *sends;
    json_array_foreach(fwd, i, x) {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (!n || !grant_names(g, n) || !strcmp(n, node)) {
            sl_errprintf(e, "forward: node %s is not one of the grant's other nodes",
                         n ? n : "(no name)");
            return NULL;
        }
    }
    base = json_deep_copy(body);
    json_object_set_new(base, "from", json_string(node));
    sends = fanout_plan(base, fwd, w > 0 ? (size_t)w : FANOUT_DEFAULT_WIDTH,
                        FANOUT_FORWARD_TIMEOUT_S, count, e);
    json_decref(base);
    for (i = 0; sends && i < *count; i++) {
        sl_error_t ce;
        sends[i].op = "file_bcast";
        sends[i].cred = auth_cred_create(s->auth, &ce);
    }
    return sends;
}

/* {} when the whole subtree wrote the chunk; else EIO naming each node. */
static void bcast_answer(sl_conn_t *conn, uint64_t id, json_t *failed, const char *code)
{
    char text[1024];
    size_t at = 0, i;
    json_t *x, *msg;
    (void)code;
    if (json_array_size(failed) == 0) {
        conn_reply(conn, id, json_object());
        return;
    }
    json_array_foreach(failed, i, x) {
        if (at < sizeof(text))
            at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s", i ? "; " : "",
                                   json_string_value(json_object_get(x, "error")));
    }
    msg = proto_error(id, "EIO", text);
    json_object_set(json_object_get(msg, "error"), "failed", failed);
    conn_send(conn, msg);
}

/* Write here, then pass the chunk on to this node's subtree (if any): the
 * answer covers every node below, so that sbcast needs to reach only
 * TreeWidth nodes however wide the job. */
static void bcast_forward(struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body,
                          const json_t *g, const char *node, const sl_error_t *own)
{
    json_t *fwd = json_object_get(body, "forward"), *failed = json_array();
    struct fanout_send *sends;
    size_t count = 0;
    sl_error_t e;
    if (own)
        json_array_append_new(failed, json_pack("{s:s, s:s}", "node", node, "error", own->text));
    if (!(sends = bcast_forward_plan(s, g, body, node, fwd, &count, &e))) {
        json_array_append_new(failed, json_pack("{s:s, s:s}", "node", node, "error", e.text));
        bcast_answer(conn, id, failed, "EIO");
        json_decref(failed);
        return;
    }
    log_info("file_bcast of %s: node %s forwards it to %zu subtree(s)",
              json_string_value(json_object_get(body, "path")), node, count);
    forward_async(s->base, conn, id, fwd, sends, count, failed, "EIO", bcast_answer);
}

void file_bcast_serve(struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body)
{
    sl_error_t e;
    size_t n = 0;
    const char *path = json_string_value(json_object_get(body, "path"));
    json_t *g = grant_check(s, conn_uid(conn), body, &e);
    unsigned char *data;
    if (!g) {
        conn_error(conn, id, "EPERM", "%s", e.text);
        return;
    }
    if (path[0] != '/') {
        json_decref(g);
        conn_error(conn, id, "EINVAL", "%s: the destination must be an absolute path", path);
        return;
    }
    if (!(data = hex_decode(json_string_value(json_object_get(body, "data")), &n))) {
        json_decref(g);
        conn_error(conn, id, "EINVAL", "file_bcast: data is not hex");
        return;
    }
    const char *node = json_string_value(json_object_get(body, "node"));
    int wrote = write_as_user(g, body, data, n, &e);
    if (wrote < 0) {
        sl_error_t why = e;
        sl_errprintf(&e, "node %s: %s", node, why.text);
    }
    if (json_array_size(json_object_get(body, "forward")) > 0)
        bcast_forward(s, conn, id, body, g, node, wrote < 0 ? &e : NULL);
    else if (wrote < 0)
        conn_error(conn, id, "EIO", "%s", e.text);
    else
        conn_reply(conn, id, json_object());
    free(data);
    json_decref(g);
}
