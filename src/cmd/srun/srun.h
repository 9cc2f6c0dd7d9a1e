/* srun.h: what the files of srun (and salloc, which shares the allocation
 * part) share.  doc/protocol.md, "Job steps (srun, salloc)", is the
 * contract: an allocation is an alloc_only job; srun asks the controller
 * for a step, launches it on each node's sluiced and then serves the step
 * I/O stream (src/common/stepio.h) of every node until the tasks are done. */
#ifndef SL_SRUN_H
#define SL_SRUN_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include "error.h"
#include "jobopt.h"
#include "stepio.h"

/* ---- srun_alloc.c: an allocation for srun or salloc ---- */

/* The signals srun and salloc take through a signalfd (blocked in every
 * thread, so a thread blocked in a call never sees them). */
void alloc_signals_block(sigset_t *set);
int alloc_signalfd(void);

/* Submit spec (alloc_only is added) and wait until the job runs, printing
 * prog's messages as Slurm does ("queued and waiting for resources", ...;
 * salloc's "Pending job allocation N").  A signal while waiting cancels the
 * job.  Returns job_alloc_wait's reply (with *job_id set), or NULL after
 * printing why (*job_id set when a job was made). */
json_t *alloc_get(json_t *spec, const char *prog, int quiet, int64_t *job_id);
/* Call op; when the command's connection has failed, on a new one, retried
 * for a minute while the controller cannot be reached (it may be
 * restarting: a step outlives that).  code gets the error's code ("" when
 * none).  Steals body. */
json_t *alloc_call_fresh(const char *op, json_t *body, char *code, size_t codelen,
                         sl_error_t *e);
/* End the allocation (job_complete); errors are printed. */
void alloc_release(int64_t job_id, int exit_code, int sig, const char *prog);
/* The job's slurm_state now ("" when it cannot be asked). */
void alloc_state(int64_t job_id, char *buf, size_t len);
/* Fill an alloc_only job spec's facts: where it was asked from, its
 * working directory and its default name. */
int alloc_spec_place(json_t *spec, const char *name, sl_error_t *e);

/* ---- srun_step.c: the step request ---- */

struct srun_ctx;

/* The allocation srun runs in: from the environment (inside sbatch or
 * salloc) or from the allocation it made. */
struct srun_alloc_info {
    int64_t job_id;
    int num_nodes;
    char nodes[4096];
};

/* step_create's body from the options, the allocation and the program
 * (argv[idx..]); -1 with e set on a request that cannot be made. */
/* --het-group=K: use component K of a heterogeneous job's allocation by
 * making its SLURM_*_HET_GROUP_K variables the job's (srun_het.c); 0, or
 * 1 after printing the error. */
int srun_het_select(const jobopt_t *o, int argc, char **argv, int idx, int in_alloc);
/* Make component k's SLURM_*_HET_GROUP_k variables the job's.  0, or 1
 * after printing why not. */
int srun_het_use(long k);

/* ---- srun_hetstep.c: one step over several components ---- */

/* A component's srun (a child of the one the user ran) and its parent:
 * the child says its task count on wfd, the parent answers with where its
 * ranks start, the step's tasks in all and its components (rfd). */
struct het_link {
    int rfd, wfd;
    uint32_t offset, total, size;
    uint32_t step_min;      /* component 0's step id, for the others to take */
};
/* The controller's limit on components (src/ctld/hetjob.h). */
#define HETSTEP_MAX 5
/* The parent's ends of the pipes to its component sruns (-1: closed). */
struct het_pipes {
    size_t n;
    int rfd[HETSTEP_MAX], wfd[HETSTEP_MAX];
};
/* srun_hetrelay.c: the parent's part (layouts, then fences). */
struct het_relay;
struct het_relay *relay_create(void);
void relay_destroy(struct het_relay *rl);   /* accepts NULL */
/* Component 0's step id, once its layout came (-1 until then). */
int relay_first_step(const struct het_relay *rl);
void relay_close(struct het_pipes *p, size_t k);
/* Component k's srun ended its step (status: the abort's, or 0): every
 * other component's srun is told to end its own (HETMSG_KILL), once.
 * k == HETSTEP_MAX: none is spared. */
