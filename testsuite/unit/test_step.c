/* Unit tests: sluicestepd-step's pure parts: --multi-prog lines
 * (src/stepd/step_multiprog.c), the step's launch record and the task
 * environment (step_rec.c, step_env.c), --pty's request and WINSIZE
 * frames (step_pty.c). */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "step_env.h"
#include "step_multiprog.h"
#include "step_pty.h"
#include "step_rec.h"
#include "unit.h"

static char *joined(char **argv)
{
    static char buf[512];
    size_t off = 0;
    buf[0] = '\0';
    for (char **p = argv; p && *p; p++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "|" : "", *p);
    return buf;
}

static void check_mp(const char *text, uint32_t rank, const char *want)
{
    sl_error_t e;
    char **argv = multiprog_argv(text, rank, &e);
    ck_assert_msg(argv != NULL, "rank %u: %s", rank, e.text);
    ck_assert_str_eq(joined(argv), want);
    multiprog_free(argv);
}

static void check_mp_err(const char *text, uint32_t rank, const char *want)
{
    sl_error_t e;
    char **argv = multiprog_argv(text, rank, &e);
    ck_assert_ptr_null(argv);
    ck_assert_msg(strstr(e.text, want) != NULL, "'%s' lacks '%s'", e.text, want);
}

START_TEST(multiprog_lines)
{
    const char *t = "# a comment\n"
                    "  \n"
                    "0      ./master --rank %t\n"
                    "1-3,7  ./worker 'two words' \"%o of %t\"\n"
                    "*      echo rest\n";
    check_mp(t, 0, "./master|--rank|0");
    check_mp(t, 1, "./worker|two words|0 of 1");
    check_mp(t, 3, "./worker|two words|2 of 3");
    check_mp(t, 7, "./worker|two words|3 of 7");
    check_mp(t, 4, "echo|rest");
    check_mp_err("0 a\n1-2 b\n", 3, "no program for task 3");
    check_mp_err("0 a\nx-2 b\n", 1, "line 2: invalid task list 'x-2'");
    check_mp_err("3-1 b\n", 2, "invalid task list");
    check_mp_err("0\n", 0, "no program for task 0");
}
END_TEST

static struct step_rec *rec_from(const char *json, sl_error_t *e)
{
    char path[] = "/tmp/test_step_rec.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    struct step_rec *r = step_rec_load(path, e);
    unlink(path);
    return r;
}

#define REC_BASE \
    "\"job_id\":7,\"step_id\":3,\"uid\":1000,\"gid\":1000,\"user\":\"alice\"," \
    "\"cwd\":\"/tmp\",\"io_host\":\"127.0.0.1\",\"io_port\":4000,\"io_key\":\"k\"," \
    "\"node_name\":\"n3\",\"step_dir\":\"/s\",\"argv\":[\"a.out\"]," \
    "\"env\":{\"SLURM_PROCID\":\"99\",\"KEEP\":\"x\"}," \
    "\"job_nodes\":\"n[1-4]\",\"mpi\":\"pmix\""

START_TEST(record_and_environment)
{
    sl_error_t e;
    struct step_rec *r = rec_from("{" REC_BASE ",\"node_names\":[\"n1\",\"n3\",\"n4\"],"
                                  "\"tasks_per_node\":[2,2,1],\"ntasks\":5,\"node_id\":1}", &e);
    ck_assert_msg(r != NULL, "%s", e.text);
    ck_assert_uint_eq(r->first_rank, 2);
    ck_assert_uint_eq(r->nlocal, 2);
    char *tpn = step_rec_tasks_per_node(r);
    ck_assert_str_eq(tpn, "2(x2),1");
    free(tpn);
    char *extra[] = { "PMIX_RANK=3", NULL };
    char **env = step_env_build(r, 1, extra);
    ck_assert_str_eq(step_env_get(env, "SLURM_PROCID"), "3");
    ck_assert_str_eq(step_env_get(env, "SLURM_LOCALID"), "1");
    ck_assert_str_eq(step_env_get(env, "SLURM_NODEID"), "1");
    ck_assert_str_eq(step_env_get(env, "SLURM_STEP_NODELIST"), "n[1,3-4]");
    ck_assert_str_eq(step_env_get(env, "SLURM_STEP_TASKS_PER_NODE"), "2(x2),1");
    ck_assert_str_eq(step_env_get(env, "SLURM_GTIDS"), "2,3");
    ck_assert_str_eq(step_env_get(env, "SLURM_JOB_NODELIST"), "n[1-4]");
    ck_assert_str_eq(step_env_get(env, "SLURM_STEP_ID"), "3");
    ck_assert_str_eq(step_env_get(env, "SLURM_NTASKS"), "5");
    ck_assert_str_eq(step_env_get(env, "SLURM_MPI_TYPE"), "pmix");
    ck_assert_str_eq(step_env_get(env, "SLURMD_NODENAME"), "n3");
    ck_assert_str_eq(step_env_get(env, "PMIX_RANK"), "3");
    ck_assert_str_eq(step_env_get(env, "KEEP"), "x");
    ck_assert_str_eq(step_env_get(env, "USER"), "alice");
    step_env_free(env);
    step_rec_destroy(r);
}
END_TEST

/* A component of a heterogeneous step: global ranks and counts, and the
 * whole step's layout checked against this component's. */
