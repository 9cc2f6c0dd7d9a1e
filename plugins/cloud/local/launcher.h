/* launcher.h: cloud/local's instances, started from one session.
 *
 * Instances model other machines, so they should take only this machine's
 * spare CPU.  nice(1) alone does not do that where the kernel groups tasks
 * by session (autogroup, on by default in Debian): a session's tasks share
 * one scheduling group, and an instance spawned in a session of its own got
 * a whole group's weight, as much as the controller's.  So instances are
 * started by one launcher, a small bash loop in a session of its own whose
 * group runs at CloudLocalNice: a thousand booting instances weigh what one
 * niced group weighs.  The launcher is the instances' parent and collects
 * them when they end; it exits when the controller closes its pipe (also
 * when the controller is killed), leaving the instances running, as cloud
 * instances outlive their controller. */
#ifndef SL_CLOUD_LOCAL_LAUNCHER_H
#define SL_CLOUD_LOCAL_LAUNCHER_H

#include <stddef.h>
#include <sys/types.h>

struct launcher;

/* Nothing starts before the first instance; its errors go to log. */
struct launcher *launcher_create(int nice, const char *log);
/* Stops the launcher (not the instances). */
void launcher_destroy(struct launcher *ln);

/* What an instance runs: `sh -c SCRIPT DELAY SLUICED CONF NODE` with
 * SLUICE_FAKE_HW=hw, output appended to log.  Returns its pid, or -1 with
 * why set. */
struct instance_spec {
    const char *script, *delay, *sluiced, *conf, *node, *hw, *log;
};
pid_t launcher_start(struct launcher *ln, const struct instance_spec *s, char *why,
                     size_t len);

#endif
