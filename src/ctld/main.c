/* sluicectld: the controller daemon. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include "auth.h"
#include "ctld.h"
#include "db.h"
#include "log.h"
#include "op_fields.h"
#include "elastic_part.h"
#include "power.h"
#include "queue.h"
#include "share.h"
#include "steps.h"

void ctld_flush_cb(evutil_socket_t fd, short what, void *arg);
void ctld_core_fini(void);
int ctld_reconfigure(struct ctld *c, sl_error_t *e);

void op_job_submit(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_show(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_cancel(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_hold(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_release(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_update(sl_conn_t *, uint64_t, json_t *, void *);
void op_acct_query(sl_conn_t *, uint64_t, json_t *, void *);
void op_ping(sl_conn_t *, uint64_t, json_t *, void *);
void op_node_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_node_update(sl_conn_t *, uint64_t, json_t *, void *);
void op_node_power(sl_conn_t *, uint64_t, json_t *, void *);
void op_part_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_license_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_resv_create(sl_conn_t *, uint64_t, json_t *, void *);
void op_resv_delete(sl_conn_t *, uint64_t, json_t *, void *);
void op_resv_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_resv_update(sl_conn_t *, uint64_t, json_t *, void *);
void op_part_change(sl_conn_t *, uint64_t, json_t *, void *);
void op_config_show(sl_conn_t *, uint64_t, json_t *, void *);
void op_reconfigure(sl_conn_t *, uint64_t, json_t *, void *);
void op_node_register(sl_conn_t *, uint64_t, json_t *, void *);
void op_node_heartbeat(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_started(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_ended(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_requeue(sl_conn_t *, uint64_t, json_t *, void *);
void op_jobdef_register(sl_conn_t *, uint64_t, json_t *, void *);
void op_jobdef_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_jobdef_deregister(sl_conn_t *, uint64_t, json_t *, void *);
void op_queue_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_queue_change(sl_conn_t *, uint64_t, json_t *, void *);
void op_prio_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_share_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_policy_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_policy_change(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_alloc_wait(sl_conn_t *, uint64_t, json_t *, void *);
void op_job_complete(sl_conn_t *, uint64_t, json_t *, void *);
void op_step_create(sl_conn_t *, uint64_t, json_t *, void *);
void op_step_complete(sl_conn_t *, uint64_t, json_t *, void *);
void op_step_node_ended(sl_conn_t *, uint64_t, json_t *, void *);
void op_step_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_step_show(sl_conn_t *, uint64_t, json_t *, void *);
void op_bcast_grant(sl_conn_t *, uint64_t, json_t *, void *);
void op_account_add(sl_conn_t *, uint64_t, json_t *, void *);
void op_account_modify(sl_conn_t *, uint64_t, json_t *, void *);
void op_account_delete(sl_conn_t *, uint64_t, json_t *, void *);
void op_account_list(sl_conn_t *, uint64_t, json_t *, void *);
void op_user_add(sl_conn_t *, uint64_t, json_t *, void *);
void op_user_modify(sl_conn_t *, uint64_t, json_t *, void *);
void op_user_delete(sl_conn_t *, uint64_t, json_t *, void *);
void op_user_list(sl_conn_t *, uint64_t, json_t *, void *);

/* Every operation the controller answers, with the fields its body may hold
 * (op_fields.c; doc/protocol.md). */
