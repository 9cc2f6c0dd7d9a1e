/* step_pty.c: srun --pty: task 0 of the step runs on a pseudo-terminal
 * that this stepd holds the master of (doc/protocol.md, "The step I/O
 * stream").  srun asks for it with SLURM_PTY_WIN_ROW and SLURM_PTY_WIN_COL
 * in the step's environment, as Slurm's srun sets them for the task, and
 * changes the size later with WINSIZE frames. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "step_impl.h"
#include "step_pty.h"
#include "step_rec.h"

int step_pty_winsize_parse(const unsigned char *d, size_t len, uint16_t *rows, uint16_t *cols,
                           sl_error_t *e)
{
    if (len != 4)
        return sl_errprintf(e, "WINSIZE frame of %zu bytes (it holds exactly 4: rows, cols)",
                            len);
    *rows = (uint16_t)(d[0] << 8 | d[1]);
    *cols = (uint16_t)(d[2] << 8 | d[3]);
    return 0;
}

/* A size from the environment: 1..65535, else 0. */
static uint16_t env_size(const struct step_rec *r, const char *name)
{
    json_t *v = r->env ? json_object_get(r->env, name) : NULL;
    const char *s = json_string_value(v);
    char *end;
    long n;

    if (!s || !*s)
        return 0;
    n = strtol(s, &end, 10);
    return *end || n < 1 || n > 65535 ? 0 : (uint16_t)n;
}

int step_pty_wanted(const struct step_rec *r, uint16_t *rows, uint16_t *cols)
{
    *rows = env_size(r, "SLURM_PTY_WIN_ROW");
    *cols = env_size(r, "SLURM_PTY_WIN_COL");
    return *rows && *cols;
}

int step_pty_open(uint16_t rows, uint16_t cols, int *master, int *slave, char *err,
                  size_t errlen)
{
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    char name[64];
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;

    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0 ||
        (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        snprintf(err, errlen, "cannot open a pseudo-terminal: %s", strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    (void)ioctl(m, TIOCSWINSZ, &ws);
    (void)fcntl(m, F_SETFL, O_NONBLOCK);
    *master = m;
    *slave = s;
    return 0;
}

void step_pty_resize(struct stepd *sd, uint32_t rank, uint16_t rows, uint16_t cols)
{
    struct winsize ws = { .ws_row = rows, .ws_col = cols };

    for (uint32_t i = 0; sd->tasks && i < sd->r->nlocal; i++) {
        struct task *t = &sd->tasks[i];
        /* The master stays open for output until the task's side is gone;
         * the kernel sends SIGWINCH to the terminal's foreground group. */
        if (t->rank == rank && t->pty && t->out_fd >= 0)
            (void)ioctl(t->out_fd, TIOCSWINSZ, &ws);
    }
}
