/* mailtype.h: --mail-type as Slurm reads it: a comma list of NONE, BEGIN,
 * END, FAIL, REQUEUE, ALL, INVALID_DEPEND, STAGE_OUT, TIME_LIMIT,
 * TIME_LIMIT_90, TIME_LIMIT_80, TIME_LIMIT_50, ARRAY_TASKS, as bits. */
#ifndef SL_MAILTYPE_H
#define SL_MAILTYPE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum {
    MAIL_BEGIN = 1u << 0,
    MAIL_END = 1u << 1,
    MAIL_FAIL = 1u << 2,
    MAIL_REQUEUE = 1u << 3,
    MAIL_TIME100 = 1u << 4,
    MAIL_TIME90 = 1u << 5,
    MAIL_TIME80 = 1u << 6,
    MAIL_TIME50 = 1u << 7,
    MAIL_ARRAY_TASKS = 1u << 8,
    MAIL_INVALID_DEPEND = 1u << 9,
    MAIL_STAGE_OUT = 1u << 10,   /* burst buffers: none here, never sent */
};
#define MAIL_TIME_ANY (MAIL_TIME100 | MAIL_TIME90 | MAIL_TIME80 | MAIL_TIME50)

/* "BEGIN,END" -> bits; "NONE" -> 0.  Case-insensitive, as Slurm. */
int mailtype_parse(const char *s, uint32_t *bits, sl_error_t *e);
/* Bits as scontrol shows MailType= ("BEGIN,END"; "NONE" for 0). */
char *mailtype_format(uint32_t bits, char *buf, size_t len);
/* One event's word in the mail subject, as Slurm's: "Began", "Ended",
 * "Failed", "Requeued", "Reached 90% of time limit"... */
const char *mailtype_event(uint32_t one);

#endif
