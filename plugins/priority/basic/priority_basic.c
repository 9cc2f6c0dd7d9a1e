/* priority/basic: submit order (queue priority comes first in every pass). */
#include <string.h>
#include "plugin.h"
#include "sched_api.h"

static uint32_t basic_priority(struct ctld *c, const struct job *j, struct prio_factors *f)
{
    memset(f, 0, sizeof(*f));
    f->nice = j->nice;
    return j->id < 4000000000u ? 4000000000u - j->id : 1;
}

static const struct priority_ops ops = { SCHED_API_ABI, basic_priority };

const struct sl_plugin sluice_plugin = { "priority", "basic", SL_PLUGIN_ABI, &ops };
