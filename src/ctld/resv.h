/* resv.h: advance reservations inside the controller, shared by resv.c
 * (the reservation set, its rules for jobs and nodes), resv_ops.c (create,
 * update, delete, list) and resv_flags.c (Slurm's Flags= words). */
#ifndef CTLD_RESV_H
#define CTLD_RESV_H

#include <stdint.h>
#include <jansson.h>
#include "ctld.h"
#include "hostlist.h"

/* The flags that mean something here (doc/scheduling.md, Reservations). */
enum {
    RESV_MAINT = 1u << 0,        /* may overlap other reservations; "Reserved for maintenance" */
    RESV_OVERLAP = 1u << 1,      /* may overlap other reservations */
    RESV_IGNORE_JOBS = 1u << 2,  /* created even where running jobs would run into it */
    RESV_DAILY = 1u << 3,        /* at its end, moves on a day (WEEKLY: a week) */
    RESV_WEEKLY = 1u << 4,
};

struct resv {
    char *name, *nodes, *users;    /* users: comma list of user names */
    int64_t start, end;
    unsigned flags;
    hostlist_t *hl;
    struct resv *next;
};

struct resv *resv_find(struct ctld *c, const char *name);
void resv_free(struct resv *r);
/* From a record (the database's, a create's); NULL with e set. */
struct resv *resv_from(struct ctld *c, json_t *rec, sl_error_t *e);
json_t *resv_record(const struct resv *r);
/* Could r be put in place (replacing old, which may be NULL)?  Its times,
 * its overlap with other reservations (MAINT/OVERLAP allow it) and running
 * jobs that would still run at its start (IGNORE_JOBS allows them). */
int resv_admissible(struct ctld *c, const struct resv *r, const struct resv *old,
                    sl_error_t *e);
void resv_remove(struct ctld *c, struct resv *gone);
void resv_expire(struct ctld *c);

/* resv_flags.c.  "MAINT,DAILY" -> bits; an unknown or unsupported word is
 * refused by name.  Text in Slurm's order, with SPEC_NODES (a reservation
 * here always names its nodes), as scontrol show res prints it. */
int resv_flags_parse(const char *s, unsigned *out, sl_error_t *e);
void resv_flags_text(unsigned flags, char *buf, size_t len);

#endif
