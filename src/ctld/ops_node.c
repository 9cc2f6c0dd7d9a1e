/* ops_node.c: the node channel: registration, heartbeats, job reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "ctld.h"
#include "hostlist.h"
#include "log.h"
#include "power.h"
#include "steps.h"

static void node_touch(struct ctld *c, struct node *n)
{
    n->last_seen = ctld_now();
    node_watch(c, n);
}

static int job_on_node(struct ctld *c, const struct job *j, const struct node *n)
{
    if (job_is_pending(j) || job_is_terminal(j) || !j->nodes)
        return 0;
    hostlist_t *hl = hostlist_expand(j->nodes, NULL);
    int first = hl && hostlist_count(hl) && strcmp(hostlist_nth(hl, 0), n->name) == 0;
    hostlist_destroy(hl);
    return first;
}

/* The attempt a node's report names; -1 when it does not say (an older
 * sluiced): then it is taken to be the current one. */
static int64_t report_attempt(json_t *v)
{
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Is a report of (j, attempt) from n about the job's current copy there? */
static int report_current(struct ctld *c, const struct job *j, const struct node *n,
                          int64_t attempt)
{
    return j && job_on_node(c, j, n) && (attempt < 0 || attempt == (int64_t)j->restart_count);
}

static void send_terminate(struct node *n, json_int_t id, int64_t attempt, const char *why)
{
    json_t *body = json_pack("{s:I, s:s}", "job_id", id, "reason", why);
    if (attempt >= 0)
        json_object_set_new(body, "attempt", json_integer(attempt));
    node_send(n, "job_terminate", body);
}

/* Jobs the node does not report and does not end within a grace period
 * were lost with the node: a launch that never arrived is requeued (it never
 * ran); a running job ends NODE_FAIL, or is requeued with --requeue. */
struct reconcile {
    struct ctld *c;
    struct node *node;
    json_t *missing;      /* [id, attempt] expected here that the node did not report */
    struct event *ev;
};

void node_reconcile_cancel(struct node *n)
{
    struct reconcile *r = n->reconcile;
    if (!r)
        return;
    event_free(r->ev);
    json_decref(r->missing);
    free(r);
    n->reconcile = NULL;
}

static void reconcile_cb(evutil_socket_t fd, short what, void *arg)
{
    struct reconcile *r = arg;
    struct ctld *c = r->c;
    size_t i;
    json_t *v;
    /* Only jobs that were already there when the node registered: jobs
     * started since then are not in its list and are fine. */
    size_t settled = 0;
    json_array_foreach(r->missing, i, v) {
        struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_array_get(v, 0)));
        /* A later attempt (the missing one's result came, and the job was
         * requeued and started again) is not the run the node lacked. */
        if (!j || !job_on_node(c, j, r->node) || j->fencing ||
            j->restart_count != (uint32_t)json_integer_value(json_array_get(v, 1)))
            continue;
        settled++;
        if (j->state == JOB_STARTING && !j->completing)
            ctld_job_requeue(c, j, "launch lost");
        else
            ctld_job_node_failed(c, j);
    }
    log_info("node %s: %zu of the %zu jobs it did not report settled", r->node->name, settled,
             json_array_size(r->missing));
    node_reconcile_cancel(r->node);
}

/* What the node runs: the current copy of a job, or a leftover (an
 * attempt the controller has given up on, or a job it no longer knows),
 * which is killed as Slurm kills it, without touching the job's record. */
