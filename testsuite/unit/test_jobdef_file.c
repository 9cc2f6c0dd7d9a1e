/* test_jobdef_file.c: reading a job definition file for scontrol register
 * jobdefinition: a good file, and each way a file can be wrong, with the
 * message that names the file and the problem. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobdef_file.h"

static char dir[] = "/tmp/test_jobdef_file.XXXXXX";

/* Write text to a file in the test directory; returns its path (static). */
static const char *file_with(const char *name, const char *text)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_good)
{
    sl_error_t e = { "" };
    const char *path = file_with("good.json",
        "{\"jobDefinitionName\":\"train\",\"type\":\"container\",\n"
        " \"parameters\":{\"lr\":\"0.1\"},\n"
        " \"containerProperties\":{\"command\":[\"python3\",\"train.py\",\"Ref::lr\"]}}\n");
    json_t *d = jobdef_file_read(path, &e);
    ck_assert_msg(d != NULL, "%s", e.text);
    ck_assert_str_eq(json_string_value(json_object_get(d, "jobDefinitionName")), "train");
    json_decref(d);
}
END_TEST

static const struct {
    const char *name, *text;
    const char *error;    /* after "DIR/" */
} bad[] = {
    { "empty.json", "", "empty.json:1:0: '[' or '{' expected near end of file" },
    { "syntax.json", "{\"jobDefinitionName\": \"x\",\n  \"type\": }\n",
      "syntax.json:2:11: unexpected token near '}'" },
    { "array.json", "[1, 2]", "array.json: a job definition must be a JSON object" },
    { "noname.json", "{\"type\":\"container\"}", "noname.json: jobDefinitionName is missing" },
    { "numname.json", "{\"jobDefinitionName\":7}",
      "numname.json: jobDefinitionName must be a non-empty string" },
    { "dup.json", "{\"jobDefinitionName\":\"a\",\"jobDefinitionName\":\"b\"}",
      "dup.json:1:44: duplicate object key near '\"jobDefinitionName\"'" },
};

START_TEST(test_bad)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_error_t e = { "" };
        char want[512];
        const char *path = file_with(bad[i].name, bad[i].text);
        ck_assert_ptr_null(jobdef_file_read(path, &e));
        snprintf(want, sizeof(want), "%s/%s", dir, bad[i].error);
        ck_assert_str_eq(e.text, want);
    }
}
END_TEST

START_TEST(test_missing)
{
    sl_error_t e = { "" };
    char path[256], want[512];
    snprintf(path, sizeof(path), "%s/nope.json", dir);
    ck_assert_ptr_null(jobdef_file_read(path, &e));
    snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
    ck_assert_str_eq(e.text, want);
}
END_TEST

START_TEST(test_directory)
{
    sl_error_t e = { "" };
    char want[512];
    ck_assert_ptr_null(jobdef_file_read(dir, &e));
    snprintf(want, sizeof(want), "cannot read %s: Is a directory", dir);
    ck_assert_str_eq(e.text, want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobdef_file");
    TCase *tc = tcase_create("jobdef_file");
    SRunner *sr;
    int failed;
    char cmd[128];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_bad);
    tcase_add_test(tc, test_missing);
    tcase_add_test(tc, test_directory);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);   /* the directory is shared */
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
