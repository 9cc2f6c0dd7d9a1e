/* sacct.h: the accounting fields sacct can show. */
#ifndef SL_SACCT_H
#define SL_SACCT_H

#include <stdint.h>
#include "jobfmt.h"

struct sacct_ctx {
    int64_t now;
};

extern const struct jobfmt_field sacct_fields[];   /* ends with a NULL name */

#endif
