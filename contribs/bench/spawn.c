/* spawn: the machine's limit for trivial jobs, measured by contribs/bench/run.
 *
 *     spawn [SECONDS [PROGRAM [ARG...]]]
 *
 * posix_spawn(PROGRAM ARG..., default /bin/true) with its output sent to
 * /dev/null, then waitpid for it, one after another, for SECONDS (default 3)
 * of wall-clock time.  Prints one line:
 *
 *     spawns N seconds S rate R
 *
 * where R is spawns per second.  A spawn that fails or a child that does not
 * exit 0 is an error (exit 1).  Plain C11 + POSIX; the benchmark compiles it
 * with `cc -O2` in every run, so the limit is measured beside the figures it
 * is compared with.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3.0;
    char *deflt[] = { "/bin/true", NULL };
    char **args = argc > 2 ? argv + 2 : deflt;
    posix_spawn_file_actions_t fa;
    long n = 0;
    double t0, t;

    if (secs <= 0)
        secs = 3.0;
    if (posix_spawn_file_actions_init(&fa) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0) {
        fprintf(stderr, "spawn: cannot set up file actions\n");
        return 1;
    }
    t0 = t = now();
    while (t - t0 < secs) {
        pid_t pid;
        int st, rc = posix_spawn(&pid, args[0], &fa, NULL, args, environ);
        if (rc != 0) {
            fprintf(stderr, "spawn: posix_spawn %s: %s\n", args[0], strerror(rc));
            return 1;
        }
        if (waitpid(pid, &st, 0) < 0) {
            perror("spawn: waitpid");
            return 1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "spawn: %s did not exit 0\n", args[0]);
            return 1;
        }
        n++;
        t = now();
    }
    posix_spawn_file_actions_destroy(&fa);
    printf("spawns %ld seconds %.3f rate %.1f\n", n, t - t0, (double)n / (t - t0));
    return 0;
}
