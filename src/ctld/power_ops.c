/* power_ops.c: scontrol power up|down [asap|force] NODELIST (node_power). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elastic_part.h"
#include "hostlist.h"
#include "log.h"
#include "power.h"

/* Check every node first: a request is applied whole or not at all. */
static int power_check(struct ctld *c, hostlist_t *hl, int up, char *why, size_t len)
{
    if (!c->power) {
        snprintf(why, len, "power saving is off: no CloudType is configured");
        return -1;
    }
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        if (!n) {
            snprintf(why, len, "Invalid node name specified: %s", hostlist_nth(hl, i));
            return -1;
        }
        if (!n->cfg->cloud) {
            snprintf(why, len, "node %s is not State=CLOUD: only cloud nodes are powered up "
                               "and down", n->name);
            return -1;
        }
        if (up && n->power == POWER_DOWN) {
            snprintf(why, len, "node %s is powering down: power it up once it is powered down",
                     n->name);
            return -1;
        }
    }
    return up ? elastic_power_up_check(c, hl, why, len) : 0;
}

/* force: its jobs end as on a node failure (requeued with --requeue or
 * retries; a job still waiting for the node goes back to the queue). */
static void power_down_force(struct ctld *c, struct node *n)
{
    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (job_is_pending(j) || job_is_terminal(j) || !j->nodes)
            continue;
        hostlist_t *hl = hostlist_expand(j->nodes, NULL);
        int on = hl && hostlist_find(hl, n->name) >= 0;
        hostlist_destroy(hl);
        if (!on)
            continue;
        if (j->state == JOB_STARTING && power_node_off(n)) {
            ctld_job_record_attempt(c, j, END_NODE_FAIL, "Powered down by an admin");
            ctld_job_requeue(c, j, "Powered down by an admin");
        } else {
            ctld_job_node_failed(c, j);
        }
    }
    if (n->power == POWER_ON || n->power == POWER_UP) {
        n->registered = 0;
        nodechan_detach(n);
        power_node_state(c, n, POWER_DOWN);
        n->power_sent = 1;
        power_cloud_suspend(c->power->pc, json_pack("{s:[o], s:s, s:s}", "nodes",
                                                    power_node_desc(n), "partition", "",
                                                    "all_nodes", n->name));
    }
}

static void power_apply(struct ctld *c, struct node *n, int up, const char *mode)
{
    if (up) {
        n->power_req = POWER_REQ_NONE;
        if (n->power == POWER_OFF)
            power_node_state(c, n, POWER_UP);
        else
            node_save(c, n);
        return;
    }
    if (strcmp(mode, "force") == 0) {
        n->power_req = POWER_REQ_NONE;
        power_down_force(c, n);
        return;
    }
    if (n->power == POWER_OFF || n->power == POWER_DOWN)
        return;
    n->power_req = strcmp(mode, "asap") == 0 ? POWER_REQ_ASAP : POWER_REQ_DOWN;
    node_save(c, n);
}

void op_node_power(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *expr = json_string_value(json_object_get(q, "nodes"));
    const char *action = json_string_value(json_object_get(q, "action"));
    const char *mode = json_string_value(json_object_get(q, "mode"));
    char why[512];
    mode = mode ? mode : "";
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator "
                                      "can power nodes up or down");
        return;
    }
    int up = action && strcmp(action, "up") == 0;
    if (!action || (!up && strcmp(action, "down") != 0) ||
        (*mode && (up || (strcmp(mode, "asap") != 0 && strcmp(mode, "force") != 0)))) {
        conn_error(conn, id, "EINVAL", "use: power up NODELIST, or power down [asap|force] "
                                       "NODELIST");
        return;
    }
    sl_error_t e;
    hostlist_t *hl = hostlist_expand(expr, &e);
    if (!hl) {
        conn_error(conn, id, "EINVAL", "Invalid node list '%s': %s", expr, e.text);
        return;
    }
    if (power_check(c, hl, up, why, sizeof(why)) < 0) {
        conn_error(conn, id, "EINVAL", "%s", why);
        hostlist_destroy(hl);
        return;
    }
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        log_info("node %s: power %s%s%s by uid %u", n->name, up ? "up" : "down", *mode ? " " : "",
                 mode, (unsigned)conn_uid(conn));
        power_apply(c, n, up, mode);
    }
    hostlist_destroy(hl);
    power_kick(c);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}
