/* spawn: the machine's limit for trivial jobs.
 *
 *     spawn [SECONDS] [PROGRAM]
 *
 * posix_spawn(PROGRAM, default /bin/true) and waitpid for it, one after
 * another, for SECONDS (default 3) of wall-clock time; prints
 * "spawns N seconds S rate R" (R = spawns per second).  Compiled and run by
 * contribs/bench/run in the same run as the workloads it is compared with.
 */
#define _GNU_SOURCE
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
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3.0;
    const char *prog = argc > 2 ? argv[2] : "/bin/true";
    char *args[] = { (char *)prog, NULL };
    long n = 0;
    double t0 = now(), t = t0;

    if (secs <= 0)
        secs = 3.0;
    while (t - t0 < secs) {
        pid_t pid;
        int st, rc = posix_spawn(&pid, prog, NULL, NULL, args, environ);
        if (rc != 0) {
            fprintf(stderr, "spawn: posix_spawn %s: %s\n", prog, strerror(rc));
            return 1;
        }
        if (waitpid(pid, &st, 0) < 0) {
            perror("spawn: waitpid");
            return 1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "spawn: %s did not exit 0\n", prog);
            return 1;
        }
        n++;
        t = now();
    }
    printf("spawns %ld seconds %.3f rate %.1f\n", n, t - t0, n / (t - t0));
    return 0;
}
