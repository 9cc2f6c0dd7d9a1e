/* Unit tests: task/cgroup's cgroupfs code (plugins/task/cgroup/cg*.c)
 * against directory trees shaped like cgroupfs in a temporary directory:
 * a v2 unified hierarchy and a v1 one (a directory per controller).  The
 * kernel's side (control files appearing in new directories) is played by
 * the test where the code reads them. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cg.h"
#include "unit.h"

static char top[256];

static void quiet(int level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", top, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static char *get(const char *rel)
{
    static char buf[1024];
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", top, rel);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return f ? buf : NULL;
}

static void mk(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", top, rel);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void tree_setup(void)
{
    snprintf(top, sizeof(top), "/tmp/test_cgroup.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
}

static void tree_teardown(void)
{
    cg_rmdir_tree(top);
}

/* v2: the daemon in /svc; memory and cpuset delegated to it. */
static void v2_tree(void)
{
    mk("fs");
    put("fs/cgroup.controllers", "cpuset cpu io memory pids\n");
    mk("fs/svc");
    put("fs/svc/cgroup.controllers", "cpuset memory pids\n");
    put("fs/svc/cgroup.subtree_control", "");
    put("self", "0::/svc\n");
}

static struct cg v2_cg(void)
{
    struct cg cg = { .ram = 1, .cores = 1, .swap = 1, .allowed_swap = 50, .log = quiet };
    return cg;
}

START_TEST(v2_setup_and_job)
{
    char mount[300], self[300];
    sl_error_t e = { "" };
    struct cg cg = v2_cg();
    json_t *procs = json_array();

    v2_tree();
    snprintf(mount, sizeof(mount), "%s/fs", top);
    snprintf(self, sizeof(self), "%s/self", top);
    /* The kernel would make these in the new directories. */
    mk("fs/svc/sluice");
    put("fs/svc/sluice/cgroup.controllers", "cpuset memory\n");
    put("fs/svc/sluice/cgroup.subtree_control", "");
    mk("fs/svc/sluice/n1");
    put("fs/svc/sluice/n1/cgroup.controllers", "cpuset memory\n");
    put("fs/svc/sluice/n1/cgroup.subtree_control", "");
    put("fs/svc/sluice/n1/cpuset.cpus.effective", "0-3\n");
    ck_assert_msg(cg_setup(&cg, mount, self, "n1", &e) == 0, "%s", e.text);
    ck_assert_int_eq(cg.mode, CG_V2);
    ck_assert_str_eq(get("fs/svc/cgroup.subtree_control"), "+memory +cpuset");
    ck_assert_str_eq(get("fs/svc/sluice/n1/cgroup.subtree_control"), "+memory +cpuset");

    mk("fs/svc/sluice/n1/job_7");
    put("fs/svc/sluice/n1/job_7/cpuset.cpus", "");
    put("fs/svc/sluice/n1/job_7/memory.max", "max");
    put("fs/svc/sluice/n1/job_7/memory.swap.max", "max");
    struct cg_limits lim = { .cpus = "2-5", .mem_mb = 64 };
    ck_assert_msg(cg_create(&cg, "job_7", &lim, procs, &e) == 0, "%s", e.text);
    /* CPUs the node does not have (a fixture topology) are dropped. */
    ck_assert_str_eq(get("fs/svc/sluice/n1/job_7/cpuset.cpus"), "2-3");
    ck_assert_str_eq(get("fs/svc/sluice/n1/job_7/memory.max"), "67108864");
    ck_assert_str_eq(get("fs/svc/sluice/n1/job_7/memory.swap.max"), "33554432");
    ck_assert_uint_eq(json_array_size(procs), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(procs, 0)),
                                 "/fs/svc/sluice/n1/job_7/cgroup.procs"));

    /* OOM from memory.events; an empty cgroup.procs kills nothing. */
    put("fs/svc/sluice/n1/job_7/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n");
    ck_assert_int_eq(cg_oom(&cg, "job_7"), 0);
    put("fs/svc/sluice/n1/job_7/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    ck_assert_int_eq(cg_oom(&cg, "job_7"), 1);
    put("fs/svc/sluice/n1/job_7/cgroup.procs", "");
    put("fs/svc/sluice/n1/job_7/cgroup.kill", "");
    ck_assert_int_eq(cg_kill(&cg, "job_7"), 0);
    ck_assert_str_eq(get("fs/svc/sluice/n1/job_7/cgroup.kill"), "1");

    uint64_t *ids;
    ck_assert_uint_eq(cg_list_jobs(&cg, &ids), 1);
    ck_assert_uint_eq(ids[0], 7);
    free(ids);
    cg_remove(&cg, "job_7");
    ck_assert_ptr_null(get("fs/svc/sluice/n1/job_7/memory.max"));
    json_decref(procs);
}
END_TEST

