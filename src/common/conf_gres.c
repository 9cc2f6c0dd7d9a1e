/* conf_gres.c: a node's Gres= value (conf.h), Slurm's syntax:
 * "gpu:2", "gpu:a100:2,gpu:v100:1", "gpu" (one GPU). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conf.h"

#define GRES_MAX 256   /* TOPO_MAX_GPUS: no node holds more */

void conf_gres_free(struct conf_gres *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++) {
        free(g[i].name);
        free(g[i].type);
    }
    free(g);
}

struct conf_gres *conf_gres_copy(const struct conf_gres *g, size_t n)
{
    struct conf_gres *c = n ? calloc(n, sizeof(*c)) : NULL;
    for (size_t i = 0; c && i < n; i++) {
        c[i].name = strdup(g[i].name);
        c[i].type = g[i].type ? strdup(g[i].type) : NULL;
        c[i].count = g[i].count;
    }
    return c;
}

static int word_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

static int count_parse(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > GRES_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "gpu", "gpu:2", "gpu:a100", "gpu:a100:2" (the last part is the count
 * when it starts with a digit, as in Slurm). */
static int entry_parse(char *item, struct conf_gres *g, sl_error_t *e)
{
    char *parts[4] = { NULL }, *save = NULL, whole[128];
    size_t np = 0;
    snprintf(whole, sizeof(whole), "%s", item);
    if (strchr(item, '('))
        return sl_errprintf(e, "'%s': socket or core bindings (S:...) are not supported",
                            item);
    for (char *p = strtok_r(item, ":", &save); p; p = strtok_r(NULL, ":", &save))
        if (np < 4)
            parts[np++] = p;
    if (np == 0 || np > 3 || !word_ok(parts[0]))
        return sl_errprintf(e, "'%s' is not NAME[:TYPE][:COUNT]", whole);
    g->count = 1;
    if (np >= 2 && isdigit((unsigned char)parts[np - 1][0])) {
        if (count_parse(parts[np - 1], &g->count) < 0)
            return sl_errprintf(e, "'%s': the count must be from 1 to %d", parts[np - 1],
                                GRES_MAX);
        np--;
    }
    if (np == 3)
        return sl_errprintf(e, "'%s' is not NAME[:TYPE][:COUNT]", whole);
    if (np == 2 && !word_ok(parts[1]))
        return sl_errprintf(e, "'%s' is not a type (letters, digits, _ - .)", parts[1]);
    g->name = strdup(parts[0]);
    g->type = np == 2 ? strdup(parts[1]) : NULL;
    return 0;
}

static int entry_dup(const struct conf_gres *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(g[i].name, g[n].name) &&
            (g[i].type == g[n].type ||
             (g[i].type && g[n].type && !strcasecmp(g[i].type, g[n].type))))
            return 1;
    return 0;
}

int conf_gres_parse(const char *val, struct conf_gres **out, size_t *n, sl_error_t *e)
{
    char *copy = strdup(val), *save = NULL;
    struct conf_gres *g = calloc(strlen(val) / 2 + 1, sizeof(*g));
    size_t k = 0;
    uint32_t total = 0;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!copy || !g) {
        free(copy);
        free(g);
        return sl_errprintf(e, "out of memory");
    }
    for (char *it = strtok_r(copy, ",", &save); it && rc == 0; it = strtok_r(NULL, ",", &save)) {
        rc = entry_parse(it, &g[k], e);
        if (rc == 0 && entry_dup(g, k))
            rc = sl_errprintf(e, "%s%s%s is given twice", g[k].name, g[k].type ? ":" : "",
                              g[k].type ? g[k].type : "");
        total += rc == 0 ? g[k].count : 0;
        if (rc == 0 && total > GRES_MAX)
            rc = sl_errprintf(e, "more than %d in all", GRES_MAX);
        k++;
    }
    free(copy);
    if (rc < 0) {
        conf_gres_free(g, k);
        return -1;
    }
    *out = g;
    *n = k;
    return 0;
}

uint32_t conf_node_gpus(const struct conf_node *n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n->ngres; i++)
        if (!strcasecmp(n->gres_list[i].name, "gpu"))
            sum += n->gres_list[i].count;
    return sum;
}

int conf_autodetect_off(const conf_t *c)
{
    return c->autodetect && !strcasecmp(c->autodetect, "off");
}
