/* rlimit_list.c: see rlimit_list.h. */
#include "rlimit_list.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static const struct { const char *name; int res; } rlimit_names[RLIMIT_LIST_N] = {
    { "AS", RLIMIT_AS },           { "CORE", RLIMIT_CORE },   { "CPU", RLIMIT_CPU },
    { "DATA", RLIMIT_DATA },       { "FSIZE", RLIMIT_FSIZE }, { "MEMLOCK", RLIMIT_MEMLOCK },
    { "NOFILE", RLIMIT_NOFILE },   { "NPROC", RLIMIT_NPROC }, { "RSS", RLIMIT_RSS },
    { "STACK", RLIMIT_STACK },
};

const char *rlimit_list_name(size_t i)
{
    return i < RLIMIT_LIST_N ? rlimit_names[i].name : NULL;
}

int rlimit_list_res(size_t i)
{
    return i < RLIMIT_LIST_N ? rlimit_names[i].res : -1;
}

long rlimit_list_mask(const char *list, const char *what, sl_error_t *e)
{
    char *copy = strdup(list ? list : "ALL"), *save = NULL;
    long mask = 0;
    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        size_t i;
        if (!strcasecmp(it, "ALL")) {
            mask = RLIMIT_LIST_ALL;
            continue;
        }
        if (!strcasecmp(it, "NONE"))
            continue;
        for (i = 0; i < RLIMIT_LIST_N && strcasecmp(it, rlimit_names[i].name); i++)
            ;
        if (i == RLIMIT_LIST_N) {
            sl_errprintf(e, "Invalid %s specification: '%s': use ALL, NONE or AS, CORE, CPU, "
                            "DATA, FSIZE, MEMLOCK, NOFILE, NPROC, RSS, STACK", what, it);
            free(copy);
            return -1;
        }
        mask |= 1L << i;
    }
    free(copy);
    return mask;
}
