/* test_mailtype.c: --mail-type names as Slurm reads them, and back. */
#include <check.h>
#include <string.h>

#include "mailtype.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct { const char *in; uint32_t bits; const char *shown; } good[] = {
    { "NONE", 0, "NONE" },
    { "none", 0, "NONE" },
    { "BEGIN", MAIL_BEGIN, "BEGIN" },
    { "end,begin", MAIL_BEGIN | MAIL_END, "BEGIN,END" },
    { "FAIL", MAIL_FAIL, "FAIL" },
    { "ALL", MAIL_BEGIN | MAIL_END | MAIL_FAIL | MAIL_REQUEUE | MAIL_INVALID_DEPEND |
                 MAIL_STAGE_OUT, "INVALID_DEPEND,BEGIN,END,FAIL,REQUEUE,STAGE_OUT" },
    { "TIME_LIMIT", MAIL_TIME100, "TIME_LIMIT" },
    { "TIME_LIMIT_90,TIME_LIMIT_80,TIME_LIMIT_50", MAIL_TIME90 | MAIL_TIME80 | MAIL_TIME50,
      "TIME_LIMIT_90,TIME_LIMIT_80,TIME_LIMIT_50" },
    { "END,ARRAY_TASKS", MAIL_END | MAIL_ARRAY_TASKS, "END,ARRAY_TASKS" },
    { "NONE,END", MAIL_END, "END" },
};

static const char *const bad[] = { "", "SOMETIMES", "BEGIN,", ",END", "BEGIN,,END", "TIME_LIMIT_70",
                                   "ALLL", "BEGIN END" };

START_TEST(test_parse_format)
{
    char buf[256];
    for (size_t i = 0; i < N(good); i++) {
        uint32_t bits = 12345;
        sl_error_t e = { "" };
        ck_assert_msg(mailtype_parse(good[i].in, &bits, &e) == 0, "%s: %s", good[i].in, e.text);
        ck_assert_msg(bits == good[i].bits, "%s gave %u", good[i].in, bits);
        ck_assert_str_eq(mailtype_format(bits, buf, sizeof(buf)), good[i].shown);
    }
    for (size_t i = 0; i < N(bad); i++) {
        uint32_t bits = 12345;
        sl_error_t e = { "" };
        ck_assert_msg(mailtype_parse(bad[i], &bits, &e) == -1, "'%s' accepted", bad[i]);
        ck_assert_uint_eq(bits, 12345);
        ck_assert_msg(strstr(e.text, "mail type") || strstr(e.text, "mail-type"), "%s", e.text);
    }
    ck_assert_str_eq(mailtype_event(MAIL_BEGIN), "Began");
    ck_assert_str_eq(mailtype_event(MAIL_TIME80), "Reached 80% of time limit");
    ck_assert_str_eq(mailtype_event(MAIL_BEGIN | MAIL_END), "unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mailtype");
    TCase *tc = tcase_create("mailtype");
    tcase_add_test(tc, test_parse_format);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
