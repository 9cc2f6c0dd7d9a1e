/* idset.h: sets of small non-negative integers, as array task indices are:
 * "0-15", "1,3,5-7", "0-15:4", with an optional "%N" throttle. */
#ifndef SL_IDSET_H
#define SL_IDSET_H

#include <stdint.h>
#include "error.h"

#define IDSET_NONE UINT32_MAX

typedef struct idset idset_t;

/* An empty set that can hold ids 0..size-1. */
idset_t *idset_create(uint32_t size);
void idset_destroy(idset_t *s);   /* accepts NULL */
idset_t *idset_copy(const idset_t *s);

/* Parse an --array expression.  Every id must be below limit (MaxArraySize);
 * throttle (may be NULL) gets the "%N" value or 0. */
idset_t *idset_decode(const char *expr, uint32_t limit, uint32_t *throttle, sl_error_t *e);
/* "1-3,5,7-9"; "" for an empty set.  malloc'd. */
char *idset_encode(const idset_t *s);

void idset_set(idset_t *s, uint32_t id);
void idset_clear(idset_t *s, uint32_t id);
int idset_test(const idset_t *s, uint32_t id);
uint32_t idset_count(const idset_t *s);
uint32_t idset_size(const idset_t *s);
uint32_t idset_first(const idset_t *s);             /* IDSET_NONE if empty */
uint32_t idset_next(const idset_t *s, uint32_t id); /* first member > id */
uint32_t idset_last(const idset_t *s);

#endif
