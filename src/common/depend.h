/* depend.h: job dependency expressions (sbatch -d/--dependency).
 *   after:ID[+MIN][:ID...]  afterany:ID  afterok:ID  afternotok:ID
 *   aftercorr:ID  singleton  sequential
 * "," between items means all must hold, "?" means any one.  An ID is a job
 * id or one array task ("123_4"). */
#ifndef SL_DEPEND_H
#define SL_DEPEND_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

#define DEPEND_MAX_IDS 20
#define DEPEND_WHOLE (-1)

enum dep_type {
    DEP_AFTER = 0, DEP_AFTERANY, DEP_AFTEROK, DEP_AFTERNOTOK, DEP_AFTERCORR,
    DEP_SINGLETON, DEP_SEQUENTIAL,
};

struct dep {
    enum dep_type type;
    uint32_t job_id;      /* 0 for singleton/sequential */
    int32_t task_id;      /* DEPEND_WHOLE, or one array task */
    uint32_t minutes;     /* after:ID+MIN */
};

struct deplist {
    struct dep *items;
    size_t n;
    int any;              /* '?' separated */
};

int depend_parse(const char *expr, struct deplist *out, sl_error_t *e);
void depend_free(struct deplist *d);
const char *depend_type_name(enum dep_type t);
/* The canonical text form, e.g. "afterok:12,afterany:13_4".  malloc'd. */
char *depend_format(const struct deplist *d);

#endif
