#include "auth.h"

#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "plugin.h"

struct sl_auth {
    sl_plugin_handle_t *plugin;
    const struct auth_ops *ops;
    char *socket;
};

sl_auth_t *auth_create(const struct conf *c, sl_error_t *e)
{
    sl_plugin_handle_t *h = plugin_load(c->plugin_dir, c->auth_type, "auth", e);
    if (!h)
        return NULL;
    sl_auth_t *a = calloc(1, sizeof(*a));
    if (!a) {
        plugin_unload(h);
        sl_errprintf(e, "out of memory");
        return NULL;
    }
    a->plugin = h;
    a->ops = plugin_ops(h);
    a->socket = c->auth_socket ? strdup(c->auth_socket) : NULL;
    return a;
}

void auth_destroy(sl_auth_t *a)
{
    if (!a)
        return;
    plugin_unload(a->plugin);
    free(a->socket);
    free(a);
}

char *auth_cred_create(sl_auth_t *a, sl_error_t *e)
{
    return a->ops->cred_create(a->socket, e);
}

int auth_cred_verify(sl_auth_t *a, const char *cred, uid_t *uid, gid_t *gid, sl_error_t *e)
{
    return a->ops->cred_verify(a->socket, cred, uid, gid, e);
}

char *auth_cred_create_payload(sl_auth_t *a, const void *payload, size_t len, sl_error_t *e)
{
    if (!a->ops->cred_create_payload) {
        sl_errprintf(e, "this auth plugin cannot sign a payload");
        return NULL;
    }
    return a->ops->cred_create_payload(a->socket, payload, len, e);
}

void *auth_cred_verify_payload(sl_auth_t *a, const char *cred, uid_t *uid, gid_t *gid,
                               size_t *len, sl_error_t *e)
{
    if (!a->ops->cred_verify_payload) {
        sl_errprintf(e, "this auth plugin cannot check a signed payload");
        return NULL;
    }
    return a->ops->cred_verify_payload(a->socket, cred, uid, gid, len, e);
}