START_TEST(v2_controller_missing)
{
    char mount[300], self[300];
    sl_error_t e = { "" };
    struct cg cg = v2_cg();

    v2_tree();
    put("fs/svc/cgroup.controllers", "pids\n");
    snprintf(mount, sizeof(mount), "%s/fs", top);
    snprintf(self, sizeof(self), "%s/self", top);
    ck_assert_int_eq(cg_setup(&cg, mount, self, "n1", &e), -1);
    ck_assert_msg(strstr(e.text, "the memory controller is not available") != NULL, "%s",
                  e.text);
}
END_TEST

START_TEST(v1_setup_and_job)
{
    char mount[300], self[300];
    sl_error_t e = { "" };
    struct cg cg = { .ram = 1, .cores = 1, .swap = 1, .allowed_swap = 100, .log = quiet };
    json_t *procs = json_array();

    mk("fs");
    for (int c = 0; c < 3; c++) {
        char d[64];
        snprintf(d, sizeof(d), "fs/%s", cg_ctrl_name[c]);
        mk(d);
        snprintf(d, sizeof(d), "fs/%s/tasks", cg_ctrl_name[c]);
        put(d, "");
    }
    put("fs/cpuset/cpuset.cpus", "0-1\n");
    put("fs/cpuset/cpuset.mems", "0\n");
    put("self", "6:freezer:/\n4:memory:/box/a\n3:cpuset:/\n");
    mk("fs/memory/box");
    mk("fs/memory/box/a");
    snprintf(mount, sizeof(mount), "%s/fs", top);
    snprintf(self, sizeof(self), "%s/self", top);
    ck_assert_msg(cg_setup(&cg, mount, self, "n1", &e) == 0, "%s", e.text);
    ck_assert_int_eq(cg.mode, CG_V1);
    /* Memory and cpuset are needed: one of them tracks, the freezer is left out
     * (a hierarchy less to join per job). */
    ck_assert_int_eq(cg.tracker, CG_MEMORY);
    ck_assert_int_eq(cg.use[CG_FREEZER], 0);
    /* Under the daemon's own memory cgroup, not at the top. */
    ck_assert_ptr_nonnull(strstr(cg.base[CG_MEMORY], "/fs/memory/box/a/sluice/n1"));
    /* Each new cpuset level got its parent's CPUs and memory nodes. */
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/cpuset.cpus"), "0-1");
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/cpuset.mems"), "0");

    put("fs/memory/box/a/sluice/n1/memory.memsw.limit_in_bytes", "");
    mk("fs/memory/box/a/sluice/n1/job_3");
    put("fs/memory/box/a/sluice/n1/job_3/memory.limit_in_bytes", "");
    put("fs/memory/box/a/sluice/n1/job_3/memory.memsw.limit_in_bytes", "");
    struct cg_limits lim = { .cpus = "1-3", .mem_mb = 64 };
    ck_assert_msg(cg_create(&cg, "job_3", &lim, procs, &e) == 0, "%s", e.text);
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/job_3/cpuset.cpus"), "1");
    ck_assert_str_eq(get("fs/memory/box/a/sluice/n1/job_3/memory.limit_in_bytes"), "67108864");
    ck_assert_str_eq(get("fs/memory/box/a/sluice/n1/job_3/memory.memsw.limit_in_bytes"),
                     "134217728");
    ck_assert_uint_eq(json_array_size(procs), 2);
    put("fs/memory/box/a/sluice/n1/job_3/memory.oom_control",
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    ck_assert_int_eq(cg_oom(&cg, "job_3"), 1);
    cg_remove(&cg, "job_3");
    ck_assert_ptr_null(get("fs/cpuset/sluice/n1/job_3/cpuset.cpus"));

    /* A step on a node where its job has no cgroup: the job's is made bare
     * (the node's CPUs), the step's below it with the step's own. */
    cg.swap = 0;
    json_array_clear(procs);
    struct cg_limits step = { .cpus = "1", .mem_mb = 32 };
    ck_assert_msg(cg_create(&cg, "job_4/step_0", &step, procs, &e) == 0, "%s", e.text);
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/job_4/cpuset.cpus"), "0-1");
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/job_4/step_0/cpuset.cpus"), "1");
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/job_4/step_0/cpuset.mems"), "0");
    ck_assert_str_eq(get("fs/memory/box/a/sluice/n1/job_4/step_0/memory.limit_in_bytes"),
                     "33554432");
    ck_assert_ptr_null(get("fs/memory/box/a/sluice/n1/job_4/memory.limit_in_bytes"));
    ck_assert_uint_eq(json_array_size(procs), 2);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(procs, 0)),
                                 "/job_4/step_0/cgroup.procs"));
    cg_remove(&cg, "job_4/step_0");
    ck_assert_ptr_null(get("fs/cpuset/sluice/n1/job_4/step_0/cpuset.cpus"));
    ck_assert_str_eq(get("fs/cpuset/sluice/n1/job_4/cpuset.cpus"), "0-1");
    cg_remove(&cg, "job_4");
    json_decref(procs);

    /* Nothing to constrain: the freezer alone tracks the processes. */
    struct cg track = { .log = quiet };
    ck_assert_msg(cg_setup(&track, mount, self, "n1", &e) == 0, "%s", e.text);
    ck_assert_int_eq(track.tracker, CG_FREEZER);
    ck_assert_int_eq(track.use[CG_MEMORY] + track.use[CG_CPUSET] + track.use[CG_DEVICES], 0);
}
END_TEST

