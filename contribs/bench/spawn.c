/* spawn: the machine's limit for trivial jobs, measured by contribs/bench/run.
 *
 *     spawn [-p LOOPS] [SECONDS [PROGRAM [ARG...]]]
 *
 * posix_spawn(PROGRAM ARG..., default /bin/true) with its output and errors
 * sent to /dev/null, then waitpid for it, one after another, for SECONDS (default 3)
 * of wall-clock time.  With -p, LOOPS such loops run at once (in as many
 * processes), and "%w" in an ARG becomes the loop's number (1..LOOPS), so
 * that each loop can have a directory of its own.  Prints one line:
 *
 *     spawns N seconds S rate R
 *
 * where R is spawns per second, all loops together.  A spawn that fails or a
 * child that does not exit 0 is an error (exit 1).  Plain C11 + POSIX; the
 * benchmark compiles it with `cc -O2` in every run, so the limit is measured
 * beside the figures it is compared with.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ARGs with "%w" replaced by the loop number (allocated; never freed:
 * the process ends with the loop). */
static char **args_for_loop(char **args, int loop)
{
    size_t n = 0;
    char **out;

    while (args[n])
        n++;
    out = calloc(n + 1, sizeof(*out));
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *w = strstr(args[i], "%w");
        size_t len = strlen(args[i]) + 16;
        out[i] = args[i];
        if (w && (out[i] = malloc(len)) != NULL)
            snprintf(out[i], len, "%.*s%d%s", (int)(w - args[i]), args[i], loop, w + 2);
        if (!out[i])
            return NULL;
    }
    return out;
}

/* One loop: spawns done in secs, or -1 on an error (reported). */
static long spawn_loop(char **args, double secs, double *elapsed)
{
    posix_spawn_file_actions_t fa;
    long n = 0;
    double t0, t;

    if (posix_spawn_file_actions_init(&fa) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, 1, 2) != 0) {
        fprintf(stderr, "spawn: cannot set up file actions\n");
        return -1;
    }
    t0 = t = now();
    while (t - t0 < secs) {
        pid_t pid;
        int st, rc = posix_spawn(&pid, args[0], &fa, NULL, args, environ);
        if (rc != 0) {
            fprintf(stderr, "spawn: posix_spawn %s: %s\n", args[0], strerror(rc));
            return -1;
        }
        if (waitpid(pid, &st, 0) < 0) {
            perror("spawn: waitpid");
            return -1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "spawn: %s did not exit 0\n", args[0]);
            return -1;
        }
        n++;
        t = now();
    }
    posix_spawn_file_actions_destroy(&fa);
    *elapsed = t - t0;
    return n;
}

/* LOOPS processes, each running one loop and writing "N ELAPSED" to a
 * pipe; the totals: spawns, and the longest loop's time. */
static int spawn_parallel(char **args, int loops, double secs, long *total, double *longest)
{
    int fds[2];
    char line[64];
    FILE *in;

    if (pipe(fds) < 0) {
        perror("spawn: pipe");
        return -1;
    }
    for (int i = 1; i <= loops; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("spawn: fork");
            return -1;
        }
        if (pid == 0) {
            char **a = args_for_loop(args, i);
            double el = 0;
            long n = a ? spawn_loop(a, secs, &el) : -1;
            close(fds[0]);
            dprintf(fds[1], "%ld %.6f\n", n, el);
            _exit(n < 0 ? 1 : 0);
        }
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    *total = 0;
    *longest = 0;
    int rc = in ? 0 : -1;
    while (in && fgets(line, sizeof(line), in)) {
        long n;
        double el;
        if (sscanf(line, "%ld %lf", &n, &el) != 2 || n < 0)
            rc = -1;
        *total += n;
        *longest = el > *longest ? el : *longest;
    }
    if (in)
        fclose(in);
    for (int i = 0; i < loops; i++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    char *deflt[] = { "/bin/true", NULL };
    int loops = 1;
    char **args;
    double secs, elapsed = 0;
    long n;

    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        loops = atoi(argv[2]);
        argv += 2;
        argc -= 2;
        if (loops < 1 || loops > 64) {
            fprintf(stderr, "spawn: -p wants 1 to 64 loops\n");
            return 2;
        }
    }
    secs = argc > 1 ? atof(argv[1]) : 3.0;
    args = argc > 2 ? argv + 2 : deflt;
    if (secs <= 0)
        secs = 3.0;
    if (loops == 1) {
        char **a = args_for_loop(args, 1);
        n = a ? spawn_loop(a, secs, &elapsed) : -1;
    } else if (spawn_parallel(args, loops, secs, &n, &elapsed) < 0) {
        n = -1;
    }
    if (n < 0)
        return 1;
    printf("spawns %ld seconds %.3f rate %.1f\n", n, elapsed, (double)n / elapsed);
    return 0;
}
