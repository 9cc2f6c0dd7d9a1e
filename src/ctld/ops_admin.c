/* ops_admin.c: nodes, partitions, configuration, reconfigure, ping. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"
#include "elastic_part.h"
#include "hostlist.h"
#include "log.h"
#include "power.h"
#include "queue.h"

void op_ping(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    conn_reply(conn, id, json_pack("{s:s, s:I, s:s}", "cluster", c->conf->cluster_name, "time",
                                   (json_int_t)ctld_now(), "version", PACKAGE_VERSION));
}

/* Resolve a node expression; NULL with an error sent if a name is unknown. */
static hostlist_t *nodes_resolve(struct ctld *c, sl_conn_t *conn, uint64_t id, const char *expr)
{
    sl_error_t e;
    hostlist_t *hl = hostlist_expand(expr, &e);
    if (!hl) {
        conn_error(conn, id, "EINVAL", "Invalid node list '%s': %s", expr, e.text);
        return NULL;
    }
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        if (!node_find(c, hostlist_nth(hl, i))) {
            conn_error(conn, id, "ENOENT", "Invalid node name specified: %s",
                       hostlist_nth(hl, i));
            hostlist_destroy(hl);
            return NULL;
        }
    }
    return hl;
}

void op_node_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *expr = json_string_value(json_object_get(q, "nodes"));
    json_t *nodes = json_array();
    hostlist_t *hl = NULL;
    if (expr && !(hl = nodes_resolve(c, conn, id, expr))) {
        json_decref(nodes);
        return;
    }
    for (size_t i = 0; i < c->nnodes; i++) {
        if (!hl || hostlist_find(hl, c->nodes[i]->name) >= 0)
            json_array_append_new(nodes, node_to_json(c, c->nodes[i]));
    }
    hostlist_destroy(hl);
    conn_reply(conn, id, json_pack("{s:o}", "nodes", nodes));
}

void op_node_update(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *expr = json_string_value(json_object_get(q, "nodes"));
    const char *state = json_string_value(json_object_get(q, "state"));
    const char *reason = json_string_value(json_object_get(q, "reason"));
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator "
                                      "can change nodes");
        return;
    }
    if (!expr || !state) {
        conn_error(conn, id, "EINVAL", "node_update needs nodes and state");
        return;
    }
    int drain = strcasecmp(state, "DRAIN") == 0, down = strcasecmp(state, "DOWN") == 0;
    int resume = strcasecmp(state, "RESUME") == 0 || strcasecmp(state, "IDLE") == 0;
    if (!drain && !down && !resume) {
        conn_error(conn, id, "EINVAL", "Invalid node state '%s': use DRAIN, DOWN or RESUME",
                   state);
        return;
    }
    if ((drain || down) && (!reason || !*reason)) {
        conn_error(conn, id, "EINVAL", "You must specify a reason when setting a node to %s",
                   drain ? "DRAIN" : "DOWN");
        return;
    }
    hostlist_t *hl = nodes_resolve(c, conn, id, expr);
    if (!hl)
        return;
    for (size_t i = 0; i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        n->drain = drain;
        n->down = down;
        job_set_str(&n->reason, resume ? NULL : reason);
        n->reason_time = resume ? 0 : ctld_now();
        n->reason_uid = resume ? 0 : (int32_t)conn_uid(conn);
        node_save(c, n);
        log_info("node %s set to %s by uid %u", n->name, state, (unsigned)conn_uid(conn));
    }
    hostlist_destroy(hl);
    ctld_sched_request(c);
    ctld_reply_later(c, conn, id, json_object());
}

