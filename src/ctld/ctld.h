/* ctld.h: the controller's state.  One event loop thread owns all of it. */
#ifndef CTLD_H
#define CTLD_H

#include <stdint.h>
#include <jansson.h>
#include "conf.h"
#include "topo.h"
#include "error.h"
#include "job.h"
#include "server.h"

struct event_base;
struct event;
struct sl_auth;
struct db;
struct jobtab;
struct reconcile;
struct queue;
struct sched_ops;
struct priority_ops;
struct sl_plugin_handle;
struct power;

/* A node's runtime state beside its configuration. */
struct node {
    const struct conf_node *cfg;   /* points into ctld->conf; refreshed on reconfigure */
    size_t index;                  /* in c->nodes */
    char *name;
    sl_conn_t *chan;               /* the node channel, NULL when disconnected */
    struct event *timeout_ev;      /* fires NodeTimeout after the last contact */
    struct ctld *ctld;
    int registered;                /* has registered since the controller started */
    int down;                      /* DOWN: timed out, or set by an admin */
    int drain;
    char *reason;
    int64_t reason_time;
    int32_t reason_uid;
    int64_t boot_time, last_seen;
    int load_known;                /* cpu_load/free_mem_mb reported (sinfo %O %e) */
    int64_t cpu_load, free_mem_mb; /* load average x 100, MiB available */
    uint32_t rep_cpus, rep_sockets, rep_cores, rep_threads;  /* reported hardware */
    uint64_t rep_mem_mb;
    uint32_t alloc_cpus;
    uint64_t alloc_mem_mb;
    uint32_t njobs;                /* jobs holding resources here */
    struct reconcile *reconcile;   /* pending check after a registration */
    struct event *fence_ev;        /* its jobs' copies are surely gone (timed out) */
    topo_t *topo;                  /* as reported in node_register; NULL before */
    topo_t *cfg_topo;              /* synthesized from the configuration (node_topo) */
    topo_t *eff_topo;              /* what node_topo returns: CPUs as reported (else
                                    * configured), GPUs as node_gpus_effective says */
    char *topo_error;              /* why the last reported topology was refused */
    idset_t *used_cpus;            /* logical CPUs that jobs hold here (NULL: none yet) */
    idset_t *used_gpus;            /* indexes into node_topo(n)->gpus that jobs hold */
    uint32_t *part_cpus;           /* CPUs held here by jobs of each partition (by index
                                    * in conf->parts; MaxCPUsPerNode), NULL: none yet */
    size_t npart_cpus;
    /* Power saving (power.h): enum power_state, enum power_req. */
    int power, power_req;
    int power_sent;                /* the plugin was asked (1), and answered a suspend (2) */
    int64_t power_since;           /* when the power state last changed */
    int64_t idle_since;            /* powered up and without jobs since */
    char *instance;                /* the cloud instance backing it, NULL if none known */
    /* An elastic node resumed as another type than its name's: its own
     * conf_node, which cfg points to (elastic_type.c); else NULL. */
    struct conf_node *etype_cfg;
};

/* After a node's NodeTimeout, how long until the copies of its jobs have
 * surely stopped: each stepd looks at its lease every LEASE_CHECK_S, then
 * takes KillWait to SIGKILL; NODE_FENCE_SLACK_S covers the rest (timer
 * latency, clock rates, the exit itself).  doc/design.md, "Leases". */
#define NODE_FENCE_SLACK_S 3

