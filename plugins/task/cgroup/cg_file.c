/* cg_file.c: reading and writing cgroupfs files (cg.h). */
#include "cg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "idset.h"

int cg_write(const char *dir, const char *file, const char *val, sl_error_t *e)
{
    char path[PATH_MAX];
    int fd, rc = 0;
    size_t len = strlen(val);

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    /* O_CREAT: a plain directory tree (the unit tests') lacks the files the
     * kernel makes; on cgroupfs they exist, or the open fails anyway. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_errprintf(e, "cannot open %s: %s", path, strerror(errno));
    if (write(fd, val, len) != (ssize_t)len) {
        int err = errno;
        rc = sl_errprintf(e, "cannot write '%s' to %s: %s", val, path, strerror(err));
        errno = err;    /* the caller may look at it (EBUSY) */
    }
    close(fd);
    return rc;
}

int cg_read(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

int cg_mkdir_p(const char *path, sl_error_t *e)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return sl_errprintf(e, "cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

/* Children first.  On cgroupfs a directory holding only control files goes
 * with rmdir; a plain directory tree (the unit tests') needs its files
 * unlinked, which cgroupfs would refuse anyway. */
void cg_rmdir_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        char sub[PATH_MAX];
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        if (de->d_type == DT_DIR)
            cg_rmdir_tree(sub);
    }
    closedir(d);
    if (rmdir(path) == 0 || errno != ENOTEMPTY)
        return;
    if ((d = opendir(path))) {
        while ((de = readdir(d))) {
            char sub[PATH_MAX];
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            if (de->d_type == DT_REG)
                (void)unlink(sub);
        }
        closedir(d);
    }
    (void)rmdir(path);
}

/* "4:memory:/a/b" (v1, ctrl in the comma list) or "0::/a/b" (v2, ctrl ""). */
int cg_self_path(const char *self_file, const char *ctrl, char *out, size_t len,
                 sl_error_t *e)
{
    FILE *f = fopen(self_file, "re");
    char line[4096];
    int found = 0;

    if (!f)
        return sl_errprintf(e, "cannot read %s: %s", self_file, strerror(errno));
    while (!found && fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        line[strcspn(line, "\n")] = '\0';
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        if (!*ctrl) {
            found = c1[1] == '\0';
        } else {
            char *save = NULL;
            for (char *w = strtok_r(c1 + 1, ",", &save); w && !found;
                 w = strtok_r(NULL, ",", &save))
                found = !strcmp(w, ctrl);
        }
        if (found)
            snprintf(out, len, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
    }
    fclose(f);
    if (!found)
        return sl_errprintf(e, "%s names no cgroup for %s", self_file, *ctrl ? ctrl : "v2");
    return 0;
}

size_t cg_procs(const char *dir, int **pids)
{
    char path[PATH_MAX];
    FILE *f;
    size_t n = 0, cap = 0;
    long pid;

    *pids = NULL;
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    if (!(f = fopen(path, "re")))
        return 0;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (n == cap) {
            int *p = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof(int));
            if (!p)
                break;
            *pids = p;
        }
        (*pids)[n++] = (int)pid;
    }
    fclose(f);
    return n;
}

int64_t cg_keyed(const char *dir, const char *file, const char *key)
{
    char path[PATH_MAX], k[64];
    long long v;
    int64_t out = -1;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (!(f = fopen(path, "re")))
        return -1;
    while (fscanf(f, "%63s %lld", k, &v) == 2) {
        if (!strcmp(k, key))
            out = v;
    }
    fclose(f);
    return out;
}

int cg_cpus_clip(const char *want, const char *have, char *out, size_t len)
{
    sl_error_t e;
    idset_t *w = idset_decode(want, 65536, NULL, &e);
    idset_t *h = idset_decode(have, 65536, NULL, &e);
    int rc = 0;

    snprintf(out, len, "%s", have);
    if (!w || !h) {
        rc = -1;
    } else {
        for (uint32_t id = idset_first(w); id != IDSET_NONE; id = idset_next(w, id)) {
            if (!idset_test(h, id)) {
                idset_clear(w, id);
                rc = 1;
            }
        }
        if (idset_count(w) == 0) {
            rc = -1;
        } else {
            char *s = idset_encode(w);
            if (s)
                snprintf(out, len, "%s", s);
            free(s);
        }
    }
    idset_destroy(w);
    idset_destroy(h);
    return rc;
}
