/* conf_node.c: NodeName lines.
 *
 * A line's keys are applied to a copy of the NodeName=DEFAULT template;
 * the result is either the new template or one record per name in the
 * line's host list.  Port=, NodeHostname= and NodeAddr= may be host list
 * expressions too ("[7001-7004]") whose values pair with the names. */
#include "conf_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hostlist.h"
#include "parse.h"

/* Port a node listens on when no Port= is given. */
#define NODE_DEFAULT_PORT "6918"

struct node_tmpl {
    struct conf_node n;      /* hostname holds NodeHostname= as written */
    char *addr;              /* NodeAddr= as written */
    char *port;              /* Port= as written */
    unsigned set;            /* bit i: node_keys[i] was given */
};

/* A Gres= name must be in GresTypes, which may come later in the file:
 * each name is checked once all files are read, its line at hand. */
struct gres_use {
    struct conf_where w;
    char *name;
};

struct conf_node_state {
    struct node_tmpl def;
    struct gres_use *uses;
    size_t nuses;
};

/* UNKNOWN (the default), or CLOUD: the node starts powered down and the
 * cloud plugin powers it up when jobs need it. */
static int state_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    int cloud = strcasecmp(val, "CLOUD") == 0;
    if (!cloud && strcasecmp(val, "UNKNOWN") != 0)
        return sl_errprintf(e, "'%s' is not a state a node may be given here (UNKNOWN or "
                               "CLOUD)", val);
    ((struct node_tmpl *)obj)->n.cloud = cloud;
    return 0;
}

static int gres_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    struct conf_node *n = &((struct node_tmpl *)obj)->n;
    struct conf_gres *g;
    size_t ng;
    if (conf_gres_parse(val, &g, &ng, e) < 0)
        return -1;
    conf_gres_free(n->gres_list, n->ngres);
    n->gres_list = g;
    n->ngres = ng;
    return conf_strset(&n->gres, *val ? val : NULL);
}

static const char *gres_show(const struct conf_key *k, const void *obj, char *buf, size_t len)
{
    const char *g = ((const struct node_tmpl *)obj)->n.gres;
    snprintf(buf, len, "%s", g ? g : "(null)");
    return buf;
}

#define OFF(field) offsetof(struct node_tmpl, field)

static const struct conf_key node_keys[] = {
    { "NodeHostname", CT_OPT_STRING, OFF(n.hostname), NULL, 0, 0, NULL, NULL, NULL,
      "host the node's sluiced runs on; a host list pairs with the names" },
    { "NodeAddr", CT_OPT_STRING, OFF(addr), NULL, 0, 0, NULL, NULL, NULL,
      "address to reach sluiced at, used when NodeHostname is not given" },
    { "Port", CT_STRING, OFF(port), NODE_DEFAULT_PORT, 0, 0, NULL, NULL, NULL,
      "TCP port of sluiced, or a range [A-B] with one port per name" },
    { "CPUs", CT_U32, OFF(n.cpus), NULL, 1, 1 << 20, NULL, NULL, NULL,
      "logical processors (default Sockets*CoresPerSocket*ThreadsPerCore)" },
    { "Sockets", CT_U32, OFF(n.sockets), "1", 1, 1 << 16, NULL, NULL, NULL,
      "processor sockets" },
    { "CoresPerSocket", CT_U32, OFF(n.cores_per_socket), NULL, 1, 1 << 16, NULL, NULL, NULL,
      "cores in each socket (default CPUs/(Sockets*ThreadsPerCore))" },
    { "ThreadsPerCore", CT_U32, OFF(n.threads_per_core), "1", 1, 1 << 10, NULL, NULL, NULL,
      "hardware threads in each core" },
    { "RealMemory", CT_MEM, OFF(n.real_memory_mb), "1", 0, 0, NULL, NULL, NULL,
      "memory jobs may use, in MiB (suffix K, M, G or T allowed)" },
    { "TmpDisk", CT_MEM, OFF(n.tmp_disk_mb), "0", 0, 0, NULL, NULL, NULL,
      "temporary disk space, in MB, that --tmp asks of a node (not counted out)" },
    { "TopologyFile", CT_OPT_STRING, OFF(n.topology_file), NULL, 0, 0, NULL, NULL, NULL,
      "hwloc XML file describing the node, used instead of probing it" },
    { "Weight", CT_U32, OFF(n.weight), "1", 0, UINT32_MAX - 1, NULL, NULL, NULL,
      "the scheduler prefers nodes of lower weight" },
    { "Features", CT_OPT_STRING, OFF(n.features), NULL, 0, 0, NULL, NULL, NULL,
      "comma-separated features that --constraint selects on" },
    { "Gres", CT_CUSTOM, 0, NULL, 0, 0, NULL, gres_set, gres_show,
      "generic resources: gpu[:TYPE][:COUNT], comma separated (gpu:a100:2,gpu:v100:1); "
      "each name must be in GresTypes" },
    { "State", CT_CUSTOM, 0, NULL, 0, 0, NULL, state_set, NULL,
      "UNKNOWN, or CLOUD: powered down until jobs need it (CloudType powers it up)" },
};
#define NKEYS (sizeof(node_keys) / sizeof(node_keys[0]))
#define KEYBIT(name) (1u << (conf_key_find(node_keys, NKEYS, name) - node_keys))

