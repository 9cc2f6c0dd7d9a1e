/* Test plugin for the loader's checks (good). */
#include "plugin.h"
static const int ops = 1;
const struct sl_plugin sluice_plugin = { "auth", "good", SL_PLUGIN_ABI, &ops };
