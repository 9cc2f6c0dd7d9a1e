/* hetjob_submit.c: job_submit of a heterogeneous job: the leader's spec
 * carries "het_components", the specs of components 1..n-1 (doc/protocol.md,
 * "Heterogeneous jobs").  All components are built and checked before any
 * is stored, so a refused component refuses the whole job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "hetjob.h"
#include "jobspec.h"
#include "log.h"

/* What applies to the whole het job is given in component 0 only, as in
 * Slurm: later components that set it are refused, not silently ignored. */
static const char *const whole_job_keys[] = {
    "array", "dependency", "job_definition", "begin_time", "hold", "test_only",
    "script", "argv", "attempts", "retry_rules", "requeue", "alloc_only",
};

/* Set in component 0, shared by the others when they do not set it. */
static const char *const inherited_keys[] = {
    "name", "account", "cwd", "submit_dir", "submit_host", "comment", "qos",
    "submit_line",
};

static int leader_check(json_t *spec, sl_error_t *e)
{
    json_t *comps = json_object_get(spec, "het_components");
    if (!json_is_array(comps) || !json_array_size(comps))
        return sl_errprintf(e, "invalid het_components: a non-empty list of job specs");
    if (json_array_size(comps) + 1 > HET_MAX_COMPONENTS)
        return sl_errprintf(e, "a heterogeneous job may have at most %d components (this one "
                               "has %zu)", HET_MAX_COMPONENTS, json_array_size(comps) + 1);
    if (json_is_string(json_object_get(spec, "array")))
        return sl_errprintf(e, "job arrays cannot be heterogeneous jobs: drop --array or the "
                               "hetjob components");
    if (json_object_get(spec, "job_definition") || json_is_true(json_object_get(spec, "test_only")))
        return sl_errprintf(e, "--job-definition and --test-only cannot be used with a "
                               "heterogeneous job");
    json_t *att = json_object_get(spec, "attempts");
    if (json_is_true(json_object_get(spec, "requeue")) ||
        (json_is_integer(att) && json_integer_value(att) > 1))
        return sl_errprintf(e, "--requeue and retries are not supported for heterogeneous "
                               "jobs");
    return 0;
}

/* Component k's spec, completed from the leader's; NULL with e set. */
static json_t *component_spec(json_t *lead, json_t *given, size_t k, sl_error_t *e)
{
    if (!json_is_object(given)) {
        sl_errprintf(e, "het component %zu: not a job spec object", k);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(whole_job_keys) / sizeof(whole_job_keys[0]); i++) {
        json_t *v = json_object_get(given, whole_job_keys[i]);
        if (v && !json_is_null(v) && !json_is_false(v)) {
            sl_errprintf(e, "het component %zu: %s applies to the whole heterogeneous job: "
                            "give it in the first component only", k, whole_job_keys[i]);
            return NULL;
        }
    }
    json_t *spec = json_deep_copy(given);
    for (size_t i = 0; i < sizeof(inherited_keys) / sizeof(inherited_keys[0]); i++) {
        json_t *v = json_object_get(lead, inherited_keys[i]);
        if (v && !json_object_get(spec, inherited_keys[i]))
            json_object_set(spec, inherited_keys[i], v);
    }
    json_object_set_new(spec, "alloc_only", json_true());
    if (jobspec_check(spec, e) < 0) {
        sl_errprefix(e, "het component %zu", k);
        json_decref(spec);
        return NULL;
    }
    return spec;
}

/* Build every component; 0, or -1 with e set and nothing kept. */
static int het_build(struct ctld *c, sl_conn_t *conn, json_t *spec, struct job **jobs,
                     size_t *n, sl_error_t *e)
{
    json_t *comps = json_object_get(spec, "het_components"), *lead = json_deep_copy(spec), *cs;
    size_t i;
    json_object_del(lead, "het_components");
    *n = 0;
    if (jobspec_check(lead, e) == 0 && (jobs[(*n)++] = submit_build(c, conn, lead, e))) {
        json_array_foreach(comps, i, cs) {
            json_t *s = component_spec(lead, cs, i + 1, e);
            struct job *j = s ? submit_build(c, conn, s, e) : NULL;
            if (s && !j)
                sl_errprefix(e, "het component %zu", i + 1);
            json_decref(s);
            if (!j)
                break;
            jobs[(*n)++] = j;
        }
    }
    json_decref(lead);
    if (*n == json_array_size(comps) + 1 && jobs[*n - 1])
        return 0;
    for (i = 0; i < *n; i++)
        job_destroy(jobs[i]);
    *n = 0;
    return -1;
}

int het_submit(struct ctld *c, sl_conn_t *conn, uint64_t id, json_t *spec)
{
    struct job *jobs[HET_MAX_COMPONENTS];
    size_t n = 0;
    sl_error_t e;
    if (leader_check(spec, &e) < 0 || het_build(c, conn, spec, jobs, &n, &e) < 0) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        return 1;
    }
    if (jobtab_count(c->jobs) + n > c->conf->max_job_count) {
        for (size_t k = 0; k < n; k++)
            job_destroy(jobs[k]);
        conn_error(conn, id, "EAGAIN", "Job limit reached: MaxJobCount=%u jobs are queued",
                   c->conf->max_job_count);
        return 1;
    }
    uint32_t lead = c->next_job_id;
    c->next_job_id += (uint32_t)n;
    for (size_t k = 0; k < n; k++) {
        struct job *j = jobs[k];
        j->id = lead + (uint32_t)k;
        j->het_job_id = lead;
        j->het_job_offset = (uint32_t)k;
        j->het_job_size = (uint32_t)n;
        j->requeue = 0;
        /* The leader's priority for all: they are considered together. */
        j->priority = lead < 4000000000u ? 4000000000u - lead : 1;
        j->submit_time = j->eligible_time = ctld_now();
        j->state = jobs[0]->hold || jobs[0]->deps.n ? JOB_PENDING : JOB_RUNNABLE;
        submit_store(c, j, k ? NULL : spec);
    }
    log_debug("het job %u (%zu components) submitted by %s", lead, n, jobs[0]->user);
    ctld_reply_later(c, conn, id, json_pack("{s:i, s:i}", "job_id", (int)lead, "het_size",
                                            (int)n));
    ctld_sched_request(c);
    return 1;
}