int conf_node_is_key(const char *key)
{
    return conf_key_find(node_keys, NKEYS, key) != NULL;
}

static void tmpl_free(struct node_tmpl *t)
{
    for (size_t i = 0; i < NKEYS; i++)
        conf_key_free(&node_keys[i], t);
    free(t->n.gres);
    conf_gres_free(t->n.gres_list, t->n.ngres);
    t->n.gres = NULL;
    t->n.gres_list = NULL;
    t->n.ngres = 0;
}

static int tmpl_init(struct node_tmpl *t, sl_error_t *e)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < NKEYS; i++)
        if (node_keys[i].def && conf_key_set(&node_keys[i], t, node_keys[i].def, e) < 0)
            return -1;
    return 0;
}

static int tmpl_copy(struct node_tmpl *dst, const struct node_tmpl *src)
{
    *dst = *src;
    dst->n.hostname = dst->n.topology_file = dst->n.features = dst->addr = dst->port = NULL;
    dst->n.gres = NULL;
    dst->n.gres_list = conf_gres_copy(src->n.gres_list, src->n.ngres);
    if ((src->n.ngres && !dst->n.gres_list) || conf_strset(&dst->n.gres, src->n.gres) < 0
        || conf_strset(&dst->n.hostname, src->n.hostname) < 0
        || conf_strset(&dst->n.topology_file, src->n.topology_file) < 0
        || conf_strset(&dst->n.features, src->n.features) < 0
        || conf_strset(&dst->addr, src->addr) < 0 || conf_strset(&dst->port, src->port) < 0) {
        tmpl_free(dst);
        return -1;
    }
    return 0;
}

