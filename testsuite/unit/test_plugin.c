/* Unit tests: the plugin loader refuses what it must (plugin.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "plugin.h"
#include "unit.h"

struct case_ {
    const char *spec;
    const char *type;
    const char *expect;   /* NULL = loads */
};

static const struct case_ cases[] = {
    { "auth/good", "auth", NULL },
    { "auth/missing", "auth", "not found" },
    { "auth/wrongtype", "auth", "declares itself as sched/wrongtype" },
    { "auth/badabi", "auth", "ABI version 99" },
    { "auth/nosym", "auth", "not a Sluice plugin" },
    { "sched/good", "auth", "is not of type 'auth'" },
    { "authgood", "auth", "not of the form type/name" },
    { "auth/../x", "auth", "not of the form type/name" },
};

START_TEST(loader_cases)
{
    const struct case_ *c = &cases[_i];
    sl_error_t e = { "" };
    sl_plugin_handle_t *h = plugin_load("/nonexistent:" TEST_PLUGIN_DIR, c->spec, c->type, &e);
    if (!c->expect) {
        ck_assert_msg(h != NULL, "%s should load: %s", c->spec, e.text);
        ck_assert_int_eq(*(const int *)plugin_ops(h), 1);
    } else {
        ck_assert_msg(h == NULL, "%s should be refused", c->spec);
        ck_assert_msg(strstr(e.text, c->expect), "%s: '%s' should contain '%s'", c->spec,
                      e.text, c->expect);
    }
    plugin_unload(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("loader");
    tcase_add_loop_test(tc, loader_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
