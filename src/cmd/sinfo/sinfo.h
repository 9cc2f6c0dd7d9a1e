/* sinfo.h: sinfo's fields.  A row is a group of nodes that show alike:
 * {"part": partition record or null, "node": the first node record,
 *  "nodes": [node records]}. */
#ifndef SL_SINFO_H
#define SL_SINFO_H

#include "jobfmt.h"

extern const struct jobfmt_field sinfo_fields[];   /* ends with a NULL name */

#endif