static void node_reconcile(struct ctld *c, struct node *n, json_t *running, json_t *attempts)
{
    size_t i;
    json_t *v;
    json_array_foreach(running, i, v) {
        struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(v));
        int64_t att = report_attempt(json_array_get(attempts, i));
        if (!report_current(c, j, n, att)) {
            log_warn("node %s still runs job %lld (attempt %lld), which is not expected "
                     "there: killing it", n->name, (long long)json_integer_value(v),
                     (long long)att);
            send_terminate(n, json_integer_value(v), att, "unexpected");
        } else if (j->fencing || j->completing) {
            /* On its way out (lease ran out, or cancelled while away). */
            send_terminate(n, json_integer_value(v), att, j->fencing ? "node lost" : "cancelled");
        } else if (j->state == JOB_STARTING) {
            j->state = JOB_RUNNING;
            steps_job_running(c, j);
            ctld_job_save(c, j);
        }
    }
    json_t *missing = json_array();
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        int seen = 0;
        if (!job_on_node(c, j, n) || j->fencing)
            continue;
        json_array_foreach(running, i, v) seen |= json_integer_value(v) == j->id;
        if (!seen)
            json_array_append_new(missing, json_pack("[i, i]", (int)j->id, (int)j->restart_count));
    }
    node_reconcile_cancel(n);
    if (!json_array_size(missing)) {
        json_decref(missing);
        return;
    }
    struct reconcile *r = calloc(1, sizeof(*r));
    struct timeval grace = { 3, 0 };
    n->reconcile = r;
    r->c = c;
    r->node = n;
    r->missing = missing;
    r->ev = evtimer_new(c->base, reconcile_cb, r);
    evtimer_add(r->ev, &grace);
}

/* The load and free memory a registration or heartbeat reports. */
static void node_load(struct node *n, json_t *q)
{
    json_t *load = json_object_get(q, "cpu_load"), *mem = json_object_get(q, "free_mem_mb");
    if (!json_is_integer(load) || !json_is_integer(mem))
        return;
    n->load_known = 1;
    n->cpu_load = json_integer_value(load);
    n->free_mem_mb = json_integer_value(mem);
}

void op_node_register(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    const char *name = json_string_value(json_object_get(q, "name"));
    struct node *n = name ? node_find(c, name) : NULL;
    json_t *running = json_object_get(q, "running");
    if (!n) {
        conn_error(conn, id, "ENOENT", "node '%s' is not in the configuration",
                   name ? name : "?");
        return;
    }
    sl_error_t e;
    if (nodechan_attach(c, conn, n, &e) < 0) {
        log_error("node_register from %s refused: %s", conn_peer(conn), e.text);
        conn_error(conn, id, "EPERM", "%s", e.text);
        return;
    }
    n->registered = 1;
    n->boot_time = ctld_now();
    if (n->down && n->reason && strcmp(n->reason, "Not responding") == 0) {
        n->down = 0;
        job_set_str(&n->reason, NULL);
    }
    node_hw_register(c, n, q);
    node_load(n, q);
    node_touch(c, n);
    node_save(c, n);
    log_info("node %s registered from %s (%u CPUs, %llu MB)", n->name, conn_peer(conn),
             n->rep_cpus, (unsigned long long)n->rep_mem_mb);
    conn_reply(conn, id, json_pack("{s:i, s:i}", "heartbeat_interval",
                                   c->conf->heartbeat_interval, "lease", c->conf->node_timeout));
    /* A node that just powered up runs nothing of ours: jobs that waited
     * for it launch now instead of being reconciled. */
    if (!power_node_registered(c, n))
        node_reconcile(c, n, json_is_array(running) ? running : NULL,
                       json_object_get(q, "running_attempts"));
    ctld_sched_request(c);
}

/* One heartbeat speaks for every node of the connection.  Its reply renews
 * the node's lease (NodeTimeout, counted by the node from when it sent the
 * heartbeat): never for a node that has been declared DOWN since, which
 * must register again. */
void op_node_heartbeat(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct node **nodes;
    size_t n = nodechan_nodes(conn, &nodes), live = 0;
    for (size_t i = 0; i < n; i++) {
        if (nodes[i]->chan == conn && nodes[i]->registered) {
            node_touch(c, nodes[i]);
            node_load(nodes[i], q);
            live++;
        }
    }
    if (!live) {
        conn_error(conn, id, "EPROTO", "register the node first");
        return;
    }
    conn_reply(conn, id, json_pack("{s:i}", "lease", c->conf->node_timeout));
}

/* A node's report on its channel: the node, its liveness refreshed (NULL:
 * answered already, not a registered node). */
