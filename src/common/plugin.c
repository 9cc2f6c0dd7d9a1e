#include "plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sl_plugin_handle {
    void *dl;
    const struct sl_plugin *desc;
};

/* "auth/munge" -> "auth_munge.so"; rejects names that could escape the dir. */
static int plugin_filename(const char *spec, const char *expect_type, char *out, size_t len,
                           sl_error_t *e)
{
    const char *slash = strchr(spec, '/');
    if (!slash || slash == spec || !slash[1] || strchr(slash + 1, '/'))
        return sl_errprintf(e, "plugin name '%s' is not of the form type/name", spec);
    size_t tlen = (size_t)(slash - spec);
    if (strlen(expect_type) != tlen || strncmp(spec, expect_type, tlen) != 0)
        return sl_errprintf(e, "plugin '%s' is not of type '%s'", spec, expect_type);
    for (const char *p = spec; *p; p++) {
        if (*p == '.')
            return sl_errprintf(e, "plugin name '%s' contains '.'", spec);
    }
    snprintf(out, len, "%.*s_%s.so", (int)tlen, spec, slash + 1);
    return 0;
}

static void *plugin_open(const char *plugin_dir, const char *file, char *tried, size_t tlen)
{
    char *dirs = strdup(plugin_dir ? plugin_dir : "");
    char *save = NULL, path[4096];
    void *dl = NULL;
    tried[0] = '\0';
    for (char *d = strtok_r(dirs, ":", &save); d && !dl; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof(path), "%s/%s", d, file);
        if (access(path, F_OK) != 0)
            continue;
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
            snprintf(tried, tlen, "%s", dlerror());
    }
    free(dirs);
    return dl;
}

sl_plugin_handle_t *plugin_load(const char *plugin_dir, const char *spec,
                                const char *expect_type, sl_error_t *e)
{
    char file[256], dlerr[512];
    if (plugin_filename(spec, expect_type, file, sizeof(file), e) < 0)
        return NULL;
    void *dl = plugin_open(plugin_dir, file, dlerr, sizeof(dlerr));
    if (!dl) {
        if (dlerr[0])
            sl_errprintf(e, "cannot load plugin %s: %s", spec, dlerr);
        else
            sl_errprintf(e, "plugin %s not found: no %s in PluginDir %s", spec, file,
                         plugin_dir ? plugin_dir : "(unset)");
        return NULL;
    }
    const struct sl_plugin *desc = dlsym(dl, "sluice_plugin");
    const char *name = strchr(spec, '/') + 1;
    if (!desc) {
        sl_errprintf(e, "%s is not a Sluice plugin (no sluice_plugin symbol)", file);
    } else if (desc->abi != SL_PLUGIN_ABI) {
        sl_errprintf(e, "plugin %s has ABI version %u, this program needs %u", spec, desc->abi,
                     SL_PLUGIN_ABI);
    } else if (!desc->type || strcmp(desc->type, expect_type) != 0 || !desc->name ||
               strcmp(desc->name, name) != 0 || !desc->ops) {
        sl_errprintf(e, "%s declares itself as %s/%s, expected %s", file,
                     desc->type ? desc->type : "?", desc->name ? desc->name : "?", spec);
    } else {
        sl_plugin_handle_t *h = calloc(1, sizeof(*h));
        if (h) {
            h->dl = dl;
            h->desc = desc;
            return h;
        }
        sl_errprintf(e, "out of memory");
    }
    dlclose(dl);
    return NULL;
}

const void *plugin_ops(const sl_plugin_handle_t *h)
{
    return h->desc->ops;
}

void plugin_unload(sl_plugin_handle_t *h)
{
    if (!h)
        return;
    dlclose(h->dl);
    free(h);
}
