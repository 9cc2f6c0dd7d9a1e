#define _GNU_SOURCE
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int spool_mkdir_p(const char *path, mode_t mode, sl_error_t *e)
{
    char buf[PATH_MAX];

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return sl_errprintf(e, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return sl_errprintf(e, "cannot create directory %s: %s", buf, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat sb;
    if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return sl_errprintf(e, "%s is not a directory", path);
    return 0;
}

static int remove_at(int parent, const char *name, sl_error_t *e)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (fd < 0)
        return unlinkat(parent, name, 0) < 0 && errno != ENOENT
                   ? sl_errprintf(e, "cannot remove %s: %s", name, strerror(errno))
                   : 0;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return sl_errprintf(e, "cannot read directory %s: %s", name, strerror(errno));
    }
    while ((de = readdir(d)) && rc == 0) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            rc = remove_at(dirfd(d), de->d_name, e);
    }
    closedir(d);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return sl_errprintf(e, "cannot remove directory %s: %s", name, strerror(errno));
    return rc;
}

int spool_remove(const char *path, sl_error_t *e)
{
    return remove_at(AT_FDCWD, path, e);
}

int spool_write_json(const char *dir, const char *name, json_t *o, mode_t mode, int durable,
                     sl_error_t *e)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    char *text = json_dumps(o, JSON_COMPACT);
    int fd, rc = 0;
    size_t len, off = 0;

    if (!text)
        return sl_errprintf(e, "cannot encode %s", name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        free(text);
        return sl_errprintf(e, "cannot create %s: %s", tmp, strerror(errno));
    }
    len = strlen(text);
    while (off < len && rc == 0) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno != EINTR)
            rc = sl_errprintf(e, "cannot write %s: %s", tmp, strerror(errno));
        else if (n > 0)
            off += (size_t)n;
    }
    /* A launch record matters only while the node stays up: if the node
     * loses power the job is lost with it and the controller settles that
     * (requeue or NODE_FAIL), so it skips the fsync.  Results are durable. */
    if (rc == 0 && durable && fsync(fd) < 0)
        rc = sl_errprintf(e, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    free(text);
    if (rc == 0 && rename(tmp, dst) < 0)
        rc = sl_errprintf(e, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    return rc;
}

json_t *spool_read_json(const char *dir, const char *name, sl_error_t *e)
{
    char path[PATH_MAX];
    json_error_t je;
    json_t *o;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    o = json_load_file(path, 0, &je);
    if (!o) {
        sl_errprintf(e, "cannot read %s: %s", path, je.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        sl_errprintf(e, "%s does not hold a JSON object", path);
        return NULL;
    }
    return o;
}