struct ctld {
    struct event_base *base;
    conf_t *conf;
    char *conf_path;
    struct sl_auth *auth;
    sl_server_t *server;
    struct db *db;
    struct jobtab *jobs;
    struct node **nodes;           /* stable pointers: they survive reconfigure */
    size_t nnodes;
    struct queue **queues;
    size_t nqueues;
    struct sl_plugin_handle *sched_h, *prio_h;
    const struct sched_ops *sched;
    const struct priority_ops *prio;
    uint32_t next_job_id;
    int64_t start_time;
    struct event *flush_ev;        /* end-of-iteration: schedule, commit, reply */
    struct event *sig_hup, *sig_term, *sig_int;
    struct event *wake_ev;         /* next begin time or after+MIN */
    struct event *purge_ev;        /* PurgeJobAfter */
    struct event *mail_ev;         /* next TIME_LIMIT_* mail (mail.c) */
    int64_t mail_at;               /* when mail_ev fires, 0 = not armed */
    int64_t wake_at;
    int sched_needed;
    double sched_next_ms;          /* earliest next pass (monotonic ms) */
    struct event *sched_timer;
    int flush_pending;
    struct power *power;           /* power saving and the cloud plugin (power.h) */
    struct resv *resvs;            /* advance reservations (resv.c) */
    struct elastic_state *elastic; /* Elastic=YES partitions (elastic_part.h) */
    struct assoc_db *assoc;        /* accounts, users, associations (assoc.h) */
};

/* The end-of-iteration work: ask for a scheduling pass and/or a commit.
 * Both run once per loop iteration however many times they are asked. */
void ctld_kick(struct ctld *c);
void ctld_sched_request(struct ctld *c);

/* Run fn after the current transaction is durable (or at once when none is
 * open).  Replies to clients and launches go through this. */
typedef void (*after_commit_fn)(struct ctld *c, void *arg);
void ctld_after_commit(struct ctld *c, after_commit_fn fn, void *arg);
/* Reply once the transaction is durable; steals body. */
void ctld_reply_later(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *body);

/* Jobs. */
struct jobtab *jobtab_create(void);
void jobtab_destroy(struct jobtab *t);
void jobtab_add(struct jobtab *t, struct job *j);     /* keeps id order */
void jobtab_remove(struct jobtab *t, struct job *j);
struct job *jobtab_find(struct jobtab *t, uint32_t id);
struct job *jobtab_first(struct jobtab *t);
struct job *jobtab_find_task(struct jobtab *t, uint32_t array_id, int32_t task);
size_t jobtab_count(struct jobtab *t);

/* Persist a job's current record (inserted with its spec on submit). */
void ctld_job_save(struct ctld *c, struct job *j);
/* Move a job to a terminal state, free its resources, persist, and drop it
 * from memory after the commit. */
void ctld_job_finish(struct ctld *c, struct job *j, enum job_end end, const char *reason);
/* Keep the record of an attempt that ended (sacct --duplicates). */
void ctld_job_record_attempt(struct ctld *c, struct job *j, enum job_end end,
                             const char *reason);
/* Send a running job back to the queue (node failure with --requeue). */
void ctld_job_requeue(struct ctld *c, struct job *j, const char *reason);
/* The job's copy on a lost node has surely stopped: record the attempt as
 * NODE_FAIL and requeue it (--requeue, retries), or end it NODE_FAIL (or
 * CANCELLED when a cancel was pending). */
void ctld_job_node_failed(struct ctld *c, struct job *j);
/* How a job terminated by the controller ends: CANCELLED, or what
 * job_complete asked for an allocation. */
enum job_end job_cancel_end(const struct job *j);

/* Job selectors (selector.c): an id, or tasks of an array. */
struct selector {
    uint32_t id;
    idset_t *tasks;   /* NULL: the whole job (or whole array) */
    int het_one;      /* "J+k": that het component only, not all of J's */
};
int selector_parse(json_t *v, struct selector *s, uint32_t limit, sl_error_t *e);
void selector_free(struct selector *s);
int selector_matches(const struct selector *s, const struct job *j);
void selector_stored(struct ctld *c, const struct selector *s, json_t *out,
                     json_t *(*get)(struct ctld *, uint32_t, int32_t));

/* Arrays (array.c). */
struct job *array_split(struct ctld *c, struct job *parent, uint32_t idx);
void array_task_ended(struct ctld *c, struct job *task);
void array_cancel(struct ctld *c, struct job *parent, const idset_t *which, uid_t uid);
/* Index of the next task that may start now (throttle, per-task
 * dependencies), or IDSET_NONE. */
uint32_t array_next_eligible(struct ctld *c, struct job *parent);

