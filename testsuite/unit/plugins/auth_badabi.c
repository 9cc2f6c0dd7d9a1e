/* Test plugin for the loader's checks (badabi). */
#include "plugin.h"
static const int ops = 1;
const struct sl_plugin sluice_plugin = { "auth", "badabi", 99, &ops };
