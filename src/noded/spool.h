/* spool.h: files and directories under sluiced's SpoolDir. */
#ifndef SL_NODED_SPOOL_H
#define SL_NODED_SPOOL_H

#include <sys/types.h>
#include <jansson.h>
#include "error.h"

/* mkdir -p with mode for every directory it creates. */
int spool_mkdir_p(const char *path, mode_t mode, sl_error_t *e);

/* Remove a directory and what it holds (a job directory: no subdirectories
 * beyond one level are expected, but any depth is handled). */
int spool_remove(const char *path, sl_error_t *e);

/* Write json to dir/name atomically (temporary file + rename), mode for
 * the file. */
int spool_write_json(const char *dir, const char *name, json_t *o, mode_t mode, int durable,
                     sl_error_t *e);

/* Read dir/name; NULL if it does not exist or does not parse (e says which). */
json_t *spool_read_json(const char *dir, const char *name, sl_error_t *e);

#endif
