/* conf_elastic.c: the nodes of Elastic=YES partitions.
 *
 * Once the whole file is read, each elastic partition's InstanceTypes are
 * looked up in the catalogue (InstanceTypeCatalog), ordered by its
 * AllocationStrategy, and each type gets node names <partition>-<n>
 * (elastic_names_for: enough to reach MaxvCPUs with that type alone), as
 * if the file had a line
 *   NodeName=<p>-[a-b] CPUs=V RealMemory=M Features=TYPE Weight=RANK State=CLOUD
 * so the rest of Sluice sees ordinary State=CLOUD nodes.  That is the
 * resting shape of a powered-down node: the controller chooses the type a
 * node is resumed as for the job that needs it (src/ctld/elastic_type.c),
 * using the first name of each type as its template, in rank order. */
#include "conf_impl.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "elastic.h"

/* The partition's types: each name (or family "c6i": every c6i.*), in the
 * catalogue, within BidPercentage for spot. */
static int types_resolve(const struct conf_where *w, const struct conf_partition *pt,
                         const struct elastic_type *cat, size_t ncat, const char *catpath,
                         struct elastic_type **out, size_t *nout, sl_error_t *e)
{
    char *copy = strdup(pt->instance_types), *save = NULL;
    struct elastic_type *t = calloc(ncat, sizeof(*t));
    size_t n = 0;
    int rc = 0;
    if (!copy || !t)
        rc = sl_errprintf(e, "out of memory");
    for (char *s = copy ? strtok_r(copy, ",", &save) : NULL; s && rc == 0;
         s = strtok_r(NULL, ",", &save)) {
        size_t found = 0, len = strlen(s);
        for (size_t i = 0; i < ncat; i++) {
            int family = !strchr(s, '.') && !strncmp(cat[i].name, s, len) &&
                         cat[i].name[len] == '.';
            if (strcmp(cat[i].name, s) && !family)
                continue;
            found++;
            int dup = 0;
            for (size_t k = 0; k < n; k++)
                dup |= strcmp(t[k].name, cat[i].name) == 0;
            if (!dup && (!pt->spot || cat[i].spot_price <= cat[i].price * pt->bid_percentage / 100.0))
                t[n++] = cat[i];
        }
        if (!found)
            rc = sl_errprintf(e, "%s:%d: partition '%s': InstanceTypes: '%s' is not in the "
                                 "catalogue %s", w->file, w->line, pt->name, s, catpath);
    }
    if (rc == 0 && n == 0)
        rc = sl_errprintf(e, "%s:%d: partition '%s': no instance type has a spot price within "
                             "BidPercentage=%u of its on-demand price", w->file, w->line,
                          pt->name, pt->bid_percentage);
    free(copy);
    if (rc < 0) {
        free(t);
        return -1;
    }
    *out = t;
    *nout = n;
    return 0;
}

/* The fallbacks a provider may launch for a node of type t[ord[r]]: itself,
 * then (except BEST_FIT) the later types in order that are at least as big. */
static char *fallbacks(const struct elastic_type *t, const size_t *ord, size_t n, size_t r,
                       int strategy)
{
    const struct elastic_type *me = &t[ord[r]];
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(t[i].name) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    strcat(s, me->name);
    for (size_t i = 0; strategy != ES_BEST_FIT && i < n; i++) {
        const struct elastic_type *x = &t[ord[i]];
        if (i != r && x->vcpus >= me->vcpus && x->memory_mb >= me->memory_mb &&
            x->gpus >= me->gpus && (i > r || x->vcpus > me->vcpus)) {
            strcat(s, ",");
            strcat(s, x->name);
        }
    }
    return s;
}

