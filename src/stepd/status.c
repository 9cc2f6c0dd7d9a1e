#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int status_write_file(const char *dir, const char *name, const char *data, size_t len,
                      mode_t mode, int durable, sl_error_t *e)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return sl_errprintf(e, "cannot create %s: %s", tmp, strerror(errno));
    if (write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return sl_errprintf(e, "cannot write %s: %s", tmp, strerror(err));
    }
    close(fd);
    if (rename(tmp, dst) < 0) {
        int err = errno;
        unlink(tmp);
        return sl_errprintf(e, "cannot rename %s to %s: %s", tmp, dst, strerror(err));
    }
    if (durable)
        fsync_dir(dir);
    return 0;
}

/* Paths in messages need not be UTF-8; JSON strings must be. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (!j) {
        char *copy = strdup(s);
        if (!copy)
            return NULL;
        for (char *p = copy; *p; p++) {
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        }
        j = json_string(copy);
        free(copy);
    }
    return j;
}

int status_write(const char *jobdir, const struct job_status *st, sl_error_t *e)
{
    json_t *o = json_pack("{s:I, s:i, s:i, s:I, s:I, s:b, s:b}",
                          "job_id", (json_int_t)st->job_id,
                          "exit_code", st->exit_code,
                          "exit_signal", st->exit_signal,
                          "start_time", (json_int_t)st->start_time,
                          "end_time", (json_int_t)st->end_time,
                          "timed_out", st->timed_out,
                          "cancelled", st->cancelled);
    char *text;
    int rc;

    if (!o)
        return sl_errprintf(e, "cannot build status record");
    if (st->failure[0])
        json_object_set_new(o, "failure", json_text(st->failure));
    if (st->fenced)
        json_object_set_new(o, "fenced", json_true());
    if (st->oom)
        json_object_set_new(o, "oom", json_true());
    if (st->usage)
        json_object_set(o, "usage", st->usage);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return sl_errprintf(e, "cannot encode status record");
    rc = status_write_file(jobdir, "status.json", text, strlen(text), 0600, 1, e);
    free(text);
    return rc;
}

int status_write_pid_file(const char *jobdir, const char *name, pid_t pid, sl_error_t *e)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
    return status_write_file(jobdir, name, buf, (size_t)n, 0644, 0, e);
}

int status_write_pid(const char *jobdir, pid_t pid, sl_error_t *e)
{
    return status_write_pid_file(jobdir, "stepd.pid", pid, e);
}