START_TEST(het_record_and_environment)
{
    sl_error_t e;
    struct step_rec *r = rec_from("{" REC_BASE ",\"node_names\":[\"n3\",\"n4\"],"
                                  "\"tasks_per_node\":[2,1],\"ntasks\":3,\"node_id\":1,"
                                  "\"het_task_offset\":4,\"het_ntasks\":7,\"het_size\":2,"
                                  "\"het_nodes\":[\"n1\",\"n3\",\"n4\"],"
                                  "\"het_tasks_per_node\":[4,2,1],\"het_node_offset\":1,"
                                  "\"het_job_id\":6,\"het_step_id\":0}", &e);
    ck_assert_msg(r != NULL, "%s", e.text);
    ck_assert_uint_eq(r->het_num_nodes, 3);
    ck_assert_uint_eq(r->het_job_id, 6);
    char **env = step_env_build(r, 0, NULL);
    ck_assert_str_eq(step_env_get(env, "SLURM_PROCID"), "6");
    ck_assert_str_eq(step_env_get(env, "SLURM_GTIDS"), "6");
    ck_assert_str_eq(step_env_get(env, "SLURM_NTASKS"), "7");
    ck_assert_str_eq(step_env_get(env, "SLURM_STEP_NUM_TASKS"), "7");
    ck_assert_str_eq(step_env_get(env, "SLURM_HET_SIZE"), "2");
    ck_assert_str_eq(step_env_get(env, "SLURM_STEP_NODELIST"), "n[3-4]");
    step_env_free(env);
    step_rec_destroy(r);
    /* the layout must hold this component's nodes where it says */
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n3\"],\"tasks_per_node\":[1],"
                                "\"ntasks\":1,\"node_id\":0,\"het_task_offset\":1,"
                                "\"het_ntasks\":2,\"het_size\":2,\"het_nodes\":[\"n1\",\"n2\"],"
                                "\"het_tasks_per_node\":[1,1],\"het_node_offset\":1}", &e));
    ck_assert_msg(strstr(e.text, "does not hold node n3"), "%s", e.text);
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n3\"],\"tasks_per_node\":[1],"
                                "\"ntasks\":1,\"node_id\":0,\"het_task_offset\":1,"
                                "\"het_ntasks\":1,\"het_size\":2}", &e));
    ck_assert_msg(strstr(e.text, "het_ntasks 1 is below"), "%s", e.text);
}
END_TEST

START_TEST(bad_records)
{
    sl_error_t e;
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n1\"],\"tasks_per_node\":[2],"
                                "\"ntasks\":3,\"node_id\":0}", &e));
    ck_assert_msg(strstr(e.text, "adds up to 2, not 3"), "%s", e.text);
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n1\"],\"tasks_per_node\":[2],"
                                "\"ntasks\":2,\"node_id\":1}", &e));
    ck_assert_msg(strstr(e.text, "node_id 1"), "%s", e.text);
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n1\"],\"tasks_per_node\":[0],"
                                "\"ntasks\":1,\"node_id\":0}", &e));
    ck_assert_ptr_null(rec_from("{" REC_BASE ",\"node_names\":[\"n1\"],\"tasks_per_node\":[1],"
                                "\"ntasks\":1,\"node_id\":0,\"stdin_task\":-3}", &e));
    ck_assert_msg(strstr(e.text, "stdin_task"), "%s", e.text);
    ck_assert_ptr_null(rec_from("[]", &e));
}
END_TEST

START_TEST(pty_winsize_and_request)
{
    static const unsigned char ws[5] = { 0x01, 0x02, 0x00, 0x50, 0x00 };
    uint16_t rows = 0, cols = 0;
    struct step_rec *r;
    sl_error_t e;
    int m, s;
    char err[256];

    ck_assert_int_eq(step_pty_winsize_parse(ws, 4, &rows, &cols, &e), 0);
    ck_assert_uint_eq(rows, 258);
    ck_assert_uint_eq(cols, 80);
    ck_assert_int_eq(step_pty_winsize_parse(ws, 3, &rows, &cols, &e), -1);
    ck_assert_msg(strstr(e.text, "WINSIZE frame of 3 bytes"), "%s", e.text);
    ck_assert_int_eq(step_pty_winsize_parse(ws, 5, &rows, &cols, &e), -1);
    ck_assert_int_eq(step_pty_winsize_parse(ws, 0, &rows, &cols, &e), -1);

    r = rec_from("{" REC_BASE ",\"node_names\":[\"n1\"],\"tasks_per_node\":[1],"
                 "\"ntasks\":1,\"node_id\":0}", &e);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(step_pty_wanted(r, &rows, &cols), 0);
    json_object_set_new(r->env, "SLURM_PTY_WIN_ROW", json_string("33"));
    ck_assert_int_eq(step_pty_wanted(r, &rows, &cols), 0);   /* both or none */
    json_object_set_new(r->env, "SLURM_PTY_WIN_COL", json_string("111"));
    ck_assert_int_eq(step_pty_wanted(r, &rows, &cols), 1);
    ck_assert_uint_eq(rows, 33);
    ck_assert_uint_eq(cols, 111);
    json_object_set_new(r->env, "SLURM_PTY_WIN_COL", json_string("70000"));
    ck_assert_int_eq(step_pty_wanted(r, &rows, &cols), 0);
    json_object_set_new(r->env, "SLURM_PTY_WIN_COL", json_string("8x"));
    ck_assert_int_eq(step_pty_wanted(r, &rows, &cols), 0);
    step_rec_destroy(r);

    ck_assert_int_eq(step_pty_open(40, 100, &m, &s, err, sizeof(err)), 0);
    ck_assert(isatty(s));
    close(m);
    close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("step");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, multiprog_lines);
    tcase_add_test(tc, record_and_environment);
    tcase_add_test(tc, bad_records);
    tcase_add_test(tc, het_record_and_environment);
    tcase_add_test(tc, pty_winsize_and_request);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