void relay_kill(struct het_pipes *p, struct het_relay *rl, size_t k, uint32_t status);
/* A message from component k's srun (or its end). */
void relay_read(struct het_pipes *p, struct het_relay *rl, size_t k);
/* Their messages, after the task counts: each child's step layout and the
 * parent's answer (the whole step's: HETMSG_LAYOUT, JSON), then the PMI
 * fences the parent relays between them (a child's nodes' blobs, and all
 * children's together, or a failure). */
enum { HETMSG_LAYOUT = 1, HETMSG_FENCE, HETMSG_FENCE_OK, HETMSG_FENCE_FAIL,
       /* a component's srun ended its step (MPI_Abort, -K, -W, a node lost, a
        * failed launch): the parent has every other component end its own;
        * seq carries the abort's status (0: none, the tasks' own count) */
       HETMSG_KILL };
/* 0, or -1 (the other end is gone).  *data is malloc'd, NUL-terminated. */
int hetmsg_send(int fd, uint32_t type, uint32_t seq, const void *data, uint32_t len);
int hetmsg_recv(int fd, uint32_t *type, uint32_t *seq, unsigned char **data, uint32_t *len);
/* The step of one srun: what main does after the component is chosen. */
int srun_one(int argc, char **argv, struct het_link *h);
/* srun A : B, or --het-group with several components: one srun child per
 * component, ranks numbered across them, the highest exit status.  The
 * exit status of srun. */
int hetstep_run(int argc, char **argv, int in_alloc);
/* 1 when argv asks for a step over several components. */
int hetstep_wanted(const jobopt_t *o, int argc, char **argv);
json_t *step_body(jobopt_t *o, const struct srun_alloc_info *ai, int in_alloc, int argc,
                  char **argv, int idx, json_t *env, sl_error_t *e);
/* step_create, retrying while the controller says EAGAIN.  The grant, or
 * NULL after printing the error.  *interrupted is set when a signal
 * stopped the retries. */
json_t *step_create(json_t *body, int quiet, int sigfd, int *interrupted);
/* A --multi-prog file's text (malloc'd), or NULL with e set (srun.c). */
char *multiprog_read(const char *path, sl_error_t *e);
/* Check a --multi-prog file's text against ntasks.  0, or -1 with e set. */
int multiprog_check(const char *text, const char *path, int ntasks, sl_error_t *e);

/* ---- srun_launch.c: step_launch on every node, in parallel ---- */

/* Send step_launch (body less "node") to each node of the grant.  0 when
 * every node started its stepd; -1 after printing each failure. */
int launch_nodes(const json_t *grant, const json_t *body, int64_t job_id, int step_id);

/* ---- srun_io.c: the step's I/O stream ---- */

struct io_opts {
    int label, unbuffered, kill_on_bad_exit, quiet;
    uint32_t task_offset;   /* a heterogeneous step's: this component's first rank */
    uint32_t task_total;    /* ... and the step's tasks in all (0: not such a step) */
    int relay_rfd, relay_wfd;   /* ... and its fences go through the parent (-1: none) */
    int wait_secs;          /* -W: 0 = no limit */
    int stdin_task;         /* -1 all, -2 none, else a rank */
    int pty;                /* --pty: task 0 on a pty, srun's terminal raw */
};

struct io_result {
    int exit_code;          /* srun's exit status */
    int max_code;           /* highest task exit code */
    int signal;             /* a signal that ended a task (0: none) */
    int cancelled;          /* srun ended the step (Ctrl-C twice, -K, -W) */
    int lost;               /* a node's stream ended before its tasks did */
    json_t *usage;          /* the step's usage summed over its nodes; NULL: none came */
};

typedef struct srun_io srun_io_t;

/* Listen on the host's address (the launch's io_host/io_port) with a new key. */
srun_io_t *io_create(const json_t *grant, int64_t job_id, int step_id,
                     const struct io_opts *opts, int sigfd, sl_error_t *e);
void io_destroy(srun_io_t *io);
const char *io_host(const srun_io_t *io);
int io_port(const srun_io_t *io);
const char *io_key(const srun_io_t *io);
/* The parent's answer to a relayed fence (relay_rfd is readable). */
void io_relay_read(srun_io_t *io);
/* Serve the stream until every node is done; fill r. */
void io_run(srun_io_t *io, struct io_result *r);
/* The usage the nodes' NODE_DONE carried, summed (NULL: none). */
json_t *io_usage(const srun_io_t *io);

/* "srun: error: MESSAGE" on stderr; returns rc (srun_het.c). */
int srun_refuse(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
