/* sluicestepd: supervises one batch job on one node.  Started by sluiced
 * as "sluicestepd JOBDIR"; see doc/protocol.md, "sluiced <-> sluicestepd". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "job.h"
#include "launch.h"
#include "log.h"
#include "status.h"
#include "supervise.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: sluicestepd JOBDIR\n"
               "Run the batch job described by JOBDIR/launch.json and leave its result in\n"
               "JOBDIR/status.json.  Started by sluiced; see sluicestepd(8).\n");
}

/* The job's standard files are dup2()ed onto 0-2; they must be taken
 * before anything else is opened. */
static void stdio_ensure(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR);
            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
    }
}

/* The job id from a directory named job.N, for a status when the launch
 * record itself is unreadable. */
static uint64_t jobdir_id(const char *jobdir)
{
    const char *base = strrchr(jobdir, '/');
    base = base ? base + 1 : jobdir;
    return strncmp(base, "job.", 4) == 0 ? strtoull(base + 4, NULL, 10) : 0;
}

static int stepd_main(const char *jobdir)
{
    struct job_status st = { .job_id = jobdir_id(jobdir) };
    char path[PATH_MAX];
    struct launch *l = NULL;
    sl_error_t e;
    int sigfd, rc = 0;

    if (status_write_pid(jobdir, getpid(), &e) < 0)
        log_fatal("%s", e.text);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_fatal("cannot become a child subreaper: %s", strerror(errno));
    sigfd = supervise_signals_open(&e);
    if (sigfd < 0)
        log_fatal("%s", e.text);
    snprintf(path, sizeof(path), "%s/launch.json", jobdir);
    l = launch_load(path, &e);
    if (!l) {
        snprintf(st.failure, sizeof(st.failure), "%s", e.text);
        st.exit_code = 1;
        st.start_time = st.end_time = (int64_t)time(NULL);
        log_error("%s", e.text);
    } else {
        rc = job_run(l, jobdir, sigfd, &st);
    }
    close(sigfd);
    if (status_write(jobdir, &st, &e) < 0) {
        log_error("job %llu: %s", (unsigned long long)st.job_id, e.text);
        rc = -1;
    }
    launch_destroy(l);
    json_decref(st.usage);
    return rc;
}

int main(int argc, char **argv)
{
    char jobdir[PATH_MAX];
    int rc;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("sluicestepd %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage(stderr);
        return 2;
    }
    stdio_ensure();
    log_init("sluicestepd", getenv("SLUICE_STEPD_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_INFO, NULL,
             1);
    if (!realpath(argv[1], jobdir))
        log_fatal("job directory %s: %s", argv[1], strerror(errno));
    rc = stepd_main(jobdir);
    log_fini();
    return rc < 0 ? 1 : 0;
}
