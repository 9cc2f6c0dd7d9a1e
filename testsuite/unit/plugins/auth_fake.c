/* A fake auth plugin for the credential pool's tests: "ok:UID:GID" is a
 * good credential, "slow:UID:GID" one that takes 20 ms to check (a busy
 * munged), anything else is refused. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "auth.h"
#include "plugin.h"

static char *fake_create(const char *socket, sl_error_t *e)
{
    snprintf(e->text, sizeof(e->text), "the fake plugin only checks");
    return NULL;
}

static int fake_verify(const char *socket, const char *cred, uid_t *uid, gid_t *gid,
                       sl_error_t *e)
{
    unsigned u, g;
    char kind[8];
    if (sscanf(cred, "%7[a-z]:%u:%u", kind, &u, &g) != 3
        || (strcmp(kind, "ok") != 0 && strcmp(kind, "slow") != 0)) {
        /* (test programs do not export libcommon's sl_errprintf to plugins) */
        snprintf(e->text, sizeof(e->text), "not a fake credential: '%s'", cred);
        return -1;
    }
    if (strcmp(kind, "slow") == 0)
        nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

static const struct auth_ops ops = { .cred_create = fake_create, .cred_verify = fake_verify };
const struct sl_plugin sluice_plugin = { "auth", "fake", SL_PLUGIN_ABI, &ops };
