/* parse.h: the value syntaxes users type: times, sizes, counts, signals. */
#ifndef SL_PARSE_H
#define SL_PARSE_H

#include <stdint.h>
#include <stddef.h>
#include "error.h"

/* A time limit meaning "no limit". */
#define TIME_INFINITE INT64_C(-1)

/* Slurm time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, UNLIMITED,
 * INFINITE.  Result in seconds (TIME_INFINITE for unlimited).  A bare
 * number is minutes. */
int parse_time_limit(const char *s, int64_t *secs, sl_error_t *e);
/* Format seconds as Slurm prints durations: "M:SS", "H:MM:SS" or
 * "D-HH:MM:SS"; TIME_INFINITE as "UNLIMITED".  Returns buf. */
char *format_duration(int64_t secs, char *buf, size_t len);

/* Memory size: number with optional suffix K, M, G, T (default M).
 * Result in MiB (K rounds up). */
int parse_mem_mb(const char *s, uint64_t *mb, sl_error_t *e);

/* Unsigned decimal within [min, max]; "what" names the value in errors. */
int parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
              uint64_t *out, sl_error_t *e);
int parse_int(const char *s, long min, long max, const char *what, long *out,
              sl_error_t *e);
/* yes/no/true/false/1/0/on/off, case-insensitive. */
int parse_bool(const char *s, int *out, sl_error_t *e);

/* Signal by name ("TERM", "SIGTERM", "usr1") or number. */
int parse_signal(const char *s, int *sig, sl_error_t *e);
const char *signal_name(int sig);   /* "TERM", or NULL */

/* Date/time as Slurm's parse_time reads them (parse_when.c): YYYY-MM-DD
 * [THH:MM[:SS]], MMDD[YY], MM/DD[/YY], HH:MM[:SS] [AM|PM], today, tomorrow,
 * midnight, noon, fika, teatime, now[(+|-)N[seconds|minutes|hours|days|
 * weeks]], uts<epoch>.  Omitted parts are filled as for a past time (sacct):
 * a time alone is today.  Epoch seconds. */
int parse_datetime(const char *s, int64_t now, int64_t *out, sl_error_t *e);
/* "YYYY-MM-DDTHH:MM:SS" in local time, or "Unknown" for 0. */
char *format_datetime(int64_t t, char *buf, size_t len);

#endif
