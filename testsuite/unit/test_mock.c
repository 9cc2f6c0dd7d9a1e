/* Unit tests: how long a MockExecution job lasts (src/noded/mock_script.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "mock.h"
#include "unit.h"

static const struct {
    const char *script;
    int64_t secs;
} cases[] = {
    { "#!/bin/sh\n# This script was created by sbatch --wrap.\n\nsleep 86400\n", 86400 },
    { "#!/bin/sh\nexec sleep 300\n", 300 },
    { "#!/bin/bash\n#SBATCH -t 5\n  \n\tsleep 7 ; echo done\n", 7 },
    { "sleep 2m\n", 120 },
    { "sleep 3h", 10800 },
    { "sleep 1d\n", 86400 },
    { "sleep 5s && true\n", 5 },
    { "sleep 9 # nap\n", 9 },
    { "#!/bin/sh\ntrue\nsleep 100\n", 0 },      /* the first command decides */
    { "#!/bin/sh\ntouch /tmp/x\n", 0 },
    { "sleep\n", 0 },
    { "sleep abc\n", 0 },
    { "sleep 1.5\n", 0 },                        /* fractions: not a mock length */
    { "sleep 5 10\n", 0 },
    { "sleeping 5\n", 0 },
    { "execsleep 5\n", 0 },
    { "exec  sleep   4\n", 4 },
    { "", 0 },
    { "#!/bin/sh\n# only comments\n", 0 },
    { "sleep 99999999999999999999\n", 0 },
};

START_TEST(mock_seconds)
{
    int64_t got = mock_script_seconds(cases[_i].script);
    ck_assert_msg(got == cases[_i].secs, "%s: got %lld, want %lld", cases[_i].script,
                  (long long)got, (long long)cases[_i].secs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mock");
    TCase *tc = tcase_create("script");
    tcase_add_loop_test(tc, mock_seconds, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
