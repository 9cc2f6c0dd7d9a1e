/* jobopt.h: the job submission options shared by sbatch, srun and
 * salloc, declared once in a table (jobopt.c) with each option's names,
 * argument kind, the commands that accept it, the input environment variable
 * that sets it and the job spec field (doc/protocol.md) its setter fills.
 *
 * Precedence is by order of application: later sources override earlier
 * ones.  jobopt_load applies them as Slurm does: input environment
 * (SBATCH_*), then #SBATCH script lines, then the command line.  Options
 * that may be repeated (--retry-rule, --param) add up over all sources.
 *
 * The job model's options are validated here (so sbatch reports a bad
 * --array or --dependency before it reads any script) but sent as typed:
 * the controller parses them again (doc/protocol.md, "The job model"). */
#ifndef SL_JOBOPT_H
#define SL_JOBOPT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"

enum jobopt_cmd {
    JOBOPT_SBATCH = 1u << 0,
    JOBOPT_SRUN = 1u << 1,
    JOBOPT_SALLOC = 1u << 2,
};

/* MaxArraySize's default: indices 0-10000. */
#define JOBOPT_MAX_ARRAY_SIZE 10001

typedef struct jobopt {
    unsigned cmd;        /* the one command parsing (a JOBOPT_* bit) */
    const char *prog;    /* "sbatch": used in messages */
    uint32_t max_array_size;  /* --array indices must be below it: the
                               * config's MaxArraySize (the command sets it) */
    int64_t now;         /* --begin's "now" (epoch s); 0: the clock */
    json_t *spec;        /* job spec fields, per doc/protocol.md */
    json_t *local;       /* settings for the command itself: "parsable",
                          * "wait", "wrap", "export", "help", "version",
                          * "usage", "mail_type", ... */
} jobopt_t;

jobopt_t *jobopt_create(unsigned cmd);
void jobopt_destroy(jobopt_t *o);   /* accepts NULL */

/* Parse argv (argv[0] is skipped).  Option parsing stops at the first
 * non-option argument (the script), whose index is returned; argc when
 * there is none.  -1 with e set on an unknown option or a bad value. */
int jobopt_parse_argv(jobopt_t *o, int argc, char **argv, sl_error_t *e);

/* Apply the #SBATCH lines of script: those before its first line that is
 * neither blank nor a comment.  Errors name the script line. */
int jobopt_parse_script(jobopt_t *o, const char *script, sl_error_t *e);

/* Apply input environment variables (SBATCH_PARTITION, ...) found through
 * getenv_fn (getenv when NULL; tests pass their own). */
int jobopt_parse_env(jobopt_t *o, const char *(*getenv_fn)(const char *name),
                     sl_error_t *e);

/* Environment, then script (may be NULL), then argv.  Returns the index of
 * the first non-option argument as jobopt_parse_argv does. */
int jobopt_load(jobopt_t *o, int argc, char **argv, const char *script,
                sl_error_t *e);

/* Set one option by its long name, as if given on the command line. */
int jobopt_set(jobopt_t *o, const char *name, const char *arg, sl_error_t *e);

/* The job's environment per the "export" setting (ALL when unset): ALL
 * takes all of envp; NONE only its SLURM_* variables; a list of VAR or
 * VAR=value adds those to the SLURM_* ones (and to all of envp when ALL is
 * one of them).  Returns a new object of name -> value. */
json_t *jobopt_env(const jobopt_t *o, char **envp, sl_error_t *e);
/* Add the submitting process's resource limits that --propagate names (by
 * default those of the config c, may be NULL: PropagateResourceLimits[Except],
 * else all) to env as SLURM_RLIMIT_<NAME>, replacing any inherited. */
struct conf;
int jobopt_rlimits_env(const jobopt_t *o, const struct conf *c, json_t *env, sl_error_t *e);

/* Convenience accessors for o->local. */
int jobopt_flag(const jobopt_t *o, const char *key);
const char *jobopt_str(const jobopt_t *o, const char *key);

/* "PROG: warning: --NAME has no effect here: WHY", once for each option
 * accepted without effect (--cpu-freq, --switches, ...); nothing with -Q. */
void jobopt_warn(const jobopt_t *o, FILE *out);

/* The --mpi types srun accepts (NULL-terminated; "none" first). */
const char *const *jobopt_mpi_types(void);

/* --help text and --usage line for the options o->cmd accepts. */
void jobopt_help(const jobopt_t *o, FILE *out);
void jobopt_usage(const jobopt_t *o, FILE *out);

#endif
