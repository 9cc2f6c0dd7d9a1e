/* lease.c: the node lease file (lease.h). */
#define _GNU_SOURCE
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t lease_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int lease_write(const char *path, int64_t until_ns, sl_error_t *e)
{
    char tmp[PATH_MAX], buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld\n", (long long)until_ns);
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return sl_errprintf(e, "lease file name too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return sl_errprintf(e, "cannot create %s: %s", tmp, strerror(errno));
    if (write(fd, buf, (size_t)n) != n) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return sl_errprintf(e, "cannot write %s: %s", tmp, strerror(err));
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        return sl_errprintf(e, "cannot rename %s to %s: %s", tmp, path, strerror(err));
    }
    return 0;
}

int lease_expired(const char *path)
{
    int64_t until = lease_read(path);
    return !until || lease_now_ns() >= until;
}

int64_t lease_read(const char *path)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    char *end;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    errno = 0;
    long long until = strtoll(buf, &end, 10);
    return errno || end == buf || until < 0 ? 0 : (int64_t)until;
}
