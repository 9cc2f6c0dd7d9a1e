/* srun_launch.c: step_launch to the nodes of a grant, along a tree
 * (fanout.h): srun contacts at most TreeWidth nodes, one thread each, and
 * each of them forwards the launch to its part of the others.  The hello
 * credentials are made beforehand in the main thread (one auth plugin, used
 * from one thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmdutil.h"
#include "fanout.h"
#include "srun.h"

/* How long a subtree may take to answer: its first node starts its stepd and
 * waits for its own subtree (whose nodes wait less: see step_launch.c). */
#define LAUNCH_TIMEOUT_S 60

static void launch_report(const json_t *failed, int64_t job_id, int step_id)
{
    json_t *x;
    size_t i;

    json_array_foreach(failed, i, x) {
        fprintf(stderr, "srun: error: Task launch for StepId=%lld.%d failed on node %s: %s\n",
                (long long)job_id, step_id, json_string_value(json_object_get(x, "node")),
                json_string_value(json_object_get(x, "error")));
    }
    fprintf(stderr, "srun: error: Application launch failed\n");
}

int launch_nodes(const json_t *grant, const json_t *body, int64_t job_id, int step_id)
{
    const conf_t *conf = cmd_conf_load();
    size_t width = conf->tree_width > 0 ? (size_t)conf->tree_width : FANOUT_DEFAULT_WIDTH;
    size_t count = 0;
    sl_error_t e;
    sl_auth_t *auth = auth_create(conf, &e);
    struct fanout_send *sends;
    json_t *failed;
    int rc = 0;

    if (!auth) {
        fprintf(stderr, "srun: error: %s\n", e.text);
        return -1;
    }
    sends = fanout_plan(body, json_object_get(grant, "addrs"), width, LAUNCH_TIMEOUT_S, &count,
                        &e);
    if (!sends) {
        auth_destroy(auth);
        fprintf(stderr, "srun: error: the step's grant: %s\n", e.text);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        sends[i].cred = auth_cred_create(auth, &e);
    auth_destroy(auth);
    failed = json_array();
    fanout_run_all(sends, count, failed);
    if (json_array_size(failed) > 0) {
        launch_report(failed, job_id, step_id);
        rc = -1;
    }
    json_decref(failed);
    fanout_plan_free(sends, count);
    return rc;
}