START_TEST(no_hierarchy)
{
    char mount[300];
    sl_error_t e = { "" };
    struct cg cg = v2_cg();

    snprintf(mount, sizeof(mount), "%s/nowhere", top);
    ck_assert_int_eq(cg_setup(&cg, mount, "/proc/self/cgroup", "n1", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "no cgroup hierarchy at CgroupMountpoint="));
}
END_TEST

/* CgroupFavorDynMods: the option is found only on cgroup file systems and
 * only as a whole option; on a tree that is not cgroupfs nothing is
 * mounted and nothing is said. */
static int said;

static void count(int level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
    said++;
}

START_TEST(favordynmods)
{
    char mounts[300], mount[300];
    struct cg cg = { .mode = CG_V1, .tracker = CG_FREEZER, .log = count };

    snprintf(mounts, sizeof(mounts), "%s/mounts", top);
    put("mounts", "tmpfs /sys/fs/cgroup tmpfs rw,favordynmods 0 0\n"
                  "cgroup /sys/fs/cgroup/freezer cgroup rw,relatime,freezer 0 0\n"
                  "cgroup /x cgroup rw,nofavordynmods,name=x 0 0\n"
                  "cgroup /y cgroup rw,favordynmodsx 0 0\n");
    ck_assert_int_eq(cg_favor_active(mounts), 0);
    put("mounts", "cgroup /s cgroup rw,relatime,favordynmods,name=sluice 0 0\n");
    ck_assert_int_eq(cg_favor_active(mounts), 1);
    put("mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate,favordynmods 0 0\n");
    ck_assert_int_eq(cg_favor_active(mounts), 1);
    put("mounts", "cgroup2 /sys/fs/cgroup cgroup2 favordynmods 0 0\n");
    ck_assert_int_eq(cg_favor_active(mounts), 1);
    snprintf(mounts, sizeof(mounts), "%s/no-such-file", top);
    ck_assert_int_eq(cg_favor_active(mounts), 0);

    mk("fs");
    mk("fs/freezer");
    snprintf(mount, sizeof(mount), "%s/fs", top);
    said = 0;
    cg_favor_dynmods(&cg, mount, mounts);
    ck_assert_int_eq(said, 0);
    ck_assert_ptr_null(get("fs/sluice/tasks"));
    /* v2 is only said, never remounted. */
    cg.mode = CG_V2;
    cg_favor_dynmods(&cg, mount, mounts);
    ck_assert_int_eq(said, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cgroup");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
    tcase_add_test(tc, v2_setup_and_job);
    tcase_add_test(tc, v2_controller_missing);
    tcase_add_test(tc, v1_setup_and_job);
    tcase_add_test(tc, no_hierarchy);
    tcase_add_test(tc, favordynmods);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
