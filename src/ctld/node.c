/* node.c: node runtime state, timeouts, and the node table's life. */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "ctld.h"
#include "elastic_part.h"
#include "db.h"
#include "hostlist.h"
#include "lease.h"
#include "node_gpus.h"
#include "log.h"
#include "nodealloc.h"
#include "power.h"
#include "proto.h"

struct node *node_find(struct ctld *c, const char *name)
{
    long i = conf_node_idx(c->conf, name);
    return i >= 0 && (size_t)i < c->nnodes ? c->nodes[i] : NULL;
}

struct node *node_of_part(struct ctld *c, const struct conf_partition *p, size_t k)
{
    return c->nodes[p->node_idx[k]];
}

const char *node_state_name(const struct node *n)
{
    if (n->down)
        return "DOWN";
    if (n->drain)
        return n->njobs ? "DRAINING" : "DRAINED";
    if (!n->registered && !power_node_off(n))
        return "UNKNOWN";
    if (n->njobs == 0)
        return "IDLE";
    return n->alloc_cpus >= n->cfg->cpus ? "ALLOCATED" : "MIXED";
}

int node_usable(const struct node *n)
{
    if (power_node_off(n))         /* a job placed there resumes it */
        return power_node_plannable(n);
    return !n->power_req && n->registered && n->chan && !n->down && !n->drain;
}

/* Layout and GPUs from node_topo: what jobs are given from. */
static json_t *node_to_json_base(struct ctld *c, struct node *n)
{
    json_t *parts = json_array();
    for (size_t i = 0; i < c->conf->nparts; i++) {
        const struct conf_partition *p = &c->conf->parts[i];
        for (size_t k = 0; k < p->nnodes; k++) {
            if (strcmp(p->nodes[k], n->name) == 0) {
                json_array_append_new(parts, json_string(p->name));
                break;
            }
        }
    }
    const struct conf_node *cfg = n->cfg;
    const topo_t *t = node_topo(n);
    char gres[1024], used[2048];
    node_gres_string(t, gres, sizeof(gres));
    node_gres_used_string(t, n->used_gpus, used, sizeof(used));
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:b, s:s, s:I, s:i, s:i, s:i, s:i, s:i, s:I, s:I,"
                          " s:o, s:I, s:I, s:s, s:i, s:I}",
                          "name", n->name, "hostname", cfg->hostname, "port", cfg->port,
                          "state", node_state_name(n), "responding", n->chan != NULL, "reason",
                          n->reason ? n->reason : "", "reason_time", (json_int_t)n->reason_time,
                          "reason_user", n->reason_uid, "cpus", (int)cfg->cpus, "alloc_cpus",
                          (int)n->alloc_cpus, "sockets", (int)t->sockets, "cores_per_socket",
                          (int)t->cores_per_socket, "memory_mb",
                          (json_int_t)cfg->real_memory_mb, "alloc_mem_mb",
                          (json_int_t)n->alloc_mem_mb, "partitions", parts, "boot_time",
                          (json_int_t)n->boot_time, "last_seen", (json_int_t)n->last_seen,
                          "features", cfg->features ? cfg->features : "", "threads_per_core",
                          (int)t->threads_per_core, "jobs", (json_int_t)n->njobs);
    json_object_set_new(o, "gres", json_string(gres));
    json_object_set_new(o, "gres_used", json_string(used));
    json_object_set_new(o, "gpus", json_integer(t->ngpus));
    json_object_set_new(o, "weight", json_integer(cfg->weight));
    json_object_set_new(o, "tmp_disk_mb", json_integer((json_int_t)cfg->tmp_disk_mb));
    if (n->load_known)
        json_object_update_new(o, json_pack("{s:I, s:I}", "cpu_load", (json_int_t)n->cpu_load,
                                            "free_mem_mb", (json_int_t)n->free_mem_mb));
    return o;
}

