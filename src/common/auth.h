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
    /* A credential carrying a payload (a job step's grant: doc/protocol.md,
     * "Job steps").  malloc'd. */
    char *(*cred_create_payload)(const char *socket, const void *payload, size_t len,
                                 sl_error_t *e);
    /* Check it and return its payload (malloc'd, NUL-terminated; *len
     * without the NUL) with the uid/gid of its maker.  A credential
     * already seen is accepted: one grant goes to every node of a step,
     * and several nodes may share one munged. */
    void *(*cred_verify_payload)(const char *socket, const char *cred, uid_t *uid,
                                 gid_t *gid, size_t *len, sl_error_t *e);
};

typedef struct sl_auth sl_auth_t;
struct conf;

/* Load conf's AuthType from PluginDir. */
sl_auth_t *auth_create(const struct conf *c, sl_error_t *e);
void auth_destroy(sl_auth_t *a);
char *auth_cred_create(sl_auth_t *a, sl_error_t *e);
int auth_cred_verify(sl_auth_t *a, const char *cred, uid_t *uid, gid_t *gid, sl_error_t *e);
char *auth_cred_create_payload(sl_auth_t *a, const void *payload, size_t len, sl_error_t *e);
void *auth_cred_verify_payload(sl_auth_t *a, const char *cred, uid_t *uid, gid_t *gid,
                               size_t *len, sl_error_t *e);

#endif
