/* auth_pool.h: credentials checked off the event loop.
 *
 * Checking a munge credential is a round trip to munged.  When munged is
 * busy (a thousand nodes booting at once, each asking it for a credential)
 * that round trip takes milliseconds, and a daemon that checked hellos on
 * its event loop served nobody meanwhile.  A pool runs the checks on a few
 * threads and hands each result back to the loop thread, in a callback. */
#ifndef SL_AUTH_POOL_H
#define SL_AUTH_POOL_H

#include <sys/types.h>
#include "auth.h"
#include "error.h"

struct event_base;
typedef struct sl_auth_pool sl_auth_pool_t;

/* On the loop thread.  cancelled: the pool is being destroyed and the
 * credential was not checked (only release what arg holds).  Otherwise ok
 * is 1 with uid/gid, or 0 with why set. */
typedef void (*auth_pool_done_fn)(void *arg, int cancelled, int ok, uid_t uid, gid_t gid,
                                  const char *why);

sl_auth_pool_t *auth_pool_create(struct event_base *base, sl_auth_t *auth, int threads,
                                 sl_error_t *e);
/* Stops the threads (each finishes the check it is in) and calls every
 * request not handed back yet with cancelled set. */
void auth_pool_destroy(sl_auth_pool_t *p);
/* Queues a check of cred (copied); done runs later on the loop thread,
 * never from within this call. */
int auth_pool_submit(sl_auth_pool_t *p, const char *cred, auth_pool_done_fn done, void *arg,
                     sl_error_t *e);

#endif