json_t *node_to_json(struct ctld *c, struct node *n)
{
    json_t *o = node_to_json_base(c, n);
    power_node_json(n, o);
    return o;
}

void node_save(struct ctld *c, struct node *n)
{
    json_t *rec = json_pack("{s:b, s:b, s:s?, s:I, s:i}", "drain", n->drain, "down",
                            n->down && n->registered == 0 ? 0 : n->down, "reason", n->reason,
                            "reason_time", (json_int_t)n->reason_time, "reason_uid",
                            n->reason_uid);
    power_node_save(n, rec);
    db_node_save(c->db, n->name, rec);
    json_decref(rec);
    ctld_kick(c);
}

void node_alloc(struct node *n, uint32_t cpus, uint64_t mem)
{
    n->alloc_cpus += cpus;
    n->alloc_mem_mb += mem;
    n->njobs++;
}

void node_free(struct node *n, uint32_t cpus, uint64_t mem)
{
    n->alloc_cpus = n->alloc_cpus > cpus ? n->alloc_cpus - cpus : 0;
    n->alloc_mem_mb = n->alloc_mem_mb > mem ? n->alloc_mem_mb - mem : 0;
    if (n->njobs)
        n->njobs--;
}

/* CPUs per partition on a node, for MaxCPUsPerNode. */
static void node_part_cpus(struct ctld *c, struct node *n, const char *part, uint32_t cpus,
                           int alloc)
{
    const struct conf_partition *p = part ? conf_part_find(c->conf, part) : NULL;
    size_t pi = p ? (size_t)(p - c->conf->parts) : 0;
    if (!p)
        return;
    if (n->npart_cpus != c->conf->nparts) {
        free(n->part_cpus);
        n->npart_cpus = c->conf->nparts;
        n->part_cpus = calloc(n->npart_cpus + 1, sizeof(*n->part_cpus));
    }
    if (!n->part_cpus)
        return;
    if (alloc)
        n->part_cpus[pi] += cpus;
    else
        n->part_cpus[pi] = n->part_cpus[pi] > cpus ? n->part_cpus[pi] - cpus : 0;
}

uint32_t node_part_cpus_used(struct ctld *c, const struct node *n,
                             const struct conf_partition *p)
{
    size_t pi = (size_t)(p - c->conf->parts);
    return n->part_cpus && n->npart_cpus == c->conf->nparts ? n->part_cpus[pi] : 0;
}

static void job_nodes_apply(struct ctld *c, struct job *j, int alloc)
{
    if (!j->nodes)
        return;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    for (size_t i = 0; hl && i < hostlist_count(hl); i++) {
        struct node *n = node_find(c, hostlist_nth(hl, i));
        if (!n)
            continue;
        int64_t cpus = nodealloc_apply(n, j, alloc);   /* which CPUs and GPUs */
        if (cpus < 0)
            cpus = j->cpus_per_node;
        node_part_cpus(c, n, j->partition, (uint32_t)cpus, alloc);
        if (alloc)
            node_alloc(n, (uint32_t)cpus, j->alloc_mem_mb);
        else
            node_free(n, (uint32_t)cpus, j->alloc_mem_mb);
    }
    hostlist_destroy(hl);
}

void job_alloc_nodes(struct ctld *c, struct job *j)
{
    job_nodes_apply(c, j, 1);
}

void job_free_nodes(struct ctld *c, struct job *j)
{
    job_nodes_apply(c, j, 0);
}

/* Pushes name their node: one sluiced may serve several (NodesPerDaemon). */
void node_send(struct node *n, const char *op, json_t *body)
{
    if (n->chan) {
        json_object_set_new(body, "node", json_string(n->name));
        conn_send(n->chan, proto_request(op, 0, body));
    } else {
        json_decref(body);
    }
}

