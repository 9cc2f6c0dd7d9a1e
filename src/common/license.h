/* license.h: license lists, "name[:count][,...]" (Slurm's form; name*count
 * is read too), as the cluster's Licenses= and a job's -L give them. */
#ifndef SL_LICENSE_H
#define SL_LICENSE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct license {
    char *name;
    uint32_t count;
};

struct license_list {
    struct license *items;
    size_t n;
};

#define LICENSE_COUNT_MAX 1000000u

/* Parse text into l (emptied first); a name given twice adds up.  -1 with e
 * naming the bad item. */
int license_parse(const char *text, struct license_list *l, sl_error_t *e);
void license_list_free(struct license_list *l);   /* leaves it empty */
/* The entry named name, or NULL. */
const struct license *license_find(const struct license_list *l, const char *name);

#endif
