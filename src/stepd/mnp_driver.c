/* mnp_driver.c: sluice-mnp, the batch script of a multi-node parallel job.
 * It starts the main node's process, and the other nodes' once the main's
 * step is RUNNING; the job ends when the main's process does (the others
 * are then stopped) with the main's exit status.  A child's failure is only
 * reported.  The plan comes from the controller (src/ctld/mnp.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "conf.h"
#include "hostlist.h"
#include "mnp_driver.h"

#define MNP_STOP_WAIT_S 10   /* from SIGTERM to SIGKILL for the children */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void nap(void)
{
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

static int run_load(struct mnp_run *r, const conf_t *conf)
{
    const char *text = getenv("SLUICE_MNP_PLAN"), *nl = getenv("SLURM_JOB_NODELIST");
    json_error_t je;
    sl_error_t e;
    if (!text || !(r->plan = json_loads(text, 0, &je)) || !nl) {
        fprintf(stderr, "sluice-mnp: runs as the script of a multinode job (SLUICE_MNP_PLAN "
                        "and SLURM_JOB_NODELIST are not both set)\n");
        return -1;
    }
    r->num_nodes = (long)json_integer_value(json_object_get(r->plan, "num_nodes"));
    r->main_node = (long)json_integer_value(json_object_get(r->plan, "main_node"));
    hostlist_t *hl = hostlist_create();
    if (hostlist_push(hl, nl, &e) < 0 || (long)hostlist_count(hl) < r->num_nodes ||
        r->main_node >= r->num_nodes) {
        fprintf(stderr, "sluice-mnp: the allocation %s does not hold the plan's %ld nodes\n", nl,
                r->num_nodes);
        hostlist_destroy(hl);
        return -1;
    }
    r->nodes = calloc((size_t)r->num_nodes, sizeof(*r->nodes));
    r->pids = calloc((size_t)r->num_nodes, sizeof(*r->pids));
    for (long i = 0; i < r->num_nodes; i++)
        r->nodes[i] = strdup(hostlist_nth(hl, (size_t)i));
    hostlist_destroy(hl);
    const struct conf_node *cn = conf ? conf_node_find(conf, r->nodes[r->main_node]) : NULL;
    r->main_addr = strdup(cn && cn->hostname ? cn->hostname : r->nodes[r->main_node]);
    return 0;
}

static void run_free(struct mnp_run *r)
{
    for (long i = 0; r->nodes && i < r->num_nodes; i++)
        free(r->nodes[i]);
    free(r->nodes);
    free(r->pids);
    free(r->main_addr);
    json_decref(r->plan);
}

/* Whether the step named name of the job is RUNNING. */
static int step_running(sl_client_t *cl, long job_id, const char *name)
{
    sl_error_t e;
    json_t *rep = client_call(cl, "step_show", json_pack("{s:I}", "job_id", (json_int_t)job_id), &e);
    json_t *s;
    size_t k;
    int found = 0;
    json_array_foreach(json_object_get(rep, "steps"), k, s) {
        const char *n = json_string_value(json_object_get(s, "name"));
        const char *st = json_string_value(json_object_get(s, "state"));
        found |= n && st && !strcmp(n, name) && !strcmp(st, "RUNNING");
    }
    json_decref(rep);
    return found;
}

/* Wait until the main node's step is RUNNING; 0 when it is, -1 when its
 * srun ended first (its status in *status) or the job is told to end. */
static int wait_main_running(struct mnp_run *r, sl_client_t *cl, long job_id, int *status)
{
    char name[64];
    mnp_step_name(r->main_node, name, sizeof(name));
    for (;;) {
        pid_t p = waitpid(r->pids[r->main_node], status, WNOHANG);
        if (p == r->pids[r->main_node]) {
            r->pids[r->main_node] = 0;
            return -1;
        }
        if (got_signal)
            return -1;
        if (cl && step_running(cl, job_id, name))
            return 0;
        nap();
    }
}

static void signal_children(struct mnp_run *r, int sig)
{
    for (long i = 0; i < r->num_nodes; i++) {
        if (r->pids[i] > 0)
            kill(r->pids[i], sig);
    }
}

static void report_child(long i, const char *node, int st)
{
    if (WIFEXITED(st) && WEXITSTATUS(st))
        fprintf(stderr, "sluice-mnp: node %ld (%s) exited with %d; the job goes on\n", i, node,
                WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        fprintf(stderr, "sluice-mnp: node %ld (%s) was killed by signal %d; the job goes on\n",
                i, node, WTERMSIG(st));
}

/* Reap sruns until the main's ends; a signal to the driver is passed on. */
static int wait_main_exit(struct mnp_run *r)
{
    int st = 0, forwarded = 0;
    while (r->pids[r->main_node] > 0) {
        if (got_signal && !forwarded) {
            forwarded = 1;
            signal_children(r, SIGTERM);
        }
        pid_t p = waitpid(-1, &st, 0);
        for (long i = 0; p > 0 && i < r->num_nodes; i++) {
            if (r->pids[i] != p)
                continue;
            r->pids[i] = 0;
            if (i == r->main_node)
                return st;
            report_child(i, r->nodes[i], st);
        }
        if (p < 0 && errno == ECHILD)
            break;
    }
    return st;
}

/* Stop the children: SIGTERM (srun passes it to the task), SIGKILL later. */
static void stop_children(struct mnp_run *r)
{
    int running = 0;
    for (long i = 0; i < r->num_nodes; i++)
        running |= r->pids[i] > 0;
    if (!running)
        return;
    fprintf(stderr, "sluice-mnp: the main node's process has ended: stopping the other nodes\n");
    fflush(stderr);
    signal_children(r, SIGTERM);
    for (int t = 0; t < MNP_STOP_WAIT_S * 20; t++) {
        int left = 0, st;
        for (long i = 0; i < r->num_nodes; i++) {
            if (r->pids[i] > 0 && waitpid(r->pids[i], &st, WNOHANG) == r->pids[i])
                r->pids[i] = 0;
            left |= r->pids[i] > 0;
        }
        if (!left)
            return;
        nap();
    }
    signal_children(r, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
}

static int exit_code(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static void signals_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;   /* no SA_RESTART: waitpid returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int main(void)
{
    struct mnp_run r = { 0 };
    sl_error_t e;
    conf_t *conf = conf_load(conf_default_path(), &e);
    const char *jid = getenv("SLURM_JOB_ID");
    int st = 0;
    signals_setup();
    if (run_load(&r, conf) < 0 || !jid) {
        run_free(&r);
        conf_destroy(conf);
        return 1;
    }
    sl_client_t *cl = conf ? client_open(conf, &e) : NULL;
    if (!cl)
        fprintf(stderr, "sluice-mnp: %s: the other nodes start without waiting for the main\n",
                conf ? e.text : "no configuration");
    /* Without the controller (cannot happen in a running job) the children
     * start at once rather than never. */
    r.pids[r.main_node] = mnp_start(&r, r.main_node);
    int up = r.pids[r.main_node] > 0 && (!cl || wait_main_running(&r, cl, atol(jid), &st) == 0);
    client_close(cl);   /* not needed for the rest of the job */
    for (long i = 0; up && i < r.num_nodes; i++) {
        if (i != r.main_node)
            r.pids[i] = mnp_start(&r, i);
    }
    if (!up && r.pids[r.main_node] > 0)
        kill(r.pids[r.main_node], SIGTERM);   /* the job was told to end */
    if (r.pids[r.main_node] > 0)
        st = wait_main_exit(&r);
    stop_children(&r);
    int code = r.pids[r.main_node] < 0 ? 1 : exit_code(st);
    run_free(&r);
    conf_destroy(conf);
    return code;
}
