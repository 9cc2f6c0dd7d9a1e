/* auth.h: authentication plugins (auth/munge). */
#ifndef SL_AUTH_H
#define SL_AUTH_H

#include <sys/types.h>
#include "error.h"

struct auth_ops {
    /* Make a credential for the calling process's uid/gid.  malloc'd. */
    char *(*cred_create)(const char *socket, sl_error_t *e);
    /* Check a credential; fill the uid/gid it vouches for. */
    int (*cred_verify)(const char *socket, const char *cred, uid_t *uid, gid_t *gid,
                       sl_error_t *e);
};

typedef struct sl_auth sl_auth_t;
struct conf;

/* Load conf's AuthType from PluginDir. */
sl_auth_t *auth_create(const struct conf *c, sl_error_t *e);
void auth_destroy(sl_auth_t *a);
char *auth_cred_create(sl_auth_t *a, sl_error_t *e);
int auth_cred_verify(sl_auth_t *a, const char *cred, uid_t *uid, gid_t *gid, sl_error_t *e);

#endif
