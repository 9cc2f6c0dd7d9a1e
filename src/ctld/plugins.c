/* plugins.c: the scheduler and priority plugins named by the config.  A
 * reconfigure that names others loads them first and swaps only if both
 * load, so a bad name leaves the running ones in place. */
#include <stdlib.h>
#include "log.h"
#include "plugin.h"
#include "sched_api.h"

int ctld_plugins_load(struct ctld *c, const conf_t *conf, sl_error_t *e)
{
    sl_plugin_handle_t *sh = plugin_load(conf->plugin_dir, conf->scheduler_type, "sched", e);
    if (!sh)
        return -1;
    sl_plugin_handle_t *ph = plugin_load(conf->plugin_dir, conf->priority_type, "priority", e);
    if (!ph) {
        plugin_unload(sh);
        return -1;
    }
    const struct sched_ops *so = plugin_ops(sh);
    const struct priority_ops *po = plugin_ops(ph);
    if (so->api != SCHED_API_ABI || po->api != SCHED_API_ABI) {
        plugin_unload(sh);
        plugin_unload(ph);
        return sl_errprintf(e, "plugin %s or %s was built for another controller (API %u/%u, "
                               "need %u)", conf->scheduler_type, conf->priority_type, so->api,
                            po->api, SCHED_API_ABI);
    }
    ctld_plugins_unload(c);
    c->sched_h = sh;
    c->prio_h = ph;
    c->sched = so;
    c->prio = po;
    log_info("scheduler %s, priority %s", conf->scheduler_type, conf->priority_type);
    return 0;
}

void ctld_plugins_unload(struct ctld *c)
{
    plugin_unload(c->sched_h);
    plugin_unload(c->prio_h);
    c->sched_h = c->prio_h = NULL;
    c->sched = NULL;
    c->prio = NULL;
}
