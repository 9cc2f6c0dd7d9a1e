/* sacct.h: the accounting fields sacct can show. */
#ifndef SL_SACCT_H
#define SL_SACCT_H

#include <stdint.h>
#include "jobfmt.h"

struct sacct_ctx {
    int64_t now;
    char units;     /* --units: one of KMGTP, 0 for Slurm's exact scaling */
};

extern const struct jobfmt_field sacct_fields[];   /* ends with a NULL name */

/* Seconds from start to end (now while running), 0 before the start. */
int64_t sacct_elapsed(const json_t *r, const void *ctx);

/* sacct_json.c: print jobs (acct_query records) as Slurm 22.05's
 * sacct --json does. */
void sacct_json(json_t *jobs, int64_t now, int yaml);

/* The highest exit code and signal of the job's steps (Slurm's derived
 * exit code), from r's "steps". */
void sacct_derived(const json_t *r, int64_t *code, int64_t *sig);

/* sacct_usage.c: a job's TotalCPU is the sum over its steps: set it on the
 * job's record (sum_user_us, sum_sys_us) from its "steps". */
void sacct_usage_sum(json_t *job);
/* The field needs the job's steps even with -X (its sums). */
int sacct_field_needs_steps(const struct jobfmt_field *f);

#define SACCT_GET(name) void name(const json_t *r, const void *ctx, char *buf, size_t len)
SACCT_GET(get_totalcpu);
SACCT_GET(get_usercpu);
SACCT_GET(get_systemcpu);
SACCT_GET(get_cputime);
SACCT_GET(get_cputime_raw);
SACCT_GET(get_maxrss);
SACCT_GET(get_averss);
SACCT_GET(get_maxvmsize);
SACCT_GET(get_avevmsize);
SACCT_GET(get_maxrssnode);
SACCT_GET(get_maxvmsizenode);
SACCT_GET(get_mincpunode);
SACCT_GET(get_maxrsstask);
SACCT_GET(get_maxvmsizetask);
SACCT_GET(get_mincputask);
SACCT_GET(get_avecpu);
SACCT_GET(get_mincpu);

#endif
