/* license.c: license lists (see license.h). */
#include "license.h"

#include <stdlib.h>
#include <string.h>
#include "parse.h"

const struct license *license_find(const struct license_list *l, const char *name)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

void license_list_free(struct license_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int license_add(struct license_list *l, char *item, sl_error_t *e)
{
    char *sep = strpbrk(item, ":*");
    uint64_t count = 1;
    if (sep)
        *sep = '\0';
    if (!*item || strpbrk(item, " \t=|()"))
        return sl_errprintf(e, "bad license name '%s'", item);
    if (sep && parse_u64(sep + 1, 1, LICENSE_COUNT_MAX, "count", &count, NULL) < 0)
        return sl_errprintf(e, "bad count '%s' for license %s: 1 to %u", sep + 1, item,
                            LICENSE_COUNT_MAX);
    struct license *have = (struct license *)license_find(l, item);
    if (have) {
        have->count = have->count + count > LICENSE_COUNT_MAX ? LICENSE_COUNT_MAX
                                                               : have->count + (uint32_t)count;
        return 0;
    }
    struct license *v = realloc(l->items, (l->n + 1) * sizeof(*v));
    if (!v || !(item = strdup(item))) {
        if (v)
            l->items = v;
        return sl_errprintf(e, "out of memory");
    }
    l->items = v;
    l->items[l->n].name = item;
    l->items[l->n++].count = (uint32_t)count;
    return 0;
}

int license_parse(const char *text, struct license_list *l, sl_error_t *e)
{
    char *copy = strdup(text ? text : ""), *save = NULL;
    int rc = copy ? 0 : sl_errprintf(e, "out of memory");
    license_list_free(l);
    for (char *it = copy ? strtok_r(copy, ",", &save) : NULL; it && rc == 0;
         it = strtok_r(NULL, ",", &save))
        rc = license_add(l, it, e);
    free(copy);
    if (rc == 0 && l->n == 0)
        rc = sl_errprintf(e, "no license named");
    if (rc < 0)
        license_list_free(l);
    return rc;
}