static struct node *report_node(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *q)
{
    struct node *n = nodechan_node(conn, id, q);
    if (n)
        node_touch(c, n);
    return n;
}

void op_job_started(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct node *n = report_node(c, conn, id, q);
    if (!n)
        return;
    struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_object_get(q, "job_id")));
    /* Not a durable write of its own: after a restart the node's
     * registration says again that the job runs, and queries of active jobs
     * read memory.  The next change of the job persists it. */
    if (report_current(c, j, n, report_attempt(json_object_get(q, "attempt"))) &&
        j->state == JOB_STARTING) {
        j->state = JOB_RUNNING;
        steps_job_running(c, j);
        ctld_kick(c);      /* job_alloc_wait's replies are looked at after the flush */
    }
    conn_reply(conn, id, json_object());
}

static enum job_end job_end_from(const struct job *j, json_t *q, const char **reason)
{
    const char *failure = json_string_value(json_object_get(q, "failure"));
    int code = (int)json_integer_value(json_object_get(q, "exit_code"));
    int sig = (int)json_integer_value(json_object_get(q, "exit_signal"));
    *reason = NULL;
    if (json_is_true(json_object_get(q, "timed_out"))) {
        *reason = "TimeLimit";   /* as Slurm: squeue shows (TimeLimit) */
        return END_TIMEOUT;
    }
    if (json_is_true(json_object_get(q, "cancelled")) || j->completing)
        return END_CANCELLED;
    if (json_is_true(json_object_get(q, "oom"))) {
        *reason = "OutOfMemory";
        return END_OUT_OF_MEMORY;
    }
    if (failure) {
        *reason = failure;
        return END_FAILED;
    }
    if (code == 0 && sig == 0)
        return END_COMPLETED;
    *reason = "NonZeroExitCode";
    return END_FAILED;
}

/* A step's stepd on this node has exited (doc/protocol.md): kept with the
 * step if it still runs (srun's step_complete not come yet), else nothing. */
void op_step_node_ended(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct node *n = report_node(c, conn, id, q);
    if (!n)
        return;
    struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_object_get(q, "job_id")));
    json_int_t step_id = json_integer_value(json_object_get(q, "step_id"));
    json_t *rec = j && step_id >= 0 ? step_running(j, step_id, NULL) : NULL;
    if (rec)
        step_node_ended(rec, n->name, json_is_true(json_object_get(q, "ok")));
    conn_reply(conn, id, json_object());
}

void op_job_ended(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    struct node *n = report_node(c, conn, id, q);
    if (!n)
        return;
    struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_object_get(q, "job_id")));
    if (!report_current(c, j, n, report_attempt(json_object_get(q, "attempt")))) {
        /* Already settled, or an attempt given up on: acknowledged, and the
         * job's current attempt is left alone. */
        conn_reply(conn, id, json_object());
        return;
    }
    /* Recorded with the batch step, which ends with the job below. */
    step_set_usage(step_running(j, STEP_ID_BATCH, NULL), json_object_get(q, "usage"));
    if (!j->alloc_end) {    /* else job_complete gave salloc's command's status */
        j->exit_code = (int32_t)json_integer_value(json_object_get(q, "exit_code"));
        j->exit_signal = (int32_t)json_integer_value(json_object_get(q, "exit_signal"));
        /* Slurm reports a job the OOM killer ended as 0:125 (its SIG_OOM, 253,
         * seen through WTERMSIG), whatever the script's own status was. */
        if (json_is_true(json_object_get(q, "oom")) && !json_is_true(json_object_get(q,
                                                                        "cancelled"))) {
            j->exit_code = 0;
            j->exit_signal = 125;
        }
    }
    if (j->fencing || json_is_true(json_object_get(q, "fenced"))) {
        /* The copy stopped because the node lost the controller: a node
         * failure, whatever its exit status says. */
        ctld_job_node_failed(c, j);
        ctld_reply_later(c, conn, id, json_object());
        return;
    }
    const char *reason;
    enum job_end end = job_end_from(j, q, &reason);
    ctld_job_finish(c, j, end, reason);
    ctld_reply_later(c, conn, id, json_object());
}