const struct op_spec ctld_ops[] = {
    { "ping", op_ping, 0, F_none },
    { "job_submit", op_job_submit, OP_OPEN_FIELDS, F_job_submit },
    { "job_list", op_job_list, 0, F_job_list },
    { "job_show", op_job_show, 0, F_job_show },
    { "job_cancel", op_job_cancel, 0, F_job_cancel },
    { "job_hold", op_job_hold, 0, F_job_select },
    { "job_release", op_job_release, 0, F_job_select },
    { "job_update", op_job_update, 0, F_job_update },
    { "job_requeue", op_job_requeue, 0, F_job_requeue },
    { "jobdef_register", op_jobdef_register, 0, F_jobdef_register },
    { "jobdef_list", op_jobdef_list, 0, F_jobdef_list },
    { "jobdef_deregister", op_jobdef_deregister, 0, F_jobdef_deregister },
    { "queue_list", op_queue_list, 0, F_by_name },
    { "queue_change", op_queue_change, 0, F_change },
    { "prio_list", op_prio_list, 0, F_none },
    { "share_list", op_share_list, 0, F_none },
    { "policy_list", op_policy_list, 0, F_by_name },
    { "policy_change", op_policy_change, 0, F_change },
    { "acct_query", op_acct_query, 0, F_acct_query },
    { "job_alloc_wait", op_job_alloc_wait, 0, F_job_show },
    { "job_complete", op_job_complete, 0, F_job_complete },
    { "step_create", op_step_create, 0, F_step_create },
    { "step_complete", op_step_complete, 0, F_step_complete },
    { "step_list", op_step_list, 0, F_step_list },
    { "step_show", op_step_show, 0, F_step_show },
    { "bcast_grant", op_bcast_grant, 0, F_bcast_grant },
    { "node_list", op_node_list, 0, F_node_list },
    { "node_update", op_node_update, 0, F_node_update },
    { "node_power", op_node_power, 0, F_node_power },
    { "part_list", op_part_list, 0, F_none },
    { "license_list", op_license_list, 0, F_none },
    { "resv_create", op_resv_create, 0, F_resv_create },
    { "resv_delete", op_resv_delete, 0, F_by_name },
    { "resv_list", op_resv_list, 0, F_none },
    { "resv_update", op_resv_update, 0, F_resv_update },
    { "part_change", op_part_change, 0, F_change },
    { "account_add", op_account_add, 0, F_account_change },
    { "account_modify", op_account_modify, 0, F_account_change },
    { "account_delete", op_account_delete, 0, F_names },
    { "account_list", op_account_list, 0, F_names },
    { "user_add", op_user_add, 0, F_user_change },
    { "user_modify", op_user_modify, 0, F_user_change },
    { "user_delete", op_user_delete, 0, F_user_change },
    { "user_list", op_user_list, 0, F_user_change },
    { "config_show", op_config_show, 0, F_none },
    { "reconfigure", op_reconfigure, 0, F_none },
    { "node_register", op_node_register, OP_PRIVILEGED | OP_OPEN_FIELDS, F_node_register },
    { "node_heartbeat", op_node_heartbeat, OP_PRIVILEGED | OP_OPEN_FIELDS, F_node_heartbeat },
    { "job_started", op_job_started, OP_PRIVILEGED | OP_OPEN_FIELDS, F_job_started },
    { "job_ended", op_job_ended, OP_PRIVILEGED | OP_OPEN_FIELDS, F_job_ended },
    { "step_node_ended", op_step_node_ended, OP_PRIVILEGED, F_step_node_ended },
    { NULL, NULL, 0, NULL },
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: sluicectld [-f CONF] [-D] [-v] [--help] [--version]\n"
                 "  -f, --config=FILE  configuration file (default $SLUICE_CONF or %s)\n"
                 "  -D, --foreground   do not daemonize\n"
                 "  -v, --verbose      log at debug level\n",
            conf_default_path());
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    if (sig == SIGHUP) {
        if (ctld_reconfigure(c, &e) < 0)
            log_error("reconfigure (SIGHUP) refused, the old configuration stays: %s", e.text);
        return;
    }
    log_info("caught signal %d: shutting down", (int)sig);
    event_base_loopbreak(c->base);
}

static int recover_job(json_t *rec, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    struct job *j = job_from_json(rec, &e);
    if (!j)
        return log_error("skipping a job record: %s", e.text), 0;
    jobtab_add(c->jobs, j);
    dep_index_add(c, j);
    if (!job_is_pending(j) && !job_is_array_parent(j)) {
        job_alloc_nodes(c, j);
        steps_recover(c, j);
    }
    return 0;
}

