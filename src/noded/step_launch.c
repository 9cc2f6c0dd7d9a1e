/* step_launch.c: srun's step_launch (step_launch.h). */
#include "step_launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "auth.h"
#include "hostlist.h"
#include "jobs_impl.h"
#include "lease.h"
#include "log.h"
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

/* The launch record: the grant, then the request (without its
 * credential), then this node's place. */
static json_t *record_build(const struct step_server *s, json_t *g, json_t *body,
                            const char *node, int node_id)
{
    json_t *rec = json_deep_copy(g), *v;
    const char *k;

    json_object_foreach(body, k, v) {
        if (strcmp(k, "cred") != 0 && strcmp(k, "node") != 0)
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

int step_launch_serve(const struct step_server *s, uid_t peer, json_t *body,
                      const char **code, sl_error_t *e)
{
    const char *node = json_string_value(json_object_get(body, "node"));
    json_t *g, *rec;
    jobs_t *js;
    int idx, rc;

    *code = "EINVAL";
    if (!key_ok(json_string_value(json_object_get(body, "io_key"))))
        return sl_errprintf(e, "io_key must be 64 hexadecimal digits");
    if (json_array_size(json_object_get(body, "argv")) == 0 &&
        !json_is_string(json_object_get(body, "multi_prog")))
        return sl_errprintf(e, "step_launch without a command (argv is empty)");
    g = grant_open(s, json_string_value(json_object_get(body, "cred")), e);
    if (!g) {
        *code = "EPERM";
        return -1;
    }
    uid_t uid = (uid_t)json_integer_value(json_object_get(g, "uid"));
    if (peer != 0 && peer != uid) {
        json_decref(g);
        *code = "EPERM";
        return sl_errprintf(e, "the step's grant is for uid %ld, not for uid %ld", (long)uid,
                            (long)peer);
    }
    idx = grant_node_index(g, node);
    js = s->node_jobs(s->arg, node);
    if (idx < 0 || !js) {
        json_decref(g);
        return sl_errprintf(e, idx < 0 ? "node %s is not in the step's grant"
                                       : "node %s is not served here", node);
    }
    if (s->mock) {
        json_decref(g);
        return sl_errprintf(e, "node %s runs with MockExecution=yes: job steps cannot run", node);
    }
    if (!lease_held(js)) {
        json_decref(g);
        *code = "EAGAIN";
        return sl_errprintf(e, "node %s holds no lease from the controller (not registered, or "
                               "out of touch): no step starts", node);
    }
    if (job_check_here(js, g, node, e) < 0) {
        json_decref(g);
        *code = "ENOENT";
        return -1;
    }
    rec = record_build(s, g, body, node, idx);
    json_decref(g);
    rc = account_resolve(rec, node, e);
    if (rc == 0)
        rc = steps_launch(js, rec, e);
    json_decref(rec);
    return rc;
}
