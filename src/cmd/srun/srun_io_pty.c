/* srun_io_pty.c: srun --pty's side of the terminal: its own terminal in
 * raw mode while the step runs (so that every byte, ^C included, goes to
 * the remote shell as Slurm does), put back on every way out, and the
 * window size, first in the environment and then on each SIGWINCH. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "srun_io.h"

static struct termios saved;
static volatile sig_atomic_t raw_on;

static void raw_restore(void)
{
    if (raw_on) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        raw_on = 0;
    }
}

/* A signal srun does not take through its signalfd would kill it with the
 * terminal still raw: put it back, then die of the signal all the same. */
static void raw_fatal(int sig)
{
    raw_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

void pty_raw_begin(void)
{
    static const int fatal[] = { SIGALRM, SIGVTALRM, SIGPROF, SIGSEGV, SIGBUS, SIGFPE,
                                 SIGILL, SIGABRT, SIGXCPU, SIGXFSZ, SIGTRAP, SIGSYS };
    static int registered;
    struct termios t;

    if (raw_on || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
        return;
    if (!registered) {
        registered = 1;
        atexit(raw_restore);
        for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
            signal(fatal[i], raw_fatal);
    }
    t = saved;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
        raw_on = 1;
}

void pty_raw_end(void)
{
    raw_restore();
}

int pty_winsize(uint16_t *rows, uint16_t *cols)
{
    struct winsize ws;

    if ((ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        && ws.ws_row > 0 && ws.ws_col > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
        return 1;
    }
    *rows = 24;   /* not a terminal: the classic size */
    *cols = 80;
    return 0;
}

void pty_winsize_encode(unsigned char out[4], uint16_t rows, uint16_t cols)
{
    out[0] = (unsigned char)(rows >> 8);
    out[1] = (unsigned char)rows;
    out[2] = (unsigned char)(cols >> 8);
    out[3] = (unsigned char)cols;
}

int pty_winch_fd(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