/* Dependencies (depeval.c). */
int dep_validate(struct ctld *c, const struct deplist *d, sl_error_t *e);
int dep_eval(struct ctld *c, struct job *j, int32_t task);
void dep_index_add(struct ctld *c, struct job *j);
void dep_notify(struct ctld *c, const struct job *changed);
void dep_index_fini(void);
/* Would making j depend on d create a cycle? */
int dep_cycle(struct ctld *c, uint32_t id, const struct deplist *d);

/* Retries (retry.c). */
int retry_rules_check(json_t *rules, sl_error_t *e);
int retry_wanted(const struct job *j, enum job_end end, const char *reason);

/* Job definitions (jobdef.c). */
json_t *jobdef_apply(struct ctld *c, json_t *spec, sl_error_t *e);

/* Wake the scheduler at time t (begin times, after:ID+MIN). */
void ctld_wake_at(struct ctld *c, int64_t t);
/* Apply PurgeJobAfter now and periodically. */
void ctld_purge_start(struct ctld *c);

/* Nodes (node.c).  c->nodes[i] is the node of c->conf->nodes[i]: lookups by
 * name go through the configuration's name hash. */
struct node *node_find(struct ctld *c, const char *name);
/* The k-th node of partition p (of c->conf), without a lookup by name. */
struct node *node_of_part(struct ctld *c, const struct conf_partition *p, size_t k);
int node_setup(struct ctld *c, sl_error_t *e);          /* from c->conf */
int node_reconfigure(struct ctld *c, conf_t *newconf, sl_error_t *e);
void node_teardown(struct ctld *c);
const char *node_state_name(const struct node *n);
int node_usable(const struct node *n);
/* The node's CPUs and GPUs: as it reported them, else as configured. */
/* node_hw.c.  node_topo: the node's effective topology (CPUs as reported,
 * else configured; GPUs by node_gpus_effective), cached until the node
 * registers again or the configuration is reloaded (node_topo_reset). */
const topo_t *node_topo(struct node *n);
void node_topo_reset(struct node *n);
/* node_register's hardware: counts, "topology"; drains or undrains. */
void node_hw_register(struct ctld *c, struct node *n, json_t *q);
/* Drain a node whose reported hardware is less than configured ("Low CPUs",
 * "Low RealMemory", "Low GPUs", "Bad topology"); lift such a drain when it
 * no longer holds. */
void node_hw_check(struct ctld *c, struct node *n);
json_t *node_to_json(struct ctld *c, struct node *n);
void node_alloc(struct node *n, uint32_t cpus, uint64_t mem);
void node_free(struct node *n, uint32_t cpus, uint64_t mem);
/* CPUs jobs of partition p hold on n (MaxCPUsPerNode). */
uint32_t node_part_cpus_used(struct ctld *c, const struct node *n,
                             const struct conf_partition *p);
void node_save(struct ctld *c, struct node *n);
void node_send(struct node *n, const char *op, json_t *body);
void node_reconcile_cancel(struct node *n);
void node_watch(struct ctld *c, struct node *n);
/* Apply a job's allocation to / from the nodes it names. */
void job_alloc_nodes(struct ctld *c, struct job *j);
void job_free_nodes(struct ctld *c, struct job *j);

/* Node channels (nodechan.c): the nodes a connection serves. */
int nodechan_attach(struct ctld *c, sl_conn_t *conn, struct node *n, sl_error_t *e);
void nodechan_detach(struct node *n);   /* closes a connection left serving nobody */
struct node *nodechan_node(sl_conn_t *conn, uint64_t id, json_t *q);
size_t nodechan_nodes(sl_conn_t *conn, struct node ***out);

/* Scheduler and priority plugins (plugins.c): load what the config names. */
int ctld_plugins_load(struct ctld *c, const conf_t *conf, sl_error_t *e);
void ctld_plugins_unload(struct ctld *c);
/* MaxRunnableTime: cancel jobs stuck at the head of their queue too long. */
void queue_heads_check(struct ctld *c);

/* Scheduling (sched.c). */
void sched_pass(struct ctld *c);
/* Check a request against what the partition could ever give; 0 if it fits. */
int sched_validate(struct ctld *c, struct job *j, const struct conf_partition *p,
                   sl_error_t *e);
/* scontrol update's resource and text fields (ops_update_res.c): applied to
 * j, or -1 with e set and j unchanged. */
