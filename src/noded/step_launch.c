/* step_launch.c: srun's step_launch (step_launch.h). */
#define _GNU_SOURCE
#include "step_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "account.h"
#include "auth.h"
#include "fanout.h"
#include "forward_async.h"
#include "hostlist.h"
#include "jobs_impl.h"
#include "lease.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "steps.h"

const struct field_spec step_launch_fields[] = {
    FIELD("cred", FT_STR, F_REQUIRED),
    FIELD("node", FT_STR, F_REQUIRED),
    FIELD("argv", FT_STRS, F_REQUIRED),
    FIELD("env", FT_STRMAP, 0),
    FIELD("cwd", FT_STR, F_REQUIRED),
    FIELD("io_host", FT_STR, F_REQUIRED),
    FIELD("io_port", FT_INT, F_REQUIRED, .min = 1, .max = 65535),
    FIELD("io_key", FT_STR, F_REQUIRED),
    FIELD("stdin_task", FT_INT, 0, .min = -2, .max = INT32_MAX),
    FIELD("label", FT_BOOL, 0),
    FIELD("unbuffered", FT_BOOL, 0),
    FIELD("kill_on_bad_exit", FT_BOOL, 0),
    FIELD("stdout", FT_STR, F_NULL),
    FIELD("stderr", FT_STR, F_NULL),
    FIELD("stdin", FT_STR, F_NULL),
    FIELD("multi_prog", FT_STR, F_NULL),
    FIELD("cpu_bind", FT_STR, 0),
    FIELD("distribution", FT_STR, 0),
    FIELD("het_task_offset", FT_INT, 0, .min = 0, .max = INT32_MAX),
    FIELD("het_ntasks", FT_INT, 0, .min = 1, .max = INT32_MAX),
    FIELD("het_size", FT_INT, 0, .min = 1, .max = 64),
    FIELD("het_nodes", FT_STRS, 0),
    FIELD("het_tasks_per_node", FT_INTS, 0, .min = 1, .max = 1000000),
    FIELD("het_node_offset", FT_INT, 0, .min = 0, .max = INT32_MAX),
    FIELD("het_job_id", FT_INT, 0, .min = 1, .max = INT64_MAX),
    FIELD("het_step_id", FT_INT, 0, .min = 0, .max = INT32_MAX),
    FIELD("forward", FT_OBJS, 0),
    FIELD("tree_width", FT_INT, 0, .min = 1, .max = 65533),
    FIELD("from", FT_STR, 0),
    FIELDS_END,
};

