/* fanout.h: a step's launch along a tree of nodes (TreeWidth; doc/protocol.md,
 * "srun <-> sluiced: step_launch").  srun splits the step's nodes into at
 * most TreeWidth subtrees and sends one step_launch to the first node of
 * each, with the rest of that subtree in "forward"; that node's sluiced
 * does the same with its list, so that nobody contacts more than TreeWidth
 * nodes and the depth grows with log(nodes). */
#ifndef SL_FANOUT_H
#define SL_FANOUT_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

#define FANOUT_DEFAULT_WIDTH 50

/* Split n nodes into k = min(n, width) contiguous subtrees whose sizes
 * differ by at most one (the larger first): subtree i is first[i] ..
 * first[i] + count[i] - 1.  first and count hold min(n, width) entries.
 * Returns k (0 when n is 0; a width of 0 counts as 1). */
size_t fanout_split(size_t n, size_t width, size_t *first, size_t *count);

/* One subtree's launch: send body (whose "forward" names the subtree's other
 * nodes) to host:port after a hello with cred, and wait up to timeout_s.
 * Blocking and free of shared state, so that one thread runs each subtree. */
struct fanout_send {
    const char *op;              /* the request: NULL for step_launch (file_bcast) */
    const char *name;            /* the subtree's first node */
    const char *host;
    int port;
    char *cred;                  /* the hello's credential (freed by fanout_send_clear) */
    json_t *body;                /* owned */
    int timeout_s;
    json_t *failed;              /* result: [{"node", "error"}], [] when all started */
};

void fanout_send_run(struct fanout_send *f);
void fanout_send_clear(struct fanout_send *f);

/* The bodies of the subtrees of nodes (an array of {"name", "host", "port"}),
 * made from base: "node" is the subtree's first, "forward" its others (absent
 * when none), "tree_width" width.  *count gets the number of subtrees; each
 * entry's name/host/port point into nodes.  NULL (e set) when out of memory or
 * when an entry lacks its name, host or port. */
struct fanout_send *fanout_plan(const json_t *base, const json_t *nodes, size_t width,
                                int timeout_s, size_t *count, sl_error_t *e);

/* Run every entry, one thread each, and wait for all; then the failures of
 * all the subtrees, appended to failed (an array). */
void fanout_run_all(struct fanout_send *sends, size_t count, json_t *failed);
void fanout_plan_free(struct fanout_send *sends, size_t count);

#endif