static int ctld_start(struct ctld *c, sl_error_t *e)
{
    if (mkdir(c->conf->state_save_location, 0700) < 0 && errno != EEXIST)
        return sl_errprintf(e, "cannot create StateSaveLocation %s: %s",
                            c->conf->state_save_location, strerror(errno));
    if (!(c->auth = auth_create(c->conf, e)))
        return -1;
    if (!(c->db = db_open(c->conf->state_save_location, e)))
        return -1;
    c->jobs = jobtab_create();
    if (ctld_plugins_load(c, c->conf, e) < 0)
        return -1;
    policies_overlay(c);
    if (queues_setup(c, e) < 0 || shares_setup(c) < 0)
        return -1;
    c->flush_ev = event_new(c->base, -1, 0, ctld_flush_cb, c);
    node_setup(c, e);
    resv_setup(c);
    if (assoc_setup(c, e) < 0)
        return -1;
    if (db_jobs_active(c->db, recover_job, c, e) < 0)
        return -1;
    elastic_setup(c);
    if (power_setup(c, e) < 0)
        return -1;
    c->next_job_id = db_max_job_id(c->db) + 1;
    c->server = server_create(c->base, c->conf->controller_host, c->conf->controller_port,
                              c->auth, ctld_ops, c, e);
    if (!c->server)
        return -1;
    server_set_max_conns(c->server, c->conf->max_connections);
    /* Every node greets the controller; a burst of cloud nodes booting
     * greets it a thousand times at once, each check a round trip to a
     * munged that the nodes keep busy.  Four threads: more than munged's
     * own two, so one slow answer does not hold the others. */
    if (server_check_hellos_off_loop(c->server, 4, e) < 0)
        return -1;
    log_info("sluicectld %s serving %s:%d, %zu active jobs recovered, next job id %u",
             PACKAGE_VERSION, c->conf->controller_host, c->conf->controller_port,
             jobtab_count(c->jobs), c->next_job_id);
    ctld_purge_start(c);
    ctld_sched_request(c);
    return 0;
}

static void ctld_stop(struct ctld *c)
{
    /* Finish what this iteration started: commit, then reply and launch. */
    if (c->flush_ev)
        ctld_flush_cb(-1, 0, c);
    server_destroy(c->server);
    power_teardown(c);
    resv_teardown(c);
    assoc_teardown(c);
    elastic_teardown(c);
    node_teardown(c);
    queues_teardown(c);
    shares_teardown(c);
    ctld_plugins_unload(c);
    jobtab_destroy(c->jobs);
    if (c->flush_ev)
        event_free(c->flush_ev);
    if (c->wake_ev)
        event_free(c->wake_ev);
    if (c->mail_ev)
        event_free(c->mail_ev);
    if (c->sched_timer)
        event_free(c->sched_timer);
    if (c->purge_ev)
        event_free(c->purge_ev);
    dep_index_fini();
    alloc_waiters_fini();
    db_close(c->db);
    ctld_core_fini();
    auth_destroy(c->auth);
    struct event *sigs[] = { c->sig_hup, c->sig_term, c->sig_int };
    for (size_t i = 0; i < 3; i++) {
        if (sigs[i])
            event_free(sigs[i]);
    }
    event_base_free(c->base);
    conf_destroy(c->conf);
    free(c->conf_path);
}

static int parse_args(int argc, char **argv, const char **path, int *fg, int *verbose)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'f' }, { "foreground", no_argument, NULL, 'D' },
        { "verbose", no_argument, NULL, 'v' },      { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "f:DvhV", opts, NULL)) != -1) {
        switch (ch) {
        case 'f': *path = optarg; break;
        case 'D': *fg = 1; break;
        case 'v': *verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("sluice %s\n", PACKAGE_VERSION); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluicectld: error: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ctld c = { 0 };
    const char *path = NULL;
    int fg = 0, verbose = 0;
    sl_error_t e;
    if (parse_args(argc, argv, &path, &fg, &verbose) < 0)
        return 1;
    log_init("sluicectld", LOG_LVL_INFO, NULL, 1);
    c.conf_path = strdup(path ? path : conf_default_path());
    if (!(c.conf = conf_load(c.conf_path, &e)) || conf_testing_check(c.conf, &e) < 0) {
        log_error("%s", e.text);
        conf_destroy(c.conf);
        free(c.conf_path);
        return 1;
    }
    if (log_init("sluicectld", verbose ? LOG_LVL_DEBUG : c.conf->log_level,
                 c.conf->ctld_log_file, 1) < 0)
        log_warn("cannot open log file %s: logging to stderr", c.conf->ctld_log_file);
    conf_testing_warn(c.conf);
    if (!fg && daemon(0, 0) < 0)
        log_fatal("cannot daemonize: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    c.base = event_base_new();
    c.start_time = ctld_now();
    c.sig_hup = evsignal_new(c.base, SIGHUP, on_signal, &c);
    c.sig_term = evsignal_new(c.base, SIGTERM, on_signal, &c);
    c.sig_int = evsignal_new(c.base, SIGINT, on_signal, &c);
    evsignal_add(c.sig_hup, NULL);
    evsignal_add(c.sig_term, NULL);
    evsignal_add(c.sig_int, NULL);
    int rc = 0;
    if (ctld_start(&c, &e) < 0) {
        log_error("%s", e.text);
        rc = 1;
    } else {
        event_base_dispatch(c.base);
    }
    ctld_stop(&c);
    log_fini();
    return rc;
}
