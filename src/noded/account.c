/* account.c: see account.h. */
#define _GNU_SOURCE
#include "account.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* getpwnam_r with a buffer that grows until the entry fits.  Returns the
 * buffer to free (NULL when the user is unknown or on error, with errno). */
static char *account_lookup(const char *user, struct passwd *pw)
{
    size_t len = 4096;

    for (;;) {
        struct passwd *hit = NULL;
        char *buf = malloc(len);
        if (!buf)
            return NULL;
        int rc = getpwnam_r(user, pw, buf, len, &hit);
        if (rc == 0 && hit)
            return buf;
        free(buf);
        if (rc != ERANGE || len >= (1u << 20)) {
            errno = rc;
            return NULL;
        }
        len *= 2;
    }
}

static int account_groups(json_t *rec, const char *user, gid_t gid, sl_error_t *e)
{
    int n = 64;

    for (;;) {
        gid_t *v = malloc((size_t)n * sizeof(*v));
        int want = n;
        if (!v)
            return sl_errprintf(e, "out of memory");
        if (getgrouplist(user, gid, v, &want) >= 0) {
            json_t *arr = json_array();
            for (int i = 0; i < want; i++)
                json_array_append_new(arr, json_integer((json_int_t)v[i]));
            free(v);
            json_object_set_new(rec, "groups", arr);
            return 0;
        }
        free(v);
        if (want <= n || want > 65536)
            return sl_errprintf(e, "cannot list the groups of user %s", user);
        n = want;
    }
}

int account_resolve(json_t *rec, const char *node_name, sl_error_t *e)
{
    uid_t me = getuid();
    json_t *uidv = json_object_get(rec, "uid"), *gidv = json_object_get(rec, "gid");
    const char *user = json_string_value(json_object_get(rec, "user"));
    struct passwd pw;
    char *buf;
    int rc = 0;

    if (!json_is_integer(uidv) || !json_is_integer(gidv) || !user)
        return sl_errprintf(e, "launch record without uid, gid or user");
    uid_t uid = (uid_t)json_integer_value(uidv);
    if (me != 0 && uid != me)
        return sl_errprintf(e, "sluiced on %s runs as uid %ld (not root) and cannot run jobs "
                               "of user %s", node_name, (long)me, user);
    buf = account_lookup(user, &pw);
    if (!buf) {
        /* Without root the job runs as sluiced's own user: HOME stays unset. */
        return me == 0 ? sl_errprintf(e, "user %s does not exist on node %s", user, node_name)
                       : 0;
    }
    if (pw.pw_uid != uid) {
        rc = sl_errprintf(e, "user %s has uid %ld on node %s, not %ld", user,
                          (long)pw.pw_uid, node_name, (long)uid);
    } else {
        json_object_set_new(rec, "home", json_string(pw.pw_dir));
        json_object_set_new(rec, "shell", json_string(pw.pw_shell));
        if (me == 0)
            rc = account_groups(rec, user, (gid_t)json_integer_value(gidv), e);
    }
    free(buf);
    return rc;
}
