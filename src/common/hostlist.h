/* hostlist.h: Slurm-style host lists: "n[01-16],gpu[1,3-4],login". */
#ifndef SL_HOSTLIST_H
#define SL_HOSTLIST_H

#include <stddef.h>
#include "error.h"

/* Largest number of names one expression may expand to. */
#define HOSTLIST_MAX 1000000

typedef struct hostlist hostlist_t;

hostlist_t *hostlist_create(void);
void hostlist_destroy(hostlist_t *hl);   /* accepts NULL */

/* Parse an expression and append its names (duplicates kept, order kept).
 * Zero padding is honoured: "n[08-10]" -> n08 n09 n10.  Returns -1 with a
 * message naming the problem on malformed input. */
int hostlist_push(hostlist_t *hl, const char *expr, sl_error_t *e);
int hostlist_push_host(hostlist_t *hl, const char *name);

size_t hostlist_count(const hostlist_t *hl);
const char *hostlist_nth(const hostlist_t *hl, size_t i);
/* Index of name, or -1. */
long hostlist_find(const hostlist_t *hl, const char *name);
void hostlist_uniq(hostlist_t *hl);      /* sort and remove duplicates */

/* Compressed form, e.g. "n[1-3,5],login".  Keeps the list's order of
 * prefixes; malloc'd, caller frees. */
char *hostlist_ranged_string(const hostlist_t *hl);

/* Convenience: expand expr into a new list (NULL on error). */
hostlist_t *hostlist_expand(const char *expr, sl_error_t *e);
/* Convenience: compress a comma-separated or ranged expression. */
char *hostlist_compress(const char *expr, sl_error_t *e);

#endif
