/* outpath.h: expand sbatch filename patterns (-o/-e/-i) for one job. */
#ifndef SL_STEPD_OUTPATH_H
#define SL_STEPD_OUTPATH_H

struct launch;

/* Expand %j %x %u %N %n %A %a %J %s %t %% (with optional zero-padding
 * width, "%4j") and make the result absolute against the job's cwd.
 * Unknown sequences are kept as written.  Returns a malloc'd path. */
char *outpath_expand(const struct launch *l, const char *pattern);

#endif
