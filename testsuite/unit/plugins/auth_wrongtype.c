/* Test plugin for the loader's checks (wrongtype). */
#include "plugin.h"
static const int ops = 1;
const struct sl_plugin sluice_plugin = { "sched", "wrongtype", SL_PLUGIN_ABI, &ops };
