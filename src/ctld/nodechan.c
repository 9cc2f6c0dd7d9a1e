/* nodechan.c: which nodes a node-channel connection serves.  Normally one
 * (one sluiced per node); with NodesPerDaemon > 1 (a testing mode) one
 * sluiced registers up to that many nodes on one connection, and its
 * messages name the node they are about.  Each node holds its own
 * reference on the connection; when it closes every node it served is
 * left to the normal NodeTimeout path, as for a lone node. */
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "log.h"

struct nodechan {
    struct node **nodes;
    size_t n, cap;
};

static void chan_closed(sl_conn_t *conn, void *arg)
{
    struct nodechan *ch = arg;

    for (size_t i = 0; ch && i < ch->n; i++) {
        struct node *n = ch->nodes[i];
        if (n->chan != conn)
            continue;
        log_warn("node %s disconnected", n->name);
        conn_release(n->chan);
        n->chan = NULL;
    }
    if (ch) {
        free(ch->nodes);
        free(ch);
    }
}

static struct nodechan *chan_get(sl_conn_t *conn)
{
    struct nodechan *ch = conn_data(conn);

    if (ch)
        return ch;
    ch = calloc(1, sizeof(*ch));
    if (ch)
        conn_set_data(conn, ch, chan_closed);
    return ch;
}

static int chan_add(struct nodechan *ch, struct node *n)
{
    if (ch->n == ch->cap) {
        size_t cap = ch->cap ? ch->cap * 2 : 4;
        struct node **v = realloc(ch->nodes, cap * sizeof(*v));
        if (!v)
            return -1;
        ch->nodes = v;
        ch->cap = cap;
    }
    ch->nodes[ch->n++] = n;
    return 0;
}

/* Forget n's connection.  A connection left serving nobody is closed (a
 * node registering anew from elsewhere replaces its old link). */
void nodechan_detach(struct node *n)
{
    sl_conn_t *conn = n->chan;
    struct nodechan *ch = conn ? conn_data(conn) : NULL;

    if (!conn)
        return;
    for (size_t i = 0; ch && i < ch->n; i++) {
        if (ch->nodes[i] == n) {
            ch->nodes[i] = ch->nodes[--ch->n];
            break;
        }
    }
    n->chan = NULL;
    if (!ch || ch->n == 0) {
        conn_set_data(conn, NULL, NULL);
        if (ch) {
            free(ch->nodes);
            free(ch);
        }
        conn_close(conn);
    }
    conn_release(conn);
}

int nodechan_attach(struct ctld *c, sl_conn_t *conn, struct node *n, sl_error_t *e)
{
    struct nodechan *ch = conn_data(conn);
    size_t others = 0;

    for (size_t i = 0; ch && i < ch->n; i++)
        others += ch->nodes[i] != n;
    if (others >= c->conf->nodes_per_daemon) {
        if (c->conf->nodes_per_daemon <= 1)
            return sl_errprintf(e, "node %s: this connection already serves node %s; one "
                                   "connection may serve several nodes only with "
                                   "NodesPerDaemon > 1 (a testing mode)", n->name,
                                ch->nodes[0]->name);
        return sl_errprintf(e, "node %s: this connection already serves %zu nodes "
                               "(NodesPerDaemon=%u)", n->name, others,
                            c->conf->nodes_per_daemon);
    }
    if (n->chan == conn)
        return 0;
    if (n->chan)
        nodechan_detach(n);
    if (!(ch = chan_get(conn)) || chan_add(ch, n) < 0)
        return sl_errprintf(e, "out of memory");
    n->chan = conn_hold(conn);
    return 0;
}

/* The node a message on conn is about: its "node" field, else the only
 * node the connection serves.  NULL (and an error reply) otherwise. */
struct node *nodechan_node(sl_conn_t *conn, uint64_t id, json_t *q)
{
    struct nodechan *ch = conn_data(conn);
    const char *name = json_string_value(json_object_get(q, "node"));

    for (size_t i = 0; ch && i < ch->n; i++) {
        struct node *n = ch->nodes[i];
        if (n->chan == conn && (name ? strcmp(n->name, name) == 0 : ch->n == 1))
            return n;
    }
    if (name)
        conn_error(conn, id, "EPROTO", "node %s is not registered on this connection", name);
    else if (ch && ch->n > 1)
        conn_error(conn, id, "EPROTO", "this connection serves %zu nodes: say which (\"node\")",
                   ch->n);
    else
        conn_error(conn, id, "EPROTO", "register the node first");
    return NULL;
}

/* Every node conn serves (a heartbeat speaks for all of them). */
size_t nodechan_nodes(sl_conn_t *conn, struct node ***out)
{
    struct nodechan *ch = conn_data(conn);

    *out = ch ? ch->nodes : NULL;
    return ch ? ch->n : 0;
}
