/* jobspec.h: the limits of a job spec (doc/protocol.md, "Job spec"),
 * checked by sbatch before it sends one and by the controller, the
 * authority, on every job_submit: text is UTF-8 without NUL bytes, each
 * string has a length limit, and the environment and arguments fit what
 * Linux's execve accepts whatever the node's stack limit (a job that could
 * never start is refused at submit, not at launch). */
#ifndef SL_JOBSPEC_H
#define SL_JOBSPEC_H

#include <jansson.h>
#include <stddef.h>
#include "error.h"

#define JOBSPEC_NAME_MAX 1024u             /* names and free text (as Slurm) */
#define JOBSPEC_PATH_MAX 4096u             /* paths (PATH_MAX, as Slurm) */
#define JOBSPEC_SCRIPT_MAX (4u << 20)      /* Slurm's default max_script_size */
#define JOBSPEC_EXEC_STR_MAX (128u * 1024) /* MAX_ARG_STRLEN, with the NUL */
#define JOBSPEC_EXEC_MAX (6u << 20)        /* strings + pointers: 3/4 of _STK_LIM */

/* Offset of the first byte of s[0, len) that does not begin or continue a
 * valid UTF-8 sequence (overlong forms and surrogates included), or -1. */
long utf8_invalid_at(const char *s, size_t len);

/* NULL when s is valid UTF-8; else fill e with "WHAT is not valid UTF-8
 * (byte 0xE9 at offset 3)..." and return e's text. */
const char *utf8_check(const char *s, const char *what, sl_error_t *e);

/* s (len bytes) for a message: bytes that are not printable UTF-8 as \xHH,
 * cut with "..." to fit out. */
void text_escape(const char *s, size_t len, char *out, size_t outlen);

/* 0, or -1 with e naming the field, its option and the limit. */
int jobspec_check(const json_t *spec, sl_error_t *e);

#endif