/* FNV-1a; the table only needs a cheap, decent spread. */
static size_t name_hash(const char *s)
{
    size_t h = (size_t)2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The name hash lives in the conf (node_slots: index + 1, 0 = empty): the
 * parser fills it, and the controller looks nodes up by name through it. */
long conf_node_idx(const conf_t *c, const char *name)
{
    if (!c->node_nslots)
        return -1;
    for (size_t i = name_hash(name) & (c->node_nslots - 1);; i = (i + 1) & (c->node_nslots - 1)) {
        size_t v = c->node_slots[i];
        if (!v)
            return -1;
        if (strcmp(c->nodes[v - 1].name, name) == 0)
            return (long)(v - 1);
    }
}

static void slot_put(size_t *slots, size_t nslots, const char *name, size_t v)
{
    size_t i = name_hash(name) & (nslots - 1);
    while (slots[i])
        i = (i + 1) & (nslots - 1);
    slots[i] = v;
}

/* Room for one more node in c->nodes and in the hash (kept half empty). */
static int nodes_grow(struct conf_parser *p)
{
    conf_t *c = p->c;

    if (c->nnodes == p->nodes_cap) {
        size_t cap = p->nodes_cap ? p->nodes_cap * 2 : 16;
        struct conf_node *nodes = realloc(c->nodes, cap * sizeof(*nodes));
        if (!nodes)
            return -1;
        c->nodes = nodes;
        p->nodes_cap = cap;
    }
    if (2 * (c->nnodes + 1) > c->node_nslots) {
        size_t nslots = c->node_nslots ? c->node_nslots * 2 : 64;
        size_t *slots = calloc(nslots, sizeof(*slots));
        if (!slots)
            return -1;
        for (size_t i = 0; i < c->nnodes; i++)
            slot_put(slots, nslots, c->nodes[i].name, i + 1);
        free(c->node_slots);
        c->node_slots = slots;
        c->node_nslots = nslots;
    }
    return 0;
}

void conf_node_free(struct conf_node *n)
{
    free(n->name);
    free(n->hostname);
    free(n->topology_file);
    free(n->features);
    free(n->spool_dir);
    free(n->gres);
    free(n->instance_type);
    free(n->instance_types);
    conf_gres_free(n->gres_list, n->ngres);
}

/* Expand a per-node value; it must give one value per name, or a single
 * value where single_ok allows it. */
static hostlist_t *pair_values(const struct conf_where *w, const char *key, const char *what,
                               const char *expr, size_t nnames, int single_ok, sl_error_t *e)
{
    hostlist_t *hl = hostlist_expand(expr, e);
    size_t n;

    if (!hl) {
        sl_errprefix(e, "%s:%d: bad value for %s", w->file, w->line, key);
        return NULL;
    }
    n = hostlist_count(hl);
    if (n != nnames && !(n == 1 && single_ok)) {
        sl_errprintf(e, "%s:%d: %s= gives %zu %s%s for %zu node%s", w->file, w->line, key, n,
                     what, n == 1 ? "" : "s", nnames, nnames == 1 ? "" : "s");
        hostlist_destroy(hl);
        return NULL;
    }
    return hl;
}

static const char *pair_nth(const hostlist_t *hl, size_t i)
{
    return hostlist_nth(hl, hostlist_count(hl) == 1 ? 0 : i);
}

/* Fill in what the line left out, from what it gave. */
static int tmpl_derive(struct node_tmpl *t, const struct conf_where *w, sl_error_t *e)
{
    struct conf_node *n = &t->n;
    uint64_t st = (uint64_t)n->sockets * n->threads_per_core;

    if (!(t->set & KEYBIT("CPUs"))) {
        uint64_t cpus;
        if (!(t->set & KEYBIT("CoresPerSocket")))
            n->cores_per_socket = 1;
        cpus = st * n->cores_per_socket;
        if (cpus > (1u << 20))
            return sl_errprintf(e, "%s:%d: Sockets*CoresPerSocket*ThreadsPerCore is %llu, "
                                "too many CPUs", w->file, w->line, (unsigned long long)cpus);
        n->cpus = (uint32_t)cpus;
    } else if (!(t->set & KEYBIT("CoresPerSocket"))) {
        n->cores_per_socket = n->cpus / st ? (uint32_t)(n->cpus / st) : 1;
    }
    return 0;
}

static int node_add(struct conf_parser *p, const struct conf_where *w,
                    const struct node_tmpl *t, const char *name, const char *host,
                    const char *port, sl_error_t *e)
{
    struct conf_node *n;
    long v;

    if (conf_node_idx(p->c, name) >= 0)
        return sl_errprintf(e, "%s:%d: node '%s' is defined twice", w->file, w->line, name);
    if (parse_int(port, 1, 65535, NULL, &v, e) < 0)
        return sl_errprefix(e, "%s:%d: bad value for Port", w->file, w->line);
    if (nodes_grow(p) < 0)
        return sl_errprintf(e, "out of memory");
    n = &p->c->nodes[p->c->nnodes];
    *n = t->n;
    n->port = (int)v;
    n->name = n->hostname = n->topology_file = n->features = n->spool_dir = n->gres = NULL;
    n->instance_type = n->instance_types = NULL;
    n->gres_list = conf_gres_copy(t->n.gres_list, t->n.ngres);
    if ((t->n.ngres && !n->gres_list) || conf_strset(&n->gres, t->n.gres) < 0
        || conf_strset(&n->name, name) < 0 || conf_strset(&n->hostname, host) < 0
        || conf_strset(&n->topology_file, t->n.topology_file) < 0
        || conf_strset(&n->features, t->n.features) < 0) {
        conf_node_free(n);
        return sl_errprintf(e, "out of memory");
    }
    slot_put(p->c->node_slots, p->c->node_nslots, name, ++p->c->nnodes);
    return 0;
}

/* Create one node per name from the finished template. */
static int nodes_create(struct conf_parser *p, const struct conf_where *w,
                        const struct node_tmpl *t, const char *expr, sl_error_t *e)
{
    const char *hostexpr = t->n.hostname ? t->n.hostname : t->addr ? t->addr : "localhost";
    const char *hostkey = t->n.hostname ? "NodeHostname" : "NodeAddr";
    hostlist_t *names = hostlist_expand(expr, e), *ports = NULL, *hosts = NULL;
    size_t nn;
    int rc = -1;

    if (!names)
        return sl_errprefix(e, "%s:%d: bad value for NodeName", w->file, w->line);
    nn = hostlist_count(names);
    if (nn == 0) {
        sl_errprintf(e, "%s:%d: bad value for NodeName: no names in '%s'", w->file, w->line,
                     expr);
        goto out;
    }
    /* Nodes sharing a host need a port each; nodes on their own hosts
     * may share one. */
    if (!(hosts = pair_values(w, hostkey, "name", hostexpr, nn, 1, e))
        || !(ports = pair_values(w, "Port", "port", t->port, nn,
                                 hostlist_count(hosts) == nn, e)))
        goto out;
    for (size_t i = 0; i < nn; i++)
        if (node_add(p, w, t, hostlist_nth(names, i), pair_nth(hosts, i), pair_nth(ports, i),
                     e) < 0)
            goto out;
    rc = 0;
out:
    hostlist_destroy(names);
    hostlist_destroy(ports);
    hostlist_destroy(hosts);
    return rc;
}

static int state_init(struct conf_parser *p, sl_error_t *e)
{
    if (p->ns)
        return 0;
    if (!(p->ns = calloc(1, sizeof(*p->ns))))
        return sl_errprintf(e, "out of memory");
    return tmpl_init(&p->ns->def, e);
}

static int gres_uses_add(struct conf_node_state *ns, const struct conf_where *w,
                         const struct conf_node *n)
{
    /* Gres= with nothing in it (none): realloc(p, 0) would free the list. */
    if (n->ngres == 0)
        return 0;
    struct gres_use *u = realloc(ns->uses, (ns->nuses + n->ngres) * sizeof(*u));
    if (!u)
        return -1;
    ns->uses = u;
    for (size_t i = 0; i < n->ngres; i++) {
        u[ns->nuses].w = *w;
        if (!(u[ns->nuses].name = strdup(n->gres_list[i].name)))
            return -1;
        ns->nuses++;
    }
    return 0;
}

/* As Slurm: a gres a node offers must be declared in GresTypes. */
static int gres_uses_check(const struct conf_parser *p, sl_error_t *e)
{
    const char *types = p->c->gres_types;
    for (size_t i = 0; p->ns && i < p->ns->nuses; i++) {
        const struct gres_use *u = &p->ns->uses[i];
        int found = 0;
        char *copy = types ? strdup(types) : NULL, *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !found;
             t = strtok_r(NULL, ",", &save))
            found = strcasecmp(t, u->name) == 0;
        free(copy);
        if (!found)
            return sl_errprintf(e, "%s:%d: Gres=%s...: '%s' is not in GresTypes (%s)",
                                u->w.file, u->w.line, u->name, u->name,
                                types ? types : "not set: add GresTypes=gpu");
    }
    return 0;
}

