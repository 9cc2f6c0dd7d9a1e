/* cmdsort.h: the -S sort specification of squeue and sinfo, as Slurm's:
 * [+|-]letter[,...], the letters of the command's -o format, ascending
 * unless '-'; sinfo's "#P" (the partitions as configured) keeps the order
 * the rows already have for that key. */
#ifndef SL_CMDSORT_H
#define SL_CMDSORT_H

#include <stddef.h>
#include "error.h"
#include "jobfmt.h"

#define CMD_SORT_MAX 64
#define CMD_SORT_VAL 64     /* a key's value is compared on its first 63 bytes */

struct cmd_sort {
    jobfmt_t *keys;             /* the letters as a format (their order); NULL: none */
    char desc[CMD_SORT_MAX];    /* 1 where that key sorts descending ('-') */
    char asis[CMD_SORT_MAX];    /* 1 where '#': that key never reorders */
};

/* Parse arg against the command's field table (hash: whether '#' is taken).
 * Replaces what s held.  -1 with e set when arg is no sort specification. */
int cmd_sort_parse(struct cmd_sort *s, const char *arg, const struct jobfmt_field *table,
                   int hash, sl_error_t *e);
void cmd_sort_free(struct cmd_sort *s);
/* Text, with runs of digits compared as numbers ("5:00" before "30:00",
 * "n2" before "n10"). */
int cmd_natural_cmp(const char *a, const char *b);
/* n rows, row i's key values at vals[i * nkeys + k]: fill order[] with the
 * row indexes sorted (ties keep their given order). */
void cmd_sort_order(const struct cmd_sort *s, char (*vals)[CMD_SORT_VAL], size_t n,
                    size_t *order);

#endif
