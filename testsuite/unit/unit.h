/* unit.h: what every unit test program's main() ends with. */
#ifndef SL_TEST_UNIT_H
#define SL_TEST_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Run the suite (each test in a fork, as check does by default) and give
 * the exit status for make check. */
static inline int unit_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