static int int_field(json_t *o, const char *key, json_int_t min, json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

/* The grant's own shape: what the stepd relies on. */
static int grant_check_shape(json_t *g, sl_error_t *e)
{
    json_t *names = json_object_get(g, "node_names"), *tpn = json_object_get(g, "tasks_per_node");
    json_int_t v, sum = 0;
    size_t i;
    json_t *x;

    if (!json_is_object(g))
        return sl_errprintf(e, "the step's grant does not hold a JSON object");
    if (int_field(g, "job_id", 1, &v) < 0 || int_field(g, "step_id", 0, &v) < 0 ||
        int_field(g, "uid", 0, &v) < 0 || int_field(g, "gid", 0, &v) < 0 ||
        int_field(g, "ntasks", 1, &v) < 0 || !json_is_string(json_object_get(g, "user")))
        return sl_errprintf(e, "the step's grant lacks job_id, step_id, uid, gid, user or "
                               "ntasks");
    if (!json_is_array(names) || !json_is_array(tpn) || json_array_size(names) == 0 ||
        json_array_size(names) != json_array_size(tpn))
        return sl_errprintf(e, "the step's grant has no node_names and tasks_per_node of the "
                               "same length");
    json_array_foreach(names, i, x) {
        json_t *n = json_array_get(tpn, i);
        if (!json_is_string(x) || !json_is_integer(n) || json_integer_value(n) < 1)
            return sl_errprintf(e, "the step's grant: node %zu has no name or no task", i);
        sum += json_integer_value(n);
    }
    if (sum != v)
        return sl_errprintf(e, "the step's grant: tasks_per_node adds up to %lld, not ntasks "
                               "%lld", (long long)sum, (long long)v);
    return 0;
}

/* Verify the credential; the grant (its payload) or NULL. */
static json_t *grant_open(const struct step_server *s, const char *cred, sl_error_t *e)
{
    uid_t maker;
    gid_t mgid;
    size_t len;
    json_error_t je;
    char *payload = auth_cred_verify_payload(s->auth, cred, &maker, &mgid, &len, e);
    json_t *g;

    if (!payload) {
        sl_error_t inner = *e;
        sl_errprintf(e, "invalid step credential: %s", inner.text);
        return NULL;
    }
    if (maker != 0 && maker != s->ctld_uid) {
        free(payload);
        sl_errprintf(e, "invalid step credential: made by uid %ld, not by the controller",
                     (long)maker);
        return NULL;
    }
    g = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
    free(payload);
    if (!g) {
        sl_errprintf(e, "invalid step credential: its grant is not JSON: %s", je.text);
        return NULL;
    }
    if (grant_check_shape(g, e) < 0) {
        json_decref(g);
        return NULL;
    }
    return g;
}

/* This node's index in the grant, or -1. */
static int grant_node_index(json_t *g, const char *node)
{
    json_t *names = json_object_get(g, "node_names"), *x;
    size_t i;

    json_array_foreach(names, i, x) {
        if (strcmp(json_string_value(x), node) == 0)
            return (int)i;
    }
    return -1;
}

/* The job must be running here, or be a job whose batch stepd runs on
 * another node (its first): the other nodes of an allocation know of it
 * only through grants. */
static int job_check_here(jobs_t *js, json_t *g, const char *node, sl_error_t *e)
{
    uint64_t job_id = (uint64_t)json_integer_value(json_object_get(g, "job_id"));
    const char *jn = json_string_value(json_object_get(g, "job_nodes"));
    struct job *j = jobs_find(js, job_id);
    int first_here = 0;

    if (j)
        return j->pid && !j->result ? 0
                                    : sl_errprintf(e, "job %llu is not running on node %s "
                                                      "(it has ended)",
                                                   (unsigned long long)job_id, node);
    if (jn && *jn) {
        sl_error_t he;
        hostlist_t *hl = hostlist_expand(jn, &he);
        first_here = hl && hostlist_count(hl) > 0 && !strcmp(hostlist_nth(hl, 0), node);
        hostlist_destroy(hl);
    }
    if (first_here)
        return sl_errprintf(e, "job %llu is not running on node %s", (unsigned long long)job_id,
                            node);
    return 0;
}

static int lease_held(const jobs_t *js)
{
    int64_t until = jobs_lease_read(js);
    return until && lease_now_ns() < until;
}

/* The launch record: the grant, then the request's own fields (those of
 * step_launch_fields, less the credential and the fan-out's), then this
 * node's place.  Nothing else of the body gets in: the body is the
 * caller's, and a key of the grant's ("uid", "gpus", "cpu_ids"...) taken
 * from it would run the step as whoever, on whatever, the caller says. */
static json_t *record_build(const struct step_server *s, json_t *g, json_t *body,
                            const char *node, int node_id)
{
    json_t *rec = json_deep_copy(g), *v;

    for (const struct field_spec *f = step_launch_fields; f->name; f++) {
        const char *k = f->name;
        if (strcmp(k, "cred") == 0 || strcmp(k, "node") == 0 || strcmp(k, "forward") == 0 ||
            strcmp(k, "tree_width") == 0 || strcmp(k, "from") == 0 || json_object_get(g, k))
            continue;
        if ((v = json_object_get(body, k)))
            json_object_set(rec, k, v);
    }
    json_object_set_new(rec, "node_name", json_string(node));
    json_object_set_new(rec, "node_id", json_integer(node_id));
    json_object_set_new(rec, "plugin_dir", json_string(s->plugin_dir ? s->plugin_dir : ""));
    return rec;
}

static int key_ok(const char *k)
{
    size_t n = strlen(k);
    return n == 64 && strspn(k, "0123456789abcdefABCDEF") == n;
}

/* Whether the caller may launch this grant at all: its key, its command, the
 * grant and the caller's uid.  *g gets the grant. */
static int launch_admit(const struct step_server *s, uid_t peer, json_t *body, json_t **g,
                        const char **code, sl_error_t *e)
{
    *code = "EINVAL";
    *g = NULL;
    if (!key_ok(json_string_value(json_object_get(body, "io_key"))))
        return sl_errprintf(e, "io_key must be 64 hexadecimal digits");
    if (json_array_size(json_object_get(body, "argv")) == 0 &&
        !json_is_string(json_object_get(body, "multi_prog")))
        return sl_errprintf(e, "step_launch without a command (argv is empty)");
    *g = grant_open(s, json_string_value(json_object_get(body, "cred")), e);
    if (!*g) {
        *code = "EPERM";
        return -1;
    }
    uid_t uid = (uid_t)json_integer_value(json_object_get(*g, "uid"));
    if (peer != 0 && peer != uid) {
        *code = "EPERM";
        return sl_errprintf(e, "the step's grant is for uid %ld, not for uid %ld", (long)uid,
                            (long)peer);
    }
    return 0;
}

/* This node's part of the step: its stepd. */
static int launch_local(const struct step_server *s, json_t *g, json_t *body, const char *node,
                        const char **code, sl_error_t *e)
{
    int idx = grant_node_index(g, node), rc;
    jobs_t *js = s->node_jobs(s->arg, node);
    json_t *rec;

    *code = "EINVAL";
    if (idx < 0 || !js)
        return sl_errprintf(e, idx < 0 ? "node %s is not in the step's grant"
                                       : "node %s is not served here", node);
    if (s->mock)
        return sl_errprintf(e, "node %s runs with MockExecution=yes: job steps cannot run", node);
    if (!lease_held(js)) {
        *code = "EAGAIN";
        return sl_errprintf(e, "node %s holds no lease from the controller (not registered, or "
                               "out of touch): no step starts", node);
    }
    if (job_check_here(js, g, node, e) < 0) {
        *code = "ENOENT";
        return -1;
    }
    rec = record_build(s, g, body, node, idx);
    rc = account_resolve(rec, node, e);
    if (rc == 0)
        rc = steps_launch(js, rec, e);
    json_decref(rec);
    return rc;
}

/* Every node of the forward list failed as this one did (nothing was
 * forwarded: a refused grant or caller, a MockExecution node). */
static void forward_fail_all(json_t *fwd, const char *node, const sl_error_t *e, json_t *failed)
{
    char text[sizeof(e->text) + 128];
    json_t *x;
    size_t i;

    snprintf(text, sizeof(text), "not launched: its launch went through node %s: %s", node,
             e->text);
    json_array_foreach(fwd, i, x) {
        const char *n = json_string_value(json_object_get(x, "name"));
        json_array_append_new(failed, json_pack("{s:s, s:s}", "node", n ? n : "?", "error",
                                                text));
    }
}

/* The sends of the rest of this subtree (fwd) to its children, each with
 * its hello's credential; NULL with e when fwd is malformed.  The sends point
 * into fwd: it must outlive them. */
static struct fanout_send *forward_plan(const struct step_server *s, json_t *g, json_t *body,
                                        const char *node, json_t *fwd, size_t *count,
                                        sl_error_t *e)
{
    json_int_t w = json_integer_value(json_object_get(body, "tree_width"));
    size_t width = w > 0 ? (size_t)w : FANOUT_DEFAULT_WIDTH, i;
    json_t *base, *x;
    struct fanout_send *sends;

    json_array_foreach(fwd, i, x) {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (!n || grant_node_index(g, n) < 0 || !strcmp(n, node)) {
            sl_errprintf(e, "forward: node %s is not one of the grant's other nodes",
                         n ? n : "(no name)");
            return NULL;
        }
    }
    base = json_deep_copy(body);
    json_object_set_new(base, "from", json_string(node));
    sends = fanout_plan(base, fwd, width, FANOUT_FORWARD_TIMEOUT_S, count, e);
    json_decref(base);
    if (!sends) {
        sl_error_t inner = *e;
        sl_errprintf(e, "forward: %s", inner.text);
        return NULL;
    }
    for (i = 0; i < *count; i++) {
        sl_error_t ce;
        sends[i].cred = auth_cred_create(s->auth, &ce);
        log_info("step_launch of StepId=%lld.%lld: node %s forwards it to node %s (%zu node(s) "
                 "in that subtree)",
                 (long long)json_integer_value(json_object_get(g, "job_id")),
                 (long long)json_integer_value(json_object_get(g, "step_id")), node,
                 sends[i].name,
                 1 + json_array_size(json_object_get(sends[i].body, "forward")));
    }
    return sends;
}

/* One message naming every failed node, for those that read only the text. */
static void failed_message(const json_t *failed, sl_error_t *e)
{
    size_t n = json_array_size(failed), i, at;
    json_t *x;

    at = (size_t)snprintf(e->text, sizeof(e->text), "step launch failed on %zu node(s)", n);
    json_array_foreach(failed, i, x) {
        if (at >= sizeof(e->text))
            break;
        at += (size_t)snprintf(e->text + at, sizeof(e->text) - at, "%s %s: %s",
                               i ? ";" : ":", json_string_value(json_object_get(x, "node")),
                               json_string_value(json_object_get(x, "error")));
    }
}

/* The answer: {} when nothing failed; else code (EIO when only forwarded
 * nodes failed) and, when the body forwarded, every failed node. */
static void launch_answer(sl_conn_t *conn, uint64_t id, json_t *failed, int forwarded,
                          const char *code, const sl_error_t *own)
{
    sl_error_t e;
    json_t *msg;

    if (json_array_size(failed) == 0) {
        conn_reply(conn, id, json_object());
        return;
    }
    if (forwarded)
        failed_message(failed, &e);
    else
        e = *own;   /* a leaf answers as before the tree: its own error */
    log_info("step_launch from %s (uid %ld) refused: %s", conn_peer(conn), (long)conn_uid(conn),
             e.text);
    msg = proto_error(id, code, e.text);
    if (forwarded)
        json_object_set(json_object_get(msg, "error"), "failed", failed);
    conn_send(conn, msg);
}

/* forward_async's answer for a launch that forwarded. */
static void launch_forwarded_answer(sl_conn_t *conn, uint64_t id, json_t *failed,
                                    const char *code)
{
    launch_answer(conn, id, failed, 1, code, NULL);
}

void step_launch_serve(const struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body)
{
    const char *node = json_string_value(json_object_get(body, "node"));
    const char *from = json_string_value(json_object_get(body, "from"));
    json_t *fwd = json_object_get(body, "forward"), *g, *failed = json_array();
    uid_t peer = conn_uid(conn);
    const char *code;
    struct fanout_send *sends;
    size_t count = 0;
    sl_error_t le, e;
    int local;

    local = launch_admit(s, peer, body, &g, &code, &le);
    if (g)
        log_info("step_launch of StepId=%lld.%lld for node %s from %s%s (%s, uid %ld), %zu "
                 "node(s) to forward to",
                 (long long)json_integer_value(json_object_get(g, "job_id")),
                 (long long)json_integer_value(json_object_get(g, "step_id")), node,
                 from ? "node " : "srun", from ? from : "", conn_peer(conn), (long)peer,
                 json_array_size(fwd));
    if (local == 0)
        local = launch_local(s, g, body, node, &code, &le);
    if (local < 0)
        json_array_append_new(failed, json_pack("{s:s, s:s}", "node", node, "error", le.text));
    else
        code = "EIO";
    if (json_array_size(fwd) == 0 || !g || (local < 0 && !strcmp(code, "EPERM")) || s->mock) {
        /* A caller refused here gets nothing forwarded: the children would
         * take the launch from root. */
        if (json_array_size(fwd) > 0)
            forward_fail_all(fwd, node, &le, failed);
        launch_answer(conn, id, failed, json_array_size(fwd) > 0, code, &le);
    } else if (!(sends = forward_plan(s, g, body, node, fwd, &count, &e))) {
        log_info("step_launch from %s refused: %s", conn_peer(conn), e.text);
        conn_error(conn, id, "EINVAL", "%s", e.text);
    } else {
        json_decref(g);
        forward_async(s->base, conn, id, fwd, sends, count, failed, code,
                      launch_forwarded_answer);
        return;
    }
    json_decref(g);
    json_decref(failed);
}