int job_update_res(struct ctld *c, struct job *j, json_t *q, int admin, sl_error_t *e);
/* Would the job start now?  Fills nodes (compressed) and returns 1. */
int sched_test(struct ctld *c, struct job *j, char **nodes);

/* Launch and terminate (launch.c). */
void launch_job(struct ctld *c, struct job *j);
/* Refuse at submit a job whose launch record could come near the node
 * channel's frame limit (launch.c). */
/* submit.c: build and check a job from a spec; NULL with e set. */
struct job *submit_build(struct ctld *c, sl_conn_t *conn, json_t *spec, sl_error_t *e);
/* Record a new job (with its spec's script, argv and env) and add it to the
 * job table and the dependency index. */
void submit_store(struct ctld *c, struct job *j, json_t *spec);
int launch_size_check(const struct job *j, json_t *spec, sl_error_t *e);
void launch_terminate(struct ctld *c, struct job *j, const char *why);
void launch_signal(struct ctld *c, struct job *j, int sig);

/* Operation tables (ops_*.c). */
extern const struct op_spec ctld_ops[];
void ops_job_register(void);
int ctld_is_admin(struct ctld *c, uid_t uid);

/* licenses.c: -L against Licenses=.  lic_check_request refuses unknown names
 * and counts beyond the cluster's and gives the normalised list (freed by
 * the caller); lic_job_ready tells whether j's licenses are free now, else
 * sets its reason (Licenses). */
int lic_check_request(struct ctld *c, const char *spec, char **norm, sl_error_t *e);
int lic_job_ready(struct ctld *c, struct job *j);

/* resv.c: reservations.  resv_job_check refuses --reservation of an unknown
 * reservation or by a user it does not list; resv_job_ready tells whether
 * the job's reservation is in its window (else sets reason Reservation);
 * resv_node_ok whether j may use n now (a reserved node serves only its
 * reservation's jobs, from before its start by more than their limit;
 * resv_node_ok_at, in sched_api.h, the same for any window). */
int resv_setup(struct ctld *c);
void resv_teardown(struct ctld *c);
int resv_job_check(struct ctld *c, const struct job *j, sl_error_t *e);
int resv_job_ready(struct ctld *c, struct job *j);
struct node;
int resv_node_ok(struct ctld *c, const struct node *n, const struct job *j);
/* ops_assoc.c: the accounts database (sacctmgr).  assoc_job_check gives a
 * job without -A its user's default account and, with
 * AccountingStorageEnforce=associations, refuses an account the user is not
 * associated with (for the job's partition). */
int assoc_setup(struct ctld *c, sl_error_t *e);
void assoc_teardown(struct ctld *c);
void assoc_enforce_warn(struct ctld *c);
int assoc_job_check(struct ctld *c, struct job *j, sl_error_t *e);
/* The account j would have with acct (NULL or "": its user's default), in
 * *out (malloc'd, NULL for none), or -1 with e set when refused
 * (scontrol update Account=). */
int assoc_job_account(struct ctld *c, const struct job *j, const char *acct, char **out,
                      sl_error_t *e);
/* Whether uid sees other users' data of a PrivateData kind (PRIVATE_*):
 * always unless the config makes it private, and then only an admin. */
int ctld_sees_all(struct ctld *c, uid_t uid, unsigned kind);
/* Remove from the array of job records those of users other than uid. */
void ctld_records_own(json_t *recs, uid_t uid);
const char *ctld_user_name(uid_t uid);   /* cached; "uid123" if unknown */
int ctld_user_uid(const char *name, uid_t *uid);

int64_t ctld_now(void);

/* mail.c: --mail-type events.  began: the job started (and its
 * TIME_LIMIT_* mails are watched from now); ended: after ctld_job_finish
 * set its end; requeued: a new attempt was queued; invalid_depend: its
 * dependency can never be satisfied. */
void mail_job_began(struct ctld *c, struct job *j);
void mail_job_ended(struct ctld *c, struct job *j);
void mail_job_requeued(struct ctld *c, struct job *j);
void mail_job_invalid_depend(struct ctld *c, struct job *j);

#endif
