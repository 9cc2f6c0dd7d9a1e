/* cpubind.c: per-task CPU sets (cpubind.h). */
#include "cpubind.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CPUBIND_MAX_OS 65536

void cpubind_spec_free(struct cpubind_spec *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nlist; i++)
        idset_destroy(s->list[i]);
    free(s->list);
    s->list = NULL;
    s->nlist = 0;
}

/* One hex mask ("0x3", "c") as an OS index set. */
static idset_t *mask_decode(const char *m, sl_error_t *e)
{
    const char *orig = m;
    size_t n;
    idset_t *s;

    if (m[0] == '0' && (m[1] == 'x' || m[1] == 'X'))
        m += 2;
    n = strlen(m);
    if (n == 0 || n > CPUBIND_MAX_OS / 4) {
        sl_errprintf(e, "--cpu-bind: mask '%s' is not a hexadecimal CPU mask", orig);
        return NULL;
    }
    if (!(s = idset_create((uint32_t)n * 4)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = m[n - 1 - i];
        if (!isxdigit((unsigned char)c)) {
            idset_destroy(s);
            sl_errprintf(e, "--cpu-bind: mask '%s' is not a hexadecimal CPU mask", orig);
            return NULL;
        }
        int v = isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
        for (int b = 0; b < 4; b++)
            if (v & (1 << b))
                idset_set(s, (uint32_t)(i * 4 + (size_t)b));
    }
    return s;
}

/* map_cpu:0,2,4 or mask_cpu:0x3,0xc: the rest of the value, comma-separated. */
static int list_parse(char *list, int is_mask, struct cpubind_spec *out, sl_error_t *e)
{
    char *save = NULL;

    for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        idset_t *s;
        if (is_mask) {
            s = mask_decode(w, e);
        } else {
            char *end;
            unsigned long v = strtoul(w, &end, 0);
            if (!isdigit((unsigned char)w[0]) || *end || v >= CPUBIND_MAX_OS)
                return sl_errprintf(e, "--cpu-bind: map_cpu entry '%s' is not a CPU number", w);
            if ((s = idset_create((uint32_t)v + 1)))
                idset_set(s, (uint32_t)v);
        }
        if (!s)
            return e->text[0] ? -1 : sl_errprintf(e, "out of memory");
        idset_t **l = realloc(out->list, (out->nlist + 1) * sizeof(*l));
        if (!l) {
            idset_destroy(s);
            return sl_errprintf(e, "out of memory");
        }
        out->list = l;
        out->list[out->nlist++] = s;
    }
    if (out->nlist == 0)
        return sl_errprintf(e, "--cpu-bind: %s needs a list", is_mask ? "mask_cpu" : "map_cpu");
    return 0;
}

static const struct {
    const char *word;
    enum cpubind_mode mode;
} words[] = {
    { "none", CPUBIND_NONE }, { "no", CPUBIND_NONE }, { "threads", CPUBIND_THREADS },
    { "cores", CPUBIND_CORES }, { "sockets", CPUBIND_SOCKETS },
};

static int word_parse(const char *w, struct cpubind_spec *out, sl_error_t *e)
{
    if (!strcasecmp(w, "verbose") || !strcasecmp(w, "v")) {
        out->verbose = 1;
        return 0;
    }
    if (!strcasecmp(w, "quiet") || !strcasecmp(w, "q")) {
        out->verbose = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcasecmp(w, words[i].word)) {
            out->mode = words[i].mode;
            return 0;
        }
    }
    return sl_errprintf(e, "--cpu-bind=%s is not supported (none, threads, cores, sockets, "
                           "map_cpu:LIST, mask_cpu:LIST, verbose, quiet)", w);
}

int cpubind_parse(const char *s, struct cpubind_spec *out, sl_error_t *e)
{
    char *copy, *p;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return 0;
    if (!(copy = strdup(s)))
        return sl_errprintf(e, "out of memory");
    for (p = copy; p && *p && rc == 0;) {
        char *comma = strchr(p, ',');
        int is_map = !strncasecmp(p, "map_cpu:", 8), is_mask = !strncasecmp(p, "mask_cpu:", 9);
        if (is_map || is_mask) {
            out->mode = is_map ? CPUBIND_MAP : CPUBIND_MASK;
            rc = list_parse(p + (is_map ? 8 : 9), is_mask, out, e);
            break;
        }
        if (comma)
            *comma = '\0';
        rc = word_parse(p, out, e);
        p = comma ? comma + 1 : NULL;
    }
    free(copy);
    if (rc < 0)
        cpubind_spec_free(out);
    return rc;
}

int cpubind_dist_cyclic(const char *d, sl_error_t *e)
{
    const char *in;

    if (!d || !*d)
        return 0;
    in = strchr(d, ':');
    if (!in)
        return 0;       /* the node level only: CPUs in block order */
    in++;
    size_t n = strcspn(in, ":,");
    if ((n == 5 && !strncasecmp(in, "block", 5)) || (n == 1 && *in == '*') || n == 0)
        return 0;
    if (n == 6 && !strncasecmp(in, "cyclic", 6))
        return 1;
    return sl_errprintf(e, "--distribution=%s: the CPU level must be block or cyclic", d);
}

void cpubind_plan_free(struct cpubind_plan *p)
{
    if (!p || !p->task_os)
        return;
    for (uint32_t i = 0; i < p->ntasks; i++)
        idset_destroy(p->task_os[i]);
    free(p->task_os);
    p->task_os = NULL;
}

char *cpubind_hex(const idset_t *s)
{
    uint32_t last = idset_last(s);
    size_t nd = last == IDSET_NONE ? 1 : last / 4 + 1;
    char *out = malloc(nd + 3);

    if (!out)
        return NULL;
    memcpy(out, "0x", 2);
    for (size_t i = 0; i < nd; i++) {
        int v = 0;
        for (int b = 0; b < 4; b++) {
            uint32_t id = (uint32_t)((nd - 1 - i) * 4 + (size_t)b);
            if (last != IDSET_NONE && id <= last && idset_test(s, id))
                v |= 1 << b;
        }
        out[2 + i] = "0123456789abcdef"[v];
    }
    out[2 + nd] = '\0';
    return out;
}
