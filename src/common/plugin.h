/* plugin.h: plugins are shared objects named TYPE_NAME.so ("auth/munge" ->
 * auth_munge.so) found in PluginDir (colon-separated).  Each exports one
 * symbol "sluice_plugin" of type struct sl_plugin. */
#ifndef SL_PLUGIN_H
#define SL_PLUGIN_H

#include "error.h"

#define SL_PLUGIN_ABI 1

struct sl_plugin {
    const char *type;       /* "auth" */
    const char *name;       /* "munge" */
    unsigned abi;           /* SL_PLUGIN_ABI when built */
    const void *ops;        /* the type's ops table */
};

typedef struct sl_plugin_handle sl_plugin_handle_t;

/* Load "type/name" (e.g. "auth/munge") and check its type and ABI.
 * expect_type must match the part before '/'. */
sl_plugin_handle_t *plugin_load(const char *plugin_dir, const char *spec,
                                const char *expect_type, sl_error_t *e);
const void *plugin_ops(const sl_plugin_handle_t *h);
void plugin_unload(sl_plugin_handle_t *h);   /* accepts NULL */

#endif
