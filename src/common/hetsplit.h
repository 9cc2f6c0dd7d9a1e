/* hetsplit.h: the components of a heterogeneous job submission, as Slurm
 * writes them: "#SBATCH hetjob" lines split a script's directives, and ":"
 * words split the command line's options (sbatch -N1 : -N2 script). */
#ifndef SL_HETSPLIT_H
#define SL_HETSPLIT_H

#include <stddef.h>
#include "error.h"

/* Command-line groups parsed at most (the controller allows fewer). */
#define HETSPLIT_ARGV_MAX 16

/* How many components the script's directives hold: 1 + its separators
 * ("#SBATCH hetjob", or the older "#SBATCH packjob"). */
size_t hetsplit_script_count(const char *script);

/* A copy of script (to free) where the directives of components other than
 * k, and the separators, are blanked to "#": jobopt_parse_script then sees
 * component k's only, with line numbers unchanged. */
char *hetsplit_script_part(const char *script, size_t k);

/* Split argv (for jobopt command cmd) at ":" words between option groups.
 * starts[k] gets the index of component k's argv[0] (0, then each ":"
 * word, which stands as the next group's argv[0]); *n the count (at most
 * max).  Returns the index of the first word after the last group's
 * options (the script; argc when none), or -1 with e set. */
int hetsplit_argv(unsigned cmd, int argc, char **argv, int *starts, size_t max, size_t *n,
                  sl_error_t *e);

/* srun's groups: argv split at every ":" word (srun -n1 a : -n2 b).
 * starts[k] gets the index of group k's argv[0] (0, then each ":" word):
 * group k is argv[starts[k]+1 .. starts[k+1]-1] (argc-1 for the last); *n
 * the count.  A group with no word at all (": :", a trailing
 * ":") is refused.  Returns 0, or -1 with e set (more than max groups). */
int hetsplit_colon(int argc, char **argv, int *starts, size_t max, size_t *n, sl_error_t *e);

/* srun --het-group's expression ("0", "0,2", "1-3", "0-1,3"): the listed
 * components, ascending and each once, into out (*n of them).  Every index
 * must be below ncomp.  0, or -1 with e set. */
int hetsplit_groups(const char *expr, size_t ncomp, unsigned *out, size_t max, size_t *n,
                    sl_error_t *e);

#endif
