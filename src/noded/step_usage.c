/* step_usage.c: sstat's step_usage (step_usage.h). */
#define _GNU_SOURCE
#include "step_usage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "jobs_impl.h"
#include "log.h"
#include "server.h"
#include "spool.h"

const struct field_spec step_usage_fields[] = {
    FIELD("node", FT_STR, F_REQUIRED),
    FIELD("job_id", FT_INT, F_REQUIRED, .min = 1, .max = INT32_MAX),
    FIELD("step_id", FT_INT, F_REQUIRED, .min = -1, .max = INT32_MAX),   /* -1: batch */
    FIELDS_END,
};

/* usage.json under the stepd's shared lock: the stepd rewrites it in place. */
static json_t *usage_read(const char *dir, sl_error_t *e)
{
    char path[PATH_MAX + 16], buf[16384];
    json_error_t je;
    ssize_t n;
    json_t *u;
    int fd;

    snprintf(path, sizeof(path), "%s/usage.json", dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        sl_errprintf(e, "no usage recorded yet");
        return NULL;
    }
    flock(fd, LOCK_SH);
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    flock(fd, LOCK_UN);
    close(fd);
    if (n <= 0) {
        sl_errprintf(e, "no usage recorded yet (first sample after JobAcctGatherFrequency)");
        return NULL;
    }
    buf[n] = '\0';
    if (!(u = json_loads(buf, 0, &je)))
        sl_errprintf(e, "usage.json: %s", je.text);
    return u;
}

/* The step's owner from its launch record: the only user, besides root and
 * the controller's, who may read its usage. */
static int owner_check(const char *dir, uid_t peer, uid_t ctld_uid, sl_error_t *e)
{
    json_t *rec = spool_read_json(dir, "launch.json", e);
    json_int_t uid = rec ? json_integer_value(json_object_get(rec, "uid")) : -1;
    json_decref(rec);
    if (!rec)
        return -1;
    if (peer == 0 || peer == ctld_uid || peer == getuid() || (json_int_t)peer == uid)
        return 0;
    return sl_errprintf(e, "Access/permission denied: the step belongs to uid %lld",
                        (long long)uid);
}

void step_usage_serve(struct step_server *s, sl_conn_t *conn, uint64_t id, json_t *body)
{
    const char *node = json_string_value(json_object_get(body, "node"));
    json_int_t job = json_integer_value(json_object_get(body, "job_id"));
    json_int_t step = json_integer_value(json_object_get(body, "step_id"));
    jobs_t *js = s->node_jobs(s->arg, node);
    char dir[PATH_MAX];
    sl_error_t e;
    json_t *u;

    if (!js) {
        conn_error(conn, id, "ENOENT", "node %s is not served here", node);
        return;
    }
    if (step < 0)
        snprintf(dir, sizeof(dir), "%s/job.%lld", js->spool, (long long)job);
    else
        snprintf(dir, sizeof(dir), "%s/job.%lld.step.%lld", js->spool, (long long)job,
                 (long long)step);
    if (access(dir, F_OK) < 0) {
        char label[32];
        if (step < 0)
            snprintf(label, sizeof(label), "batch");
        else
            snprintf(label, sizeof(label), "%lld", (long long)step);
        conn_error(conn, id, "ENOENT", "step %lld.%s is not running on node %s", (long long)job,
                   label, node);
        return;
    }
    if (owner_check(dir, conn_uid(conn), s->ctld_uid, &e) < 0) {
        conn_error(conn, id, "EPERM", "%s", e.text);
        return;
    }
    if (!(u = usage_read(dir, &e))) {
        conn_error(conn, id, "ENOENT", "node %s: %s", node, e.text);
        return;
    }
    conn_reply(conn, id, json_pack("{s:o}", "usage", u));
}
