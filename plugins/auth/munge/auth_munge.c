/* auth/munge: credentials from munged.  The socket comes from AuthInfo. */
#include <munge.h>
#include <limits.h>
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

static char *munge_cred_create_payload(const char *socket, const void *payload, size_t len,
                                       sl_error_t *e)
{
    char *cred = NULL;
    if (len > (size_t)INT_MAX) {
        sl_errprintf(e, "payload of %zu bytes is too large for a munge credential", len);
        return NULL;
    }
    munge_ctx_t ctx = munge_ctx_for(socket, e);
    if (!ctx)
        return NULL;
    munge_err_t err = munge_encode(&cred, ctx, payload, (int)len);
    if (err != EMUNGE_SUCCESS) {
        sl_errprintf(e, "munge_encode failed: %s", munge_ctx_strerror(ctx));
        free(cred);
        cred = NULL;
    }
    munge_ctx_destroy(ctx);
    return cred;
}

/* A replayed credential is accepted: the same grant is shown to every node
 * of a step, and nodes may share a munged (several nodes on one host). */
static void *munge_cred_verify_payload(const char *socket, const char *cred, uid_t *uid,
                                       gid_t *gid, size_t *len, sl_error_t *e)
{
    munge_ctx_t ctx = munge_ctx_for(socket, e);
    if (!ctx)
        return NULL;
    void *buf = NULL;
    int n = 0;
    munge_err_t err = munge_decode(cred, ctx, &buf, &n, uid, gid);
    munge_ctx_destroy(ctx);
    if (err != EMUNGE_SUCCESS && err != EMUNGE_CRED_REPLAYED) {
        free(buf);
        sl_errprintf(e, "invalid munge credential: %s", munge_strerror(err));
        return NULL;
    }
    char *out = malloc((size_t)n + 1);
    if (!out) {
        free(buf);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    if (n > 0)
        memcpy(out, buf, (size_t)n);
    out[n] = '\0';
    free(buf);
    *len = (size_t)n;
    return out;
}

static const struct auth_ops ops = {
    .cred_create = munge_cred_create,
    .cred_verify = munge_cred_verify,
    .cred_create_payload = munge_cred_create_payload,
    .cred_verify_payload = munge_cred_verify_payload,
};

const struct sl_plugin sluice_plugin = {
    .type = "auth",
    .name = "munge",
    .abi = SL_PLUGIN_ABI,
    .ops = &ops,
};
