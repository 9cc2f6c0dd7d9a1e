/* test_usage.c: the stepd's sampler (src/stepd/usage.c) on real processes:
 * each process below us counts for the task it descends from, a task's
 * processes are summed, and the node's usage object names the largest. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "usage.h"

#define MiB (1024 * 1024)

/* Keeps the compiler from dropping the writes to memory never read. */
char *volatile held;

/* A process holding mb MiB of written memory, that says so on ready and
 * then waits to be killed; with child_mb, it first starts a child of its
 * own holding that much. */
static pid_t holder(int mb, int child_mb, int ready)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* gone with its parent: no stray process */
        if (child_mb)
            holder(child_mb, 0, ready);
        char *p = malloc((size_t)mb * MiB + 1);
        if (!p)
            _exit(1);
        memset(p, 'x', (size_t)mb * MiB);
        held = p;
        if (write(ready, "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    return pid;
}

START_TEST(test_sample_attribution)
{
    int fds[2];
    char buf[3];
    ck_assert_int_eq(pipe(fds), 0);
    /* Task 10: one process of 40 MiB.  Task 11: 4 MiB and a child of 60 MiB. */
    pid_t roots[2] = { holder(40, 0, fds[1]), holder(4, 60, fds[1]) };
    size_t got = 0;
    while (got < 3) {
        ssize_t n = read(fds[0], buf, 3 - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    struct usage *u = usage_create(2, 10, "nX", 1);
    ck_assert_ptr_nonnull(u);
    ck_assert_int_eq(usage_period(u), 1);
    usage_sample(u, roots);
    for (int i = 0; i < 2; i++) {
        struct rusage ru;
        int st;
        kill(roots[i], SIGKILL);
        ck_assert_int_eq(wait4(roots[i], &st, 0, &ru), roots[i]);
        usage_task_reaped(u, (size_t)i, &ru);
    }
    /* The grandchild died with its parent (PR_SET_PDEATHSIG). */
    json_t *o = usage_finish(u);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "ntasks")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "max_rss_task")), 11);
    ck_assert_int_ge(json_integer_value(json_object_get(o, "max_rss")), 64 * MiB);
    ck_assert_int_ge(json_integer_value(json_object_get(o, "tot_rss")), 104 * MiB);
    ck_assert_int_ge(json_integer_value(json_object_get(o, "max_vsize")),
                     json_integer_value(json_object_get(o, "max_rss")));
    ck_assert_str_eq(json_string_value(json_object_get(o, "max_rss_node")), "nX");
    json_decref(o);
    usage_destroy(u);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* No samples (period 0): what wait4 says is all there is. */
START_TEST(test_no_samples)
{
    struct usage *u = usage_create(1, 0, "n1", 0);
    struct rusage ru = { .ru_maxrss = 2048, .ru_utime = { 1, 500000 } };
    ck_assert_int_eq(usage_period(u), 0);
    usage_task_reaped(u, 0, &ru);
    usage_task_reaped(u, 5, &ru);     /* no such task: ignored */
    json_t *o = usage_finish(u);
    ck_assert_int_ge(json_integer_value(json_object_get(o, "max_rss")), 2048 * 1024);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "ave_rss")),
                     json_integer_value(json_object_get(o, "max_rss")));
    json_decref(o);
    usage_destroy(u);
    usage_destroy(NULL);
}
END_TEST

/* A process that burns CPU until killed. */
static pid_t burner(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (volatile unsigned long x = 0;; x++)
            ;
    }
    return pid;
}

/* sstat's view: usage.json after each sample holds the live task's CPU
 * time and memory before anything is reaped. */
START_TEST(test_snapshot_live)
{
    char dir[] = "/tmp/sluice-usage-XXXXXX", path[64], text[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    pid_t root = burner();
    struct usage *u = usage_create(1, 0, "nY", 1);
    ck_assert_int_eq(usage_snapshot_open(u, dir), 0);
    json_t *o = NULL;
    /* CPU time shows in ticks: wait until the burner has some. */
    for (int i = 0; i < 500; i++) {
        usage_sample(u, &root);
        json_decref(o);
        o = usage_snapshot(u);
        if (json_integer_value(json_object_get(o, "user_us")) > 0)
            break;
        usleep(10000);
    }
    ck_assert_int_gt(json_integer_value(json_object_get(o, "user_us")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(o, "ave_cpu")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(o, "max_rss")), 0);
    snprintf(path, sizeof(path), "%s/usage.json", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    json_t *file = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(file);
    ck_assert_str_eq(json_string_value(json_object_get(file, "max_rss_node")), "nY");
    json_decref(file);
    json_decref(o);
    kill(root, SIGKILL);
    waitpid(root, NULL, 0);
    usage_destroy(u);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("usage");
    TCase *tc = tcase_create("usage");

    tcase_add_test(tc, test_sample_attribution);
    tcase_add_test(tc, test_no_samples);
    tcase_add_test(tc, test_snapshot_live);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
