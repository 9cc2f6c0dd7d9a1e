/* rlimits.c: apply the propagated resource limits (see rlimits.h). */
#include "rlimits.h"

#include <stdlib.h>
#include <string.h>

static const struct { const char *name; int res; } names[] = {
    { "AS", RLIMIT_AS },         { "CORE", RLIMIT_CORE },   { "CPU", RLIMIT_CPU },
    { "DATA", RLIMIT_DATA },     { "FSIZE", RLIMIT_FSIZE }, { "MEMLOCK", RLIMIT_MEMLOCK },
    { "NOFILE", RLIMIT_NOFILE }, { "NPROC", RLIMIT_NPROC }, { "RSS", RLIMIT_RSS },
    { "STACK", RLIMIT_STACK },
};
#define PREFIX "SLURM_RLIMIT_"

/* One variable: 1 if it named a known limit with a valid value. */
static int rlimit_parse(const char *var, struct rlimits *r)
{
    const char *eq = strchr(var, '=');
    size_t plen = sizeof(PREFIX) - 1;
    if (!eq || r->n >= RLIMITS_MAX)
        return 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len = strlen(names[i].name);
        if ((size_t)(eq - var) != plen + len || strncmp(var + plen, names[i].name, len))
            continue;
        char *end;
        rlim_t v = strcmp(eq + 1, "unlimited") == 0 ? RLIM_INFINITY
                                                    : (rlim_t)strtoull(eq + 1, &end, 10);
        if (v != RLIM_INFINITY && (end == eq + 1 || *end))
            return 0;
        r->res[r->n] = names[i].res;
        r->val[r->n++] = v;
        return 1;
    }
    return 0;
}

void rlimits_take(char **env, struct rlimits *r)
{
    size_t out = 0;
    r->n = 0;
    for (size_t i = 0; env && env[i]; i++) {
        if (strncmp(env[i], PREFIX, sizeof(PREFIX) - 1) == 0) {
            rlimit_parse(env[i], r);
            free(env[i]);
            continue;
        }
        env[out++] = env[i];
    }
    if (env)
        env[out] = NULL;
}

void rlimits_apply(const struct rlimits *r)
{
    for (int i = 0; r && i < r->n; i++) {
        struct rlimit rl;
        if (getrlimit(r->res[i], &rl) < 0)
            continue;
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
                      (r->val[i] == RLIM_INFINITY || r->val[i] > rl.rlim_max)
                          ? rl.rlim_max : r->val[i];
        (void)setrlimit(r->res[i], &rl);
    }
}