static int job_uses_node(const struct job *j, const struct node *n)
{
    if (job_is_pending(j) || job_is_terminal(j) || !j->nodes)
        return 0;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    int hit = hl && hostlist_find(hl, n->name) >= 0;
    hostlist_destroy(hl);
    return hit;
}

/* The node that runs the job's batch script (its copy), as in Slurm. */
static struct node *job_first_node(struct ctld *c, const struct job *j)
{
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    struct node *n = hl && hostlist_count(hl) ? node_find(c, hostlist_nth(hl, 0)) : NULL;
    hostlist_destroy(hl);
    return n;
}

/* Another node runs the copy of a job that lost node n, and still answers:
 * that copy is told to stop, and its job_ended settles the job. */
static int job_copy_elsewhere(struct ctld *c, const struct job *j, const struct node *n)
{
    struct node *first = job_first_node(c, j);
    return first && first != n && first->registered && first->chan;
}

/* The node's lease has run out and its stepds have had KillWait and more to
 * stop their jobs: the old copies are gone, new attempts may start. */
static void node_fence_cb(evutil_socket_t fd, short what, void *arg)
{
    struct node *n = arg;
    struct ctld *c = n->ctld;

    for (struct job *j = jobtab_first(c->jobs), *next; j; j = next) {
        next = j->next;
        if (j->fencing && job_uses_node(j, n) && !job_copy_elsewhere(c, j, n))
            ctld_job_node_failed(c, j);
    }
    ctld_sched_request(c);
}

/* NodeTimeout after the last contact: the node is DOWN.  Its lease (the
 * same length, counted by the node from an earlier moment) has run out
 * too, so its jobs are stopping themselves; they end (or get a new attempt)
 * once that has surely happened (node_fence_cb).  The link is dropped: the
 * node must register again, which tells which of its copies to kill. */
static void node_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct node *n = arg;
    struct ctld *c = n->ctld;
    struct timeval fence = { c->conf->kill_wait + LEASE_CHECK_S + NODE_FENCE_SLACK_S, 0 };
    int fencing = 0;

    if (n->down || power_node_off(n))   /* powered down: ResumeTimeout applies instead */
        return;
    log_warn("node %s not responding for %d s: setting it DOWN", n->name,
             c->conf->node_timeout);
    n->down = 1;
    n->registered = 0;
    job_set_str(&n->reason, "Not responding");
    n->reason_time = ctld_now();
    n->reason_uid = 0;
    node_reconcile_cancel(n);
    nodechan_detach(n);
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        if (!job_uses_node(j, n))
            continue;
        if (job_copy_elsewhere(c, j, n)) {
            log_info("job %u: node %s lost; stopping its copy on %s", j->id, n->name,
                     job_first_node(c, j)->name);
            node_send(job_first_node(c, j), "job_terminate",
                      json_pack("{s:i, s:i, s:s}", "job_id", (int)j->id, "attempt",
                                (int)j->restart_count, "reason", "node lost"));
        } else if (!j->fencing) {
            log_info("job %u: node %s lost; its copy there stops by itself within %ld s",
                     j->id, n->name, (long)fence.tv_sec);
        }
        j->fencing = 1;
        fencing++;
    }
    if (fencing)
        evtimer_add(n->fence_ev, &fence);
    node_save(c, n);
    ctld_sched_request(c);
}

static struct node *node_create(struct ctld *c, const struct conf_node *cfg, json_t *saved)
{
    struct node *n = calloc(1, sizeof(*n));
    n->cfg = cfg;
    n->name = strdup(cfg->name);
    n->ctld = c;
    n->timeout_ev = evtimer_new(c->base, node_timeout_cb, n);
    n->fence_ev = evtimer_new(c->base, node_fence_cb, n);
    json_t *rec = json_object_get(saved, cfg->name);
    if (rec) {
        n->drain = json_is_true(json_object_get(rec, "drain"));
        n->down = json_is_true(json_object_get(rec, "down"));
        job_set_str(&n->reason, json_string_value(json_object_get(rec, "reason")));
        n->reason_time = json_integer_value(json_object_get(rec, "reason_time"));
        n->reason_uid = (int32_t)json_integer_value(json_object_get(rec, "reason_uid"));
    }
    power_node_load(n, rec);
    node_watch(c, n);
    return n;
}

