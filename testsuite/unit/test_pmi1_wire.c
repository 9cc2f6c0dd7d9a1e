/* test_pmi1_wire.c: the PMI-1 wire (plugins/mpi/pmi1/pmi1_wire.c): lines
 * as MPICH's client writes them, refusals, the process map, and the
 * barrier's blobs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pmi1_wire.h"
#include "unit.h"

START_TEST(test_cmd_parse)
{
    struct pmi1_cmd c;
    sl_error_t e = { "" };
    const char *line = "cmd=put kvsname=sluice.7.0 key=P0-businesscard value=a#b$c=d";
    ck_assert_int_eq(pmi1_cmd_parse(&c, line, strlen(line), &e), 0);
    ck_assert_int_eq(c.n, 4);
    ck_assert_str_eq(c.val[0], "put");
    ck_assert_str_eq(pmi1_cmd_get(&c, "key"), "P0-businesscard");
    ck_assert_str_eq(pmi1_cmd_get(&c, "value"), "a#b$c=d");
    ck_assert_ptr_null(pmi1_cmd_get(&c, "nokey"));
    line = "cmd=put key=k value=";
    ck_assert_int_eq(pmi1_cmd_parse(&c, line, strlen(line), &e), 0);
    ck_assert_str_eq(pmi1_cmd_get(&c, "value"), "");
}
END_TEST

START_TEST(test_cmd_refused)
{
    static const char *const bad[] = { "", "   ", "put key=v", "cmd= key=v", "key=v cmd=put",
                                       "cmd=get key" };
    struct pmi1_cmd c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_error_t e = { "" };
        ck_assert_int_eq(pmi1_cmd_parse(&c, bad[i], strlen(bad[i]), &e), -1);
        ck_assert_msg(e.text[0], "'%s' refused without a message", bad[i]);
    }
    char big[PMI1_MAXLINE + 2];
    memset(big, 'a', sizeof big);
    memcpy(big, "cmd=x v=", 8);
    sl_error_t e = { "" };
    ck_assert_int_eq(pmi1_cmd_parse(&c, big, sizeof big, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "limit"));
    char words[40 * 4 + 8] = "cmd=x";
    for (int i = 0; i < 40; i++)
        strcat(words, " a=b");
    ck_assert_int_eq(pmi1_cmd_parse(&c, words, strlen(words), &e), -1);
    ck_assert_int_eq(pmi1_cmd_parse(&c, "cmd=x\0y", 7, &e), -1);
}
END_TEST

START_TEST(test_process_mapping)
{
    static const struct { uint32_t tpn[5]; uint32_t n; const char *want; } cases[] = {
        { { 2, 2, 2, 2 }, 4, "(vector,(0,4,2))" },
        { { 3, 3, 2 }, 3, "(vector,(0,2,3),(2,1,2))" },
        { { 1 }, 1, "(vector,(0,1,1))" },
        { { 1, 2, 1, 1, 2 }, 5, "(vector,(0,1,1),(1,1,2),(2,2,1),(4,1,2))" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *m = pmi1_process_mapping(cases[i].tpn, cases[i].n);
        ck_assert_str_eq(m, cases[i].want);
        free(m);
    }
}
END_TEST

START_TEST(test_blobs)
{
    json_t *a = json_pack("{s:s, s:s}", "P0-bc", "x", "P1-bc", "y");
    json_t *b = json_pack("{s:s}", "P2-bc", "z");
    size_t la, lb;
    char *ba = pmi1_blob_pack(a, &la), *bb = pmi1_blob_pack(b, &lb);
    char *all = malloc(la + lb);
    memcpy(all, ba, la);
    memcpy(all + la, bb, lb);
    json_t *kvs = json_object();
    sl_error_t e = { "" };
    ck_assert_int_eq(pmi1_blob_merge(kvs, all, la + lb, &e), 0);
    ck_assert_int_eq(json_object_size(kvs), 3);
    ck_assert_str_eq(json_string_value(json_object_get(kvs, "P2-bc")), "z");
    ck_assert_int_eq(pmi1_blob_merge(kvs, "{}", 2, &e), 0);
    ck_assert_int_eq(pmi1_blob_merge(kvs, "", 0, &e), 0);
    ck_assert_int_eq(pmi1_blob_merge(kvs, "{\"k\":1}", 7, &e), -1);
    ck_assert_int_eq(pmi1_blob_merge(kvs, "[1]", 3, &e), -1);
    ck_assert_int_eq(pmi1_blob_merge(kvs, "{}x", 3, &e), -1);
    ck_assert_msg(e.text[0], "refused without a message");
    free(ba);
    free(bb);
    free(all);
    json_decref(a);
    json_decref(b);
    json_decref(kvs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmi1_wire");
    TCase *tc = tcase_create("pmi1_wire");
    tcase_add_test(tc, test_cmd_parse);
    tcase_add_test(tc, test_cmd_refused);
    tcase_add_test(tc, test_process_mapping);
    tcase_add_test(tc, test_blobs);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
