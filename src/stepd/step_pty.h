/* step_pty.h: task 0 of a step on a pseudo-terminal (srun --pty). */
#ifndef SL_STEPD_STEP_PTY_H
#define SL_STEPD_STEP_PTY_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct step_rec;
struct stepd;

/* A WINSIZE frame's payload: exactly 4 bytes, rows then cols, big-endian.
 * 0, or -1 with e set (a protocol error). */
int step_pty_winsize_parse(const unsigned char *d, size_t len, uint16_t *rows, uint16_t *cols,
                           sl_error_t *e);
/* 1 when srun asked for a pty (SLURM_PTY_WIN_ROW and _COL in the step's
 * environment, both 1..65535), with its first size. */
int step_pty_wanted(const struct step_rec *r, uint16_t *rows, uint16_t *cols);
/* A pty pair of that size; the master non-blocking.  -1 with err set. */
int step_pty_open(uint16_t rows, uint16_t cols, int *master, int *slave, char *err,
                  size_t errlen);
/* Set the window size of task rank's pty, if it has one. */
void step_pty_resize(struct stepd *sd, uint32_t rank, uint16_t rows, uint16_t cols);

#endif
