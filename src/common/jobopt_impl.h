/* jobopt_impl.h: what the files behind jobopt.h share: the option table's
 * entry type, the table itself (jobopt_table.c) and its setters
 * (jobopt_set.c for the resource and file options, jobopt_model.c for the
 * job model's: arrays, dependencies, retries, job definitions, fair share;
 * jobopt_step.c for srun's and salloc's own). */
#ifndef SL_JOBOPT_IMPL_H
#define SL_JOBOPT_IMPL_H

#include <getopt.h>
#include "jobopt.h"

struct jobopt_def;
typedef int (*jobopt_setter)(jobopt_t *o, const struct jobopt_def *d,
                             const char *arg, sl_error_t *e);

enum jo_arg { JO_NONE = no_argument, JO_REQ = required_argument,
              JO_OPT = optional_argument };

#define JO_ALL (JOBOPT_SBATCH | JOBOPT_SRUN | JOBOPT_SALLOC)
#define JO_BATCH JOBOPT_SBATCH
#define JO_SRUN JOBOPT_SRUN

struct jobopt_def {
    const char *name;       /* long name */
    int letter;             /* short option, 0 if none */
    enum jo_arg arg;
    unsigned cmds;          /* JOBOPT_* bits of the commands that accept it */
    jobopt_setter set;
    const char *field;      /* spec field (or o->local key when local) */
    int local;              /* field lives in o->local, not the job spec */
    const char *env;        /* input variable suffix: SBATCH_<env> */
    const char *metavar;    /* help: --name=<metavar> */
    const char *help;
};

/* The table has at most this many entries (getopt's tables are sized by it). */
#define JO_MAX 128

extern const struct jobopt_def jobopt_table[];
extern const size_t jobopt_count;

/* "Invalid --NAME specification: 'ARG'" */
int jo_invalid(const struct jobopt_def *d, const char *arg, sl_error_t *e);

#define JO_SETTER(fn) \
    int fn(jobopt_t *o, const struct jobopt_def *d, const char *arg, sl_error_t *e)

/* jobopt_set.c */
JO_SETTER(jo_set_str);
JO_SETTER(jo_set_text);
JO_SETTER(jo_set_mail_type);
JO_SETTER(jo_set_true);
JO_SETTER(jo_set_false);
JO_SETTER(jo_set_count);
JO_SETTER(jo_set_time);
JO_SETTER(jo_set_mem);
JO_SETTER(jo_set_nodes);
JO_SETTER(jo_set_hostlist);
JO_SETTER(jo_set_chdir);
JO_SETTER(jo_set_open_mode);
JO_SETTER(jo_set_exclusive);
JO_SETTER(jo_set_unsupported);
JO_SETTER(jo_set_gpus);
JO_SETTER(jo_set_gres);
JO_SETTER(jo_set_hint);

/* jobopt_res.c */
JO_SETTER(jo_set_tmp);
JO_SETTER(jo_set_licenses);
JO_SETTER(jo_set_deadline);
JO_SETTER(jo_set_priority);
JO_SETTER(jo_set_propagate);
JO_SETTER(jo_set_noeffect);
JO_SETTER(jo_set_batch_distribution);

/* jobopt_model.c */
JO_SETTER(jo_set_array);
JO_SETTER(jo_set_dependency);
JO_SETTER(jo_set_yesno);
JO_SETTER(jo_set_attempts);
JO_SETTER(jo_set_retry_rule);
JO_SETTER(jo_set_begin);
JO_SETTER(jo_set_signal);
JO_SETTER(jo_set_jobdef);
JO_SETTER(jo_set_param);
JO_SETTER(jo_set_share);
JO_SETTER(jo_set_sched_priority);
JO_SETTER(jo_set_nice);

/* jobopt_step.c: srun's and salloc's own */
JO_SETTER(jo_set_mpi);
JO_SETTER(jo_set_kill_bad_exit);
JO_SETTER(jo_set_seconds);
JO_SETTER(jo_set_verbose);
JO_SETTER(jo_set_cpu_bind);
JO_SETTER(jo_set_distribution);
JO_SETTER(jo_set_input);
JO_SETTER(jo_set_step_open_mode);

#endif
