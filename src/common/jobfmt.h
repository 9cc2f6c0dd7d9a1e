/* jobfmt.h: what the commands share for showing jobs, nodes and partitions:
 * Slurm's state names and codes, a column engine for the format strings of
 * squeue/sinfo (-o "%.18i %.9P"), squeue -O ("JobID,Name:20") and sacct
 * (--format "JobID,JobName%30"), and Key=Value records for scontrol.
 *
 * Each command declares its fields in a table of struct jobfmt_field; the
 * engine parses the user's format against it and prints rows of records. */
#ifndef SL_JOBFMT_H
#define SL_JOBFMT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"

/* "RUNNING" -> "R", ..., "?" for a name not known. */
const char *jobfmt_state_code(const char *slurm_state);
/* A state as users type it: "r", "Running", "PD", "pending" -> the long
 * name ("RUNNING"), or NULL if it names no state. */
const char *jobfmt_state_parse(const char *s);

/* Node state as sinfo shows it: "idle", "alloc", "drng", ... (long: "idle",
 * "allocated", "draining", ...), with '*' appended when not responding. */
char *jobfmt_node_state(const char *state, int responding, int longform, char *buf,
                        size_t len);

/* "HH:MM:SS", "D-HH:MM:SS" (sacct Elapsed, scontrol RunTime); negative
 * values as "UNLIMITED". */
char *jobfmt_hms(int64_t secs, char *buf, size_t len);

/* Values are formatted into buffers of this size. */
#define JOBFMT_VALMAX 8192

/* Write the field's value for rec into buf.  ctx is the command's own. */
typedef void (*jobfmt_get_fn)(const json_t *rec, const void *ctx, char *buf,
                              size_t len);

#define JOBFMT_AGGREGATE 0x1u   /* sinfo: summed over a group, not a group key */
/* sinfo: the group's least value with '+' when its members differ (Slurm's
 * "250+"), so not a group key, unless jobfmt_set_exact (sinfo -e). */
#define JOBFMT_MINPLUS 0x2u

struct jobfmt_field {
    const char *name;       /* -O / --format name, case-insensitive */
    char letter;            /* -o %letter; 0 if none */
    const char *header;
    int width;              /* width when the format gives none */
    int right;              /* right-aligned when the format gives no '.' */
    const char *key;        /* record key shown as is when get is NULL */
    jobfmt_get_fn get;
    unsigned flags;         /* JOBFMT_* */
};

enum jobfmt_style {
    JOBFMT_PERCENT,   /* "%.18i %-9P text %j": literal text kept */
    JOBFMT_NAMES,     /* "JobID,Name:20,State:.8": squeue -O */
    JOBFMT_SACCT,     /* "JobID,JobName%30": long values end in '+' */
};

typedef struct jobfmt jobfmt_t;

/* table ends with an entry whose name is NULL. */
jobfmt_t *jobfmt_parse(const char *spec, enum jobfmt_style style,
                       const struct jobfmt_field *table, sl_error_t *e);
void jobfmt_destroy(jobfmt_t *f);    /* accepts NULL */
/* Parsable output: no padding, values separated by sep, and ended by it
 * too when trailing (sacct -p; -P has no trailing separator). */
void jobfmt_set_parsable(jobfmt_t *f, const char *sep, int trailing);

void jobfmt_print_header(const jobfmt_t *f, FILE *out);
void jobfmt_print_row(const jobfmt_t *f, const json_t *rec, const void *ctx, FILE *out);
/* Rows that are not jansson objects (squeue's): fn fills every cell. */
typedef void (*jobfmt_cell_fn)(const struct jobfmt_field *fd, const void *row,
                               const void *ctx, char *buf, size_t len);
void jobfmt_print_cells(const jobfmt_t *f, jobfmt_cell_fn fn, const void *row,
                        const void *ctx, FILE *out);
/* The format's columns: how many, and the field of each. */
size_t jobfmt_ncols(const jobfmt_t *f);
const struct jobfmt_field *jobfmt_col_field(const jobfmt_t *f, size_t i);

/* Fields flagged JOBFMT_MINPLUS become group keys (sinfo -e). */
void jobfmt_set_exact(jobfmt_t *f, int exact);
/* The values of the fields not flagged JOBFMT_AGGREGATE (nor JOBFMT_MINPLUS
 * unless exact), joined: rows with equal keys fold into one (sinfo).
 * malloc'd. */
char *jobfmt_row_key(const jobfmt_t *f, const json_t *rec, const void *ctx);

/* A record value as text: strings as they are, numbers in decimal,
 * booleans as "1"/"0"; "" when absent or null. */
void jobfmt_value(const json_t *v, char *buf, size_t len);

/* Key=Value records (scontrol show).  Entries are printed on one line
 * until one flagged JOBFMT_KV_NEWLINE, which starts an indented line (unless
 * oneline: scontrol -o).  An
 * entry whose value comes out empty is left out. */
#define JOBFMT_KV_NEWLINE 0x1u
struct jobfmt_kv {
    const char *name;       /* "JobId" */
    const char *key;        /* record key when get is NULL ("(null)" if empty) */
    jobfmt_get_fn get;
    unsigned flags;
};
void jobfmt_print_kv(const struct jobfmt_kv *tab, size_t n, const json_t *rec,
                     const void *ctx, int oneline, FILE *out);

#endif
