/* conf_testing.c: the testing modes of sluice.conf (MockExecution,
 * NodesPerDaemon) and the switch that lets a daemon accept them.  They make
 * a cluster lie about running jobs, so a stray line in a production config
 * must stop the daemons instead of silently turning them into mocks. */
#include "conf.h"

#include <stdlib.h>
#include <string.h>

static int testing_enabled(void)
{
    const char *v = getenv(CONF_TESTING_ENV);
    return v && strcmp(v, "1") == 0;
}

int conf_testing_active(const conf_t *c)
{
    return c->mock_execution || c->nodes_per_daemon > 1;
}

int conf_testing_check(const conf_t *c, sl_error_t *e)
{
    if (!conf_testing_active(c) || testing_enabled())
        return 0;
    if (c->mock_execution)
        return sl_errprintf(e, "%s: MockExecution=yes is a testing mode (jobs are not run) and is refused: "
                               "start the daemon with %s=1 in its environment to enable "
                               "testing modes", c->path, CONF_TESTING_ENV);
    return sl_errprintf(e, "%s: NodesPerDaemon=%u is a testing mode and is refused: start the "
                           "daemon with %s=1 in its environment to enable testing modes",
                        c->path, c->nodes_per_daemon, CONF_TESTING_ENV);
}

void conf_testing_warn(const conf_t *c)
{
    if (c->mock_execution)
        log_warn("!!! MockExecution is enabled: jobs are NOT run; for benchmarks only !!!");
    if (c->nodes_per_daemon > 1)
        log_warn("!!! NodesPerDaemon=%u is enabled: one sluiced may stand for many nodes; "
                 "for benchmarks only !!!", c->nodes_per_daemon);
}