/* (Re)start the node's NodeTimeout; NodeTimeout=0 means never (Slurm's
 * SlurmdTimeout=0), and the nodes then hold no lease either. */
void node_watch(struct ctld *c, struct node *n)
{
    struct timeval tv = { c->conf->node_timeout, 0 };
    if (c->conf->node_timeout > 0)
        evtimer_add(n->timeout_ev, &tv);
    else
        evtimer_del(n->timeout_ev);
}

static void node_destroy(struct node *n)
{
    node_reconcile_cancel(n);
    nodechan_detach(n);
    event_free(n->timeout_ev);
    event_free(n->fence_ev);
    free(n->reason);
    free(n->name);
    topo_destroy(n->topo);
    node_topo_reset(n);
    free(n->topo_error);
    idset_destroy(n->used_cpus);
    idset_destroy(n->used_gpus);
    free(n->part_cpus);
    free(n->instance);
    free(n->etype_cfg);
    free(n);
}

int node_setup(struct ctld *c, sl_error_t *e)
{
    json_t *saved = db_nodes_load(c->db);
    c->nnodes = c->conf->nnodes;
    c->nodes = calloc(c->nnodes ? c->nnodes : 1, sizeof(*c->nodes));
    for (size_t i = 0; i < c->nnodes; i++) {
        c->nodes[i] = node_create(c, &c->conf->nodes[i], saved);
        c->nodes[i]->index = i;
    }
    json_decref(saved);
    return 0;
}

int node_reconfigure(struct ctld *c, conf_t *newconf, sl_error_t *e)
{
    struct node **nodes = calloc(newconf->nnodes ? newconf->nnodes : 1, sizeof(*nodes));
    for (size_t i = 0; i < newconf->nnodes; i++) {
        struct node *old = node_find(c, newconf->nodes[i].name);
        if (old) {
            elastic_node_reconfigure(newconf, old, &newconf->nodes[i]);
            node_topo_reset(old);     /* its Gres= or counts may have changed */
            nodes[i] = old;
        } else {
            nodes[i] = node_create(c, &newconf->nodes[i], NULL);
        }
    }
    for (size_t i = 0; i < c->nnodes; i++) {
        int kept = 0;
        for (size_t k = 0; k < newconf->nnodes && !kept; k++)
            kept = nodes[k] == c->nodes[i];
        if (!kept)
            node_destroy(c->nodes[i]);
    }
    free(c->nodes);
    c->nodes = nodes;
    c->nnodes = newconf->nnodes;
    /* Recount allocations from the jobs that hold them. */
    for (size_t i = 0; i < c->nnodes; i++) {
        c->nodes[i]->index = i;
        c->nodes[i]->alloc_cpus = 0;
        c->nodes[i]->alloc_mem_mb = 0;
        c->nodes[i]->njobs = 0;
        idset_destroy(c->nodes[i]->used_cpus);
        idset_destroy(c->nodes[i]->used_gpus);
        c->nodes[i]->used_cpus = c->nodes[i]->used_gpus = NULL;
        free(c->nodes[i]->part_cpus);
        c->nodes[i]->part_cpus = NULL;
        c->nodes[i]->npart_cpus = 0;
        topo_destroy(c->nodes[i]->cfg_topo);   /* its configuration may have changed */
        c->nodes[i]->cfg_topo = NULL;
    }
    return 0;
}

void node_teardown(struct ctld *c)
{
    for (size_t i = 0; i < c->nnodes; i++)
        node_destroy(c->nodes[i]);
    free(c->nodes);
    c->nodes = NULL;
    c->nnodes = 0;
}