/* Define nodes first..first+count-1 of type x, as a NodeName line would. */
static int nodes_add(struct conf_parser *p, const struct conf_where *w,
                     const struct conf_partition *pt, const struct elastic_type *x,
                     uint32_t rank, uint32_t first, uint32_t count, const char *fb,
                     sl_error_t *e)
{
    char name[200], cpus[16], mem[24], weight[16], gres[80], port[40], host[200];
    struct conf_pair kv[9];
    size_t n = 0;
    snprintf(name, sizeof(name), "%s-[%u-%u]", pt->name, first, first + count - 1);
    snprintf(cpus, sizeof(cpus), "%u", x->vcpus);
    snprintf(mem, sizeof(mem), "%llu", (unsigned long long)x->memory_mb);
    snprintf(weight, sizeof(weight), "%u", rank);
    kv[n++] = (struct conf_pair){ "NodeName", name };
    kv[n++] = (struct conf_pair){ "CPUs", cpus };
    kv[n++] = (struct conf_pair){ "RealMemory", mem };
    kv[n++] = (struct conf_pair){ "Features", (char *)x->name };
    kv[n++] = (struct conf_pair){ "Weight", weight };
    kv[n++] = (struct conf_pair){ "State", "CLOUD" };
    if (x->gpus) {
        snprintf(gres, sizeof(gres), "gpu:%s:%u", x->gpu_type, x->gpus);
        kv[n++] = (struct conf_pair){ "Gres", gres };
    }
    if (pt->node_port) {   /* one host (cloud/local): a port each */
        snprintf(port, sizeof(port), "[%u-%u]", pt->node_port + first - 1,
                 pt->node_port + first + count - 2);
        kv[n++] = (struct conf_pair){ "Port", port };
    } else {               /* a host each, named as the node */
        snprintf(host, sizeof(host), "%s", name);
        kv[n++] = (struct conf_pair){ "NodeHostname", host };
    }
    if (pt->node_port && pt->node_port + first + count - 2 > 65535)
        return sl_errprintf(e, "%s:%d: partition '%s': NodePort=%u leaves no room for %u "
                               "nodes", w->file, w->line, pt->name, pt->node_port,
                            first + count - 1);
    size_t before = p->c->nnodes;
    if (conf_node_line(p, w, kv, n, e) < 0)
        return -1;
    for (size_t i = before; i < p->c->nnodes; i++) {
        struct conf_node *nd = &p->c->nodes[i];
        nd->spot = pt->spot;
        nd->strategy = pt->strategy;
        if (conf_strset(&nd->instance_type, x->name) < 0 ||
            conf_strset(&nd->instance_types, fb) < 0)
            return sl_errprintf(e, "out of memory");
    }
    return 0;
}

static int part_generate(struct conf_parser *p, const struct conf_where *w,
                         struct conf_partition *pt, const struct elastic_type *cat,
                         size_t ncat, const char *catpath, sl_error_t *e)
{
    struct elastic_type *t;
    size_t n;
    if (types_resolve(w, pt, cat, ncat, catpath, &t, &n, e) < 0)
        return -1;
    size_t *ord = calloc(n, sizeof(*ord));
    uint32_t next = 1;
    int rc = ord ? 0 : sl_errprintf(e, "out of memory");
    if (ord)
        elastic_rank(t, n, pt->strategy, ord);
    for (size_t r = 0; rc == 0 && r < n; r++) {
        uint32_t count = elastic_names_for(pt->strategy, pt->max_vcpus, t[ord[r]].vcpus);
        if (!count)
            continue;      /* larger than MaxvCPUs under BEST_FIT: never usable */
        char *fb = fallbacks(t, ord, n, r, pt->strategy);
        rc = fb ? nodes_add(p, w, pt, &t[ord[r]], (uint32_t)r + 1, next, count, fb, e)
                : sl_errprintf(e, "out of memory");
        free(fb);
        next += count;
    }
    if (rc == 0 && next == 1)
        rc = sl_errprintf(e, "%s:%d: partition '%s': every instance type has more vCPUs than "
                             "MaxvCPUs=%u", w->file, w->line, pt->name, pt->max_vcpus);
    if (rc == 0) {
        char expr[200];
        snprintf(expr, sizeof(expr), "%s-[1-%u]", pt->name, next - 1);
        if (conf_strset(&pt->nodes_expr, expr) < 0)
            rc = sl_errprintf(e, "out of memory");
    }
    free(ord);
    free(t);
    return rc;
}

/* The catalogue's path: InstanceTypeCatalog (relative to the main file's
 * directory), else SYSCONFDIR/sluice/instance-types.json. */
static void catalog_path(const conf_t *c, char *buf, size_t len)
{
    const char *cat = c->instance_type_catalog;
    if (cat && cat[0] == '/') {
        snprintf(buf, len, "%s", cat);
    } else if (cat) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", c->path);
        snprintf(buf, len, "%s/%s", dirname(dir), cat);
    } else {
        snprintf(buf, len, "%s/sluice/instance-types.json", SYSCONFDIR);
    }
}

int conf_elastic_finish(struct conf_parser *p, sl_error_t *e)
{
    conf_t *c = p->c;
    const struct conf_where *where = conf_part_where(p);
    struct elastic_type *cat = NULL;
    size_t ncat = 0;
    char path[PATH_MAX];
    int rc = 0;
    for (size_t i = 0; i < c->nparts && rc == 0; i++) {
        if (!c->parts[i].elastic)
            continue;
        if (!cat) {
            json_error_t je;
            catalog_path(c, path, sizeof(path));
            json_t *doc = json_load_file(path, 0, &je);
            if (!doc)
                return sl_errprintf(e, "InstanceTypeCatalog %s: %s (line %d)", path, je.text,
                                    je.line);
            rc = elastic_catalog_parse(doc, &cat, &ncat, e);
            json_decref(doc);
            if (rc < 0)
                return sl_errprefix(e, "InstanceTypeCatalog %s", path);
        }
        rc = part_generate(p, &where[i], &c->parts[i], cat, ncat, path, e);
    }
    free(cat);
    return rc;
}
