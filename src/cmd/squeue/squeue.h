/* squeue.h: the job fields squeue can show. */
#ifndef SL_SQUEUE_H
#define SL_SQUEUE_H

#include <stdint.h>
#include "jobfmt.h"

struct squeue_ctx {
    int64_t now;    /* one clock for every row */
};

/* Ends with a NULL name. */
extern const struct jobfmt_field squeue_fields[];

#endif
