/* step_rec.h: the launch record of a job step on one node, as sluiced
 * writes it to SPOOL/job.N.step.S/launch.json: the controller's grant,
 * srun's step_launch body and this node's place (doc/protocol.md, "Job
 * steps").  Strings point into the parsed JSON and live with the record. */
#ifndef SL_STEPD_STEP_REC_H
#define SL_STEPD_STEP_REC_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "error.h"

/* stdin_task's special values. */
#define STEP_STDIN_ALL (-1)
#define STEP_STDIN_NONE (-2)

struct step_rec {
    json_t *root;
    uint64_t job_id;
    uint32_t step_id;
    uid_t uid;
    gid_t gid;
    const char *user;
    const char *home, *shell;    /* NULL when unknown */
    gid_t *groups;               /* NULL when not given */
    size_t ngroups;
    const char *node_name;
    uint32_t node_id;            /* this node's index in node_names */
    uint32_t num_nodes;
    const char **node_names;     /* num_nodes */
    uint32_t *tasks_per_node;    /* num_nodes */
    uint32_t ntasks, nlocal, first_rank;
    /* A heterogeneous step (srun --het-group=0,1) is one step of each
     * component's job: this one's ranks start at het_offset of het_ntasks
     * in all, over het_size components (0: not such a step). */
    uint32_t het_offset, het_ntasks, het_size;
    /* ... and with an MPI plugin, the whole step's node layout (every
     * component's nodes in rank order; this component's start at
     * het_node_offset) and the ids its PMI namespace is named after. */
    uint32_t het_num_nodes, het_node_offset, het_step_id;
    uint64_t het_job_id;
    const char **het_node_names;
    uint32_t *het_tasks_per_node;
    int64_t cpus_per_task, mem_mb, time_limit, kill_wait;
    const char *mpi;             /* "" or "none": no plugin */
    const char *name;            /* the step's */
    const char *job_name, *job_nodes, *job_cpus_per_node, *partition, *account, *cluster;
    int64_t job_num_nodes;
    json_t *argv;                /* strings */
    json_t *env;                 /* object of strings, maybe NULL */
    const char *cwd;
    const char *io_host;
    int io_port;
    const char *io_key;
    int64_t stdin_task;          /* rank, STEP_STDIN_ALL or STEP_STDIN_NONE */
    int label, unbuffered;
    const char *stdout_pat, *stderr_pat, *stdin_pat;   /* NULL: the stream */
    const char *multi_prog;      /* NULL: argv for every task */
    const char *lease_file;      /* NULL: none */
    int64_t acct_freq;           /* JobAcctGatherFrequency (seconds, 0: no samples) */
    const char *step_dir;
    const char *plugin_dir;      /* PluginDir, for the MPI plugin */
};

struct step_rec *step_rec_load(const char *path, sl_error_t *e);
void step_rec_destroy(struct step_rec *r);   /* accepts NULL */

/* "2(x3),1": Slurm's compressed form of the tasks per node.  malloc'd. */
char *step_rec_tasks_per_node(const struct step_rec *r);

#endif
