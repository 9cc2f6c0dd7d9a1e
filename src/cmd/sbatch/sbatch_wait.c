/* sbatch_wait.c: sbatch --wait.  A client polling once a second is cheap
 * for the controller; a lost connection is retried for a while, since the
 * controller may be restarting. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdutil.h"
#include "sbatch.h"

#define WAIT_RETRIES 120   /* seconds of failed polls before giving up */

static int job_ended(const json_t *job)
{
    static const char *const done[] = { "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
                                        "NODE_FAIL", "OUT_OF_MEMORY", "DEADLINE" };
    const char *state = cmd_str(job, "state");
    if (!strcmp(state, "SUCCEEDED") || !strcmp(state, "FAILED"))
        return 1;
    for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
        if (!strcmp(cmd_str(job, "slurm_state"), done[i]))
            return 1;
    return 0;
}

static int job_status(const json_t *job)
{
    int64_t code = cmd_int(job, "exit_code");
    if (cmd_int(job, "exit_signal") != 0)
        return 1;
    if (code == 0 && strcmp(cmd_str(job, "slurm_state"), "COMPLETED") != 0)
        return 1;
    return (int)(code & 0xff);
}

/* One poll: 1 and *status when the job ended, 0 while it runs, -1 on a
 * failure worth retrying; exits on an unknown job. */
static int wait_poll(sl_client_t **cl, int64_t job_id, int *status, sl_error_t *e)
{
    json_t *reply, *job;
    int ended;
    if (!*cl && !(*cl = client_open(cmd_conf_load(), e)))
        return -1;
    reply = client_call(*cl, "job_show", json_pack("{s:I}", "job_id", (json_int_t)job_id), e);
    if (!reply) {
        if (!strcmp(client_last_code(*cl), "ENOENT"))
            cmd_die("%s", e->text);
        client_close(*cl);
        *cl = NULL;
        return -1;
    }
    job = json_object_get(reply, "job");
    if ((ended = job_ended(job)))
        *status = job_status(job);
    json_decref(reply);
    return ended;
}

int sbatch_wait(int64_t job_id)
{
    sl_client_t *cl = NULL;
    sl_error_t e;
    int status = 1, failures = 0;
    for (;;) {
        int rc = wait_poll(&cl, job_id, &status, &e);
        if (rc > 0)
            break;
        if (rc < 0 && ++failures >= WAIT_RETRIES) {
            fprintf(stderr, "%s: error: %s\n", cmd_prog(), e.text);
            status = 1;
            break;
        }
        if (rc == 0)
            failures = 0;
        sleep(1);
    }
    client_close(cl);
    return status;
}
