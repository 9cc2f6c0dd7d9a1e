/* auth/munge: credentials from munged.  The socket comes from AuthInfo. */
#include <munge.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "auth.h"
#include "plugin.h"

static munge_ctx_t munge_ctx_for(const char *socket, sl_error_t *e)
{
    munge_ctx_t ctx = munge_ctx_create();
    if (!ctx) {
        sl_errprintf(e, "cannot create munge context");
        return NULL;
    }
    if (socket && munge_ctx_set(ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS) {
        sl_errprintf(e, "cannot set munge socket %s: %s", socket, munge_ctx_strerror(ctx));
        munge_ctx_destroy(ctx);
        return NULL;
    }
    return ctx;
}

static char *munge_cred_create(const char *socket, sl_error_t *e)
{
    char *cred = NULL;
    munge_ctx_t ctx = munge_ctx_for(socket, e);
    if (!ctx)
        return NULL;
    munge_err_t err = munge_encode(&cred, ctx, NULL, 0);
    if (err != EMUNGE_SUCCESS) {
        sl_errprintf(e, "munge_encode failed (is munged running on %s?): %s",
                     socket ? socket : "the default socket", munge_ctx_strerror(ctx));
        free(cred);
        cred = NULL;
    }
    munge_ctx_destroy(ctx);
    return cred;
}

static int munge_cred_verify(const char *socket, const char *cred, uid_t *uid, gid_t *gid,
                             sl_error_t *e)
{
    munge_ctx_t ctx = munge_ctx_for(socket, e);
    if (!ctx)
        return -1;
    munge_err_t err = munge_decode(cred, ctx, NULL, NULL, uid, gid);
    int rc = 0;
    if (err != EMUNGE_SUCCESS)
        rc = sl_errprintf(e, "invalid munge credential: %s", munge_strerror(err));
    munge_ctx_destroy(ctx);
    return rc;
}

static const struct auth_ops ops = {
    .cred_create = munge_cred_create,
    .cred_verify = munge_cred_verify,
};

const struct sl_plugin sluice_plugin = {
    .type = "auth",
    .name = "munge",
    .abi = SL_PLUGIN_ABI,
    .ops = &ops,
};