void op_part_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *parts = json_array();
    for (size_t i = 0; i < c->conf->nparts; i++) {
        const struct conf_partition *p = &c->conf->parts[i];
        json_t *names = json_array();
        json_int_t cpus = 0;
        for (size_t k = 0; k < p->nnodes; k++) {
            const struct conf_node *cfg = conf_part_node(c->conf, p, k);
            json_array_append_new(names, json_string(p->nodes[k]));
            cpus += cfg->cpus;
        }
        json_array_append_new(parts, json_pack(
            "{s:s, s:s, s:b, s:I, s:I, s:i, s:s, s:o, s:i, s:I, s:i}", "name", p->name,
            "state", part_state_name(p->state), "default", p->is_default, "max_time",
            (json_int_t)p->max_time, "default_time", (json_int_t)p->default_time, "max_nodes",
            (int)p->max_nodes, "nodes", p->nodes_expr ? p->nodes_expr : "", "node_names",
            names, "total_nodes", (int)p->nnodes, "total_cpus", cpus, "priority_tier",
            (int)p->priority_tier));
        json_object_set_new(json_array_get(parts, json_array_size(parts) - 1),
                            "max_cpus_per_node", json_integer(p->max_cpus_per_node));
        elastic_part_json(c, p, json_array_get(parts, json_array_size(parts) - 1));
    }
    conn_reply(conn, id, json_pack("{s:o}", "partitions", parts));
}

void op_config_show(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    conn_reply(conn, id, json_pack("{s:o}", "config", conf_to_json(c->conf)));
}

/* Load the file again; on any error keep the old configuration. */
int ctld_reconfigure(struct ctld *c, sl_error_t *e)
{
    conf_t *nc = conf_load(c->conf_path, e);
    if (!nc)
        return -1;
    /* Nodes learn their heartbeat when they register: one not below the
     * new NodeTimeout would mark every healthy node DOWN. */
    if (nc->node_timeout > 0 && nc->node_timeout <= c->conf->heartbeat_interval) {
        int hb = c->conf->heartbeat_interval, nt = nc->node_timeout;
        conf_destroy(nc);
        return sl_errprintf(e, "NodeTimeout=%d is not above the %d s heartbeat the registered "
                               "nodes use (they learn it when they register): restart the "
                               "controller to lower NodeTimeout that far", nt, hb);
    }
    if (conf_testing_check(nc, e) < 0) {
        conf_destroy(nc);
        return -1;
    }
    if (!conf_testing_active(c->conf))
        conf_testing_warn(nc);
    if (nc->controller_port != c->conf->controller_port ||
        strcmp(nc->controller_host, c->conf->controller_host) != 0 ||
        strcmp(nc->state_save_location, c->conf->state_save_location) != 0) {
        conf_destroy(nc);
        return sl_errprintf(e, "ControllerHost, ControllerPort and StateSaveLocation cannot "
                               "change without a restart");
    }
    if (power_reconfigure_check(c, nc, e) < 0 || ctld_plugins_load(c, nc, e) < 0) {
        conf_destroy(nc);
        return -1;
    }
    node_reconfigure(c, nc, e);
    conf_destroy(c->conf);
    c->conf = nc;
    for (size_t i = 0; i < c->nnodes; i++) {   /* a new Gres= or CPUs= may (un)drain */
        struct node *n = c->nodes[i];
        int was = n->drain;
        node_hw_check(c, n);
        if (was != n->drain)
            node_save(c, n);
    }
    server_set_max_conns(c->server, nc->max_connections);
    policies_overlay(c);
    queues_teardown(c);
    queues_setup(c, e);
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!job_is_pending(j))
            job_alloc_nodes(c, j);
    }
    assoc_enforce_warn(c);
    log_info("configuration reloaded from %s", c->conf_path);
    ctld_sched_request(c);
    return 0;
}

void op_reconfigure(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    if (!ctld_is_admin(c, conn_uid(conn))) {
        conn_error(conn, id, "EPERM", "Access/permission denied: only root or an operator can "
                                      "reconfigure");
        return;
    }
    if (ctld_reconfigure(c, &e) < 0) {
        log_error("reconfigure refused: %s", e.text);
        conn_error(conn, id, "EINVAL", "new configuration refused, the old one stays: %s",
                   e.text);
        return;
    }
    conn_reply(conn, id, json_object());
}
