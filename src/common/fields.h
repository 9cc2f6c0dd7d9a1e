/* fields.h: the type of every field an operation reads, declared next to the
 * operation table and checked by the server before the handler runs, so
 * that a handler never sees a string where it reads an array (a job_cancel
 * with "job_ids": "1,2" must not read as "no ids given, cancel everything").
 * See doc/protocol.md, "Field types". */
#ifndef SL_FIELDS_H
#define SL_FIELDS_H

#include <jansson.h>
#include "error.h"

enum field_type {
    FT_STR,      /* string */
    FT_INT,      /* integer, within [min, max] when min < max */
    FT_BOOL,     /* true or false */
    FT_OBJ,      /* any object */
    FT_STRMAP,   /* object whose values are strings */
    FT_STRS,     /* array of strings */
    FT_INTS,     /* array of integers, each within [min, max] when min < max */
    FT_JOBID,    /* integer job id or a string ("12", "12_3", "12_[1-3]") */
    FT_JOBIDS,   /* array of FT_JOBID */
    FT_OBJS,     /* array of objects (the handler checks their members) */
};

#define F_REQUIRED 0x1u   /* the body must hold it */
#define F_NULL     0x2u   /* null is accepted (as "unset") */

struct field_spec {
    const char *name;
    enum field_type type;
    unsigned flags;
    json_int_t min, max;
};

/* Table entries: FIELD("job_ids", FT_JOBIDS, .min = 1, .max = UINT32_MAX),
 * ..., FIELDS_END. */
#define FIELD(n, t, ...) { .name = (n), .type = (t), __VA_ARGS__ }
#define FIELDS_END { .name = NULL }

/* Check body against fields (ended by a { NULL } entry).  Unless open,
 * a field the table does not name is refused too.  On error, e names the
 * field and what it must be. */
int fields_check(const struct field_spec *fields, int open, json_t *body, sl_error_t *e);

#endif
