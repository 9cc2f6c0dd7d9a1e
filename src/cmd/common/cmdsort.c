/* cmdsort.c: -S sort specifications (squeue, sinfo); see cmdsort.h. */
#include "cmdsort.h"
#include "cmdutil.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_sort_parse(struct cmd_sort *s, const char *arg, const struct jobfmt_field *table,
                   int hash, sl_error_t *e)
{
    char fmt[256] = "";
    size_t n = 0, used = 0;
    cmd_sort_free(s);
    for (const char *p = arg; *p; p++) {
        if (*p == ',' || *p == ' ')
            continue;
        int desc = *p == '-', asis = hash && *p == '#';
        if ((*p == '-' || *p == '+' || asis) && !*++p)
            break;
        if (n >= CMD_SORT_MAX || used + 4 >= sizeof(fmt))
            return sl_errprintf(e, "Invalid sort specification: %s (too many keys)", arg);
        s->desc[n] = (char)desc;
        s->asis[n++] = (char)asis;
        used += (size_t)snprintf(fmt + used, sizeof(fmt) - used, "%%%c ", *p);
    }
    if (!n || !(s->keys = jobfmt_parse(fmt, JOBFMT_PERCENT, table, e)))
        return sl_errprintf(e, "Invalid sort specification: %s", arg);
    return 0;
}

void cmd_sort_free(struct cmd_sort *s)
{
    jobfmt_destroy(s->keys);
    s->keys = NULL;
}

int cmd_natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            int c = la != lb ? (la > lb) - (la < lb) : strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else if (*a != *b) {
            return (unsigned char)*a - (unsigned char)*b;
        } else {
            a++, b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

struct sort_item {
    const struct cmd_sort *s;
    char (*vals)[CMD_SORT_VAL];     /* this row's key values */
    size_t pos;                     /* its given place, for ties */
};

static int sort_item_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;
    for (size_t k = 0; k < jobfmt_ncols(x->s->keys); k++) {
        int c = x->s->asis[k] ? 0 : cmd_natural_cmp(x->vals[k], y->vals[k]);
        if (c)
            return x->s->desc[k] ? -c : c;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

void cmd_sort_order(const struct cmd_sort *s, char (*vals)[CMD_SORT_VAL], size_t n,
                    size_t *order)
{
    size_t nk = jobfmt_ncols(s->keys);
    struct sort_item *it = malloc((n + 1) * sizeof(*it));
    if (!it)
        cmd_die("out of memory");
    for (size_t i = 0; i < n; i++)
        it[i] = (struct sort_item){ s, vals + i * nk, i };
    qsort(it, n, sizeof(*it), sort_item_cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = it[i].pos;
    free(it);
}
