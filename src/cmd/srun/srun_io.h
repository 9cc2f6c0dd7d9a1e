/* srun_io.h: the state of one step's I/O stream, shared by srun_io.c (the
 * connections, the loop, signals, the fence hub) and srun_out.c (task
 * output, exits and the status lines). */
#ifndef SL_SRUN_IO_H
#define SL_SRUN_IO_H

#include <stddef.h>
#include <stdint.h>
#include "srun.h"

struct io_line {            /* a task's output not yet ended by a newline */
    char *buf;
    size_t len, cap;
};

struct io_node {
    const char *name;
    uint32_t first, count;  /* its ranks: first..first+count-1 */
    int conn;               /* index in conns, -1 until its HELLO */
    int done;               /* NODE_DONE, or its stream ended */
    int fenced;             /* has given the active fence's blob */
    json_t *usage;          /* what NODE_DONE carried (jobacct.h), or NULL */
};

struct io_conn {
    int fd;
    int node;               /* -1 until HELLO */
    unsigned char *buf;
    size_t len, cap;
};

struct srun_io {
    int lfd, sigfd, port;
    char host[64], key[STEPIO_KEY_HEX + 1];
    int64_t job_id;
    int step_id;
    struct io_opts o;
    int nnodes, ntasks, width;
    struct io_node *nodes;
    struct io_conn *conns;
    size_t nconns, capconns;
    int *exited, *code, *sig, *core;    /* per rank */
    char *unreported;                   /* per rank: a failed exit not said yet */
    int nunreported;
    struct io_line *lines[2];           /* per rank: stdout, stderr */
    int stdin_open;
    int64_t first_exit_ms, last_intr_ms, start_ms, kill_ms;
    int kill_sent, cancelled, lost, abort_status;
    int het_killed;                     /* the parent srun ended this component's step */
    struct {
        int active;
        int64_t start_ms;   /* the first contribution's arrival */
        uint32_t seq;
        int count;
        unsigned char *blob;
        size_t len, cap;
    } fence;
};

/* srun_io_pty.c: --pty's terminal. */
/* srun's terminal (stdin) in raw mode, if it is one; put back by
 * pty_raw_end, at exit, and before a fatal signal. */
void pty_raw_begin(void);
void pty_raw_end(void);
/* srun's window size (stdin's, else stdout's); 0 and 24x80 when neither
 * is a terminal. */
int pty_winsize(uint16_t *rows, uint16_t *cols);
/* A WINSIZE frame's payload. */
void pty_winsize_encode(unsigned char out[4], uint16_t rows, uint16_t cols);
/* A signalfd for SIGWINCH (blocked from now on). */
int pty_winch_fd(void);

int64_t io_now_ms(void);
/* Send one frame to a node's stepd (if it is connected). */
void io_send(struct srun_io *io, int node, uint32_t type, uint32_t task, const void *data,
             size_t len);
/* Send a signal to every task of the step. */
void io_signal_all(struct srun_io *io, int sig);
/* Kill every task (SIGKILL), once, saying msg (NULL: "Terminating StepId=N.S"). */
void io_kill(struct srun_io *io, const char *msg);

/* Fail the open fence on every node (a node missed its deadline). */
void io_fence_timeout(struct srun_io *io);

/* Accept a stepd's connection; read what a connection has. */
void io_accept(struct srun_io *io);
void io_conn_read(struct srun_io *io, size_t ci);

/* srun_out.c */
void out_data(struct srun_io *io, uint32_t task, int err, const unsigned char *d, size_t n);
void out_eof(struct srun_io *io, uint32_t task, int err);
void out_task_exit(struct srun_io *io, uint32_t task, const unsigned char *d, size_t n);
void out_exits(struct srun_io *io);
void out_status(struct srun_io *io);
uint32_t out_lost(struct srun_io *io, int node);
void out_lines_free(struct srun_io *io);

#endif