int conf_node_line(struct conf_parser *p, const struct conf_where *w,
                   const struct conf_pair *kv, size_t n, sl_error_t *e)
{
    struct node_tmpl t;
    int rc = -1;

    if (state_init(p, e) < 0)
        return -1;
    if (!*kv[0].val)
        return sl_errprintf(e, "%s:%d: bad value for NodeName: empty value", w->file, w->line);
    if (tmpl_copy(&t, &p->ns->def) < 0)
        return sl_errprintf(e, "out of memory");
    if (conf_keys_apply(node_keys, NKEYS, &t, &t.set, w, kv, n, e) < 0)
        goto out;
    if ((t.set & KEYBIT("Gres")) && gres_uses_add(p->ns, w, &t.n) < 0) {
        sl_errprintf(e, "out of memory");
        goto out;
    }
    if (strcasecmp(kv[0].val, "DEFAULT") == 0) {
        tmpl_free(&p->ns->def);
        p->ns->def = t;
        return 0;
    }
    if (tmpl_derive(&t, w, e) == 0)
        rc = nodes_create(p, w, &t, kv[0].val, e);
out:
    tmpl_free(&t);
    return rc;
}

/* "%n" in the SpoolDir pattern becomes the node's name. */
static char *spool_expand(const char *pattern, const char *name)
{
    size_t len = 1, nlen = strlen(name);
    char *out, *o;

    for (const char *s = pattern; *s; s++)
        len += (s[0] == '%' && s[1] == 'n') ? (s++, nlen) : 1;
    if (!(o = out = malloc(len)))
        return NULL;
    for (const char *s = pattern; *s; s++) {
        if (s[0] == '%' && s[1] == 'n') {
            memcpy(o, name, nlen);
            o += nlen;
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

int conf_nodes_finish(struct conf_parser *p, sl_error_t *e)
{
    if (gres_uses_check(p, e) < 0)
        return -1;
    for (size_t i = 0; i < p->c->nnodes; i++) {
        struct conf_node *n = &p->c->nodes[i];
        free(n->spool_dir);
        if (!(n->spool_dir = spool_expand(p->c->spool_dir, n->name)))
            return sl_errprintf(e, "out of memory");
    }
    return 0;
}

void conf_node_state_free(struct conf_parser *p)
{
    if (!p->ns)
        return;
    tmpl_free(&p->ns->def);
    for (size_t i = 0; i < p->ns->nuses; i++)
        free(p->ns->uses[i].name);
    free(p->ns->uses);
    free(p->ns);
    p->ns = NULL;
}
