/* sinfo.h: sinfo's fields.  A row is a group of nodes that show alike:
 * {"part": partition record or null, "node": the first node record,
 *  "nodes": [node records]}. */
#ifndef SL_SINFO_H
#define SL_SINFO_H

#include <jansson.h>
#include "hostlist.h"
#include "jobfmt.h"

extern const struct jobfmt_field sinfo_fields[];   /* ends with a NULL name */

/* Whether names (an array of strings) holds name. */
int sinfo_name_in(const json_t *names, const char *name);
/* sinfo --json (sinfo_json.c): the nodes, filtered by -p parts and -n sel
 * (either NULL for all). */
int sinfo_json(const json_t *nodes, const json_t *parts, const hostlist_t *sel, int yaml);

/* sinfo --queues (sinfo_queue.c). */
struct sinfo_queue_opts {
    int noheader, longfmt;
    const char *format, *Format;
    const json_t *parts;    /* -p: queues feeding these partitions, or NULL */
};
int sinfo_queues(const struct sinfo_queue_opts *o);

/* -T (sinfo_resv.c): the reservations, as Slurm lists them. */
void sinfo_reservations(int noheader);

#endif
