/* inproc: what a per-node supervisor (no sluicestepd process per job) could
 * reach on this machine; a measuring tool for doc/bench.md, not part of the
 * automated benchmark.  It runs the stepd's own code (launch_load, job_run,
 * status_write) in this one process for DIR/job.1 .. DIR/job.N, one job
 * after another, so each job costs one process creation (its script)
 * instead of two.  Build it against a build tree and run it on job
 * directories made as contribs/bench/run's supervised_ceiling() makes them:
 *
 *   B=build; cc -O2 -Isrc/stepd -Isrc/common -I$B -o /tmp/inproc contribs/bench/inproc.c \
 *      $(ls $B/src/stepd/sluicestepd-[^m]*.o) $B/src/common/.libs/libcommon.a -ljansson -ldl
 *   /tmp/inproc DIR N
 *
 * Prints "jobs N seconds S rate R".  Two at once (on two directories) is the
 * figure to compare with the supervised-job ceiling. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "job.h"
#include "launch.h"
#include "log.h"
#include "status.h"
#include "supervise.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc == 3 ? atoi(argv[2]) : 0, sigfd;
    sl_error_t e;
    double t0;

    if (n <= 0) {
        fprintf(stderr, "usage: inproc DIR N\n");
        return 2;
    }
    log_init("inproc", LOG_LVL_ERROR, NULL, 0);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || (sigfd = supervise_signals_open(&e)) < 0) {
        fprintf(stderr, "inproc: cannot set up supervision\n");
        return 1;
    }
    t0 = now();
    for (int i = 1; i <= n; i++) {
        char dir[4096], path[4200];
        struct job_status st = { 0 };
        struct launch *l;

        snprintf(dir, sizeof(dir), "%s/job.%d", argv[1], i);
        snprintf(path, sizeof(path), "%s/launch.json", dir);
        l = launch_load(path, &e);
        if (!l || job_run(l, dir, sigfd, &st) < 0 || status_write(dir, &st, &e) < 0 ||
            st.exit_code != 0) {
            fprintf(stderr, "inproc: job %d failed%s%s\n", i, l ? "" : ": ", l ? "" : e.text);
            return 1;
        }
        launch_destroy(l);
    }
    t0 = now() - t0;
    printf("jobs %d seconds %.3f rate %.1f\n", n, t0, n / t0);
    return 0;
}
