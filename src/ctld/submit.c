/* submit.c: job_submit: validate a job spec, store it, queue it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hetjob.h"
#include "db.h"
#include "jobspec.h"
#include "log.h"
#include "mailtype.h"
#include "sched_api.h"
#include "parse.h"
#include "queue.h"

/* Integer fields of the spec with their limits: one table, one loop. */
static const struct {
    const char *key;
    size_t off;
    uint64_t max;
} uint_fields[] = {
    { "nodes_min", offsetof(struct job, nodes_min), 100000 },
    { "nodes_max", offsetof(struct job, nodes_max), 100000 },
    { "ntasks", offsetof(struct job, ntasks), 10000000 },
    { "ntasks_per_node", offsetof(struct job, ntasks_per_node), 100000 },
    { "cpus_per_task", offsetof(struct job, cpus_per_task), 100000 },
    { "gpus", offsetof(struct job, gpus), 100000 },
    { "gpus_per_node", offsetof(struct job, gpus_per_node), 256 },
    { "gpus_per_task", offsetof(struct job, gpus_per_task), 256 },
    { "cpus_per_gpu", offsetof(struct job, cpus_per_gpu), 100000 },
    { "threads_per_core", offsetof(struct job, threads_per_core), 256 },
    { "min_cpus", offsetof(struct job, min_cpus), 100000 },
};

static int spec_uints(struct job *j, json_t *spec, sl_error_t *e)
{
    for (size_t i = 0; i < sizeof(uint_fields) / sizeof(uint_fields[0]); i++) {
        json_t *v = json_object_get(spec, uint_fields[i].key);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (uint64_t)json_integer_value(v) > uint_fields[i].max)
            return sl_errprintf(e, "invalid %s: must be an integer from 0 to %llu",
                                uint_fields[i].key, (unsigned long long)uint_fields[i].max);
        *(uint32_t *)((char *)j + uint_fields[i].off) = (uint32_t)json_integer_value(v);
    }
    json_t *mem = json_object_get(spec, "mem_mb"), *mpc = json_object_get(spec, "mem_per_cpu_mb");
    json_t *mpg = json_object_get(spec, "mem_per_gpu_mb");
    if ((mem && !json_is_integer(mem)) || (mpc && !json_is_integer(mpc)) ||
        (mpg && !json_is_integer(mpg)) || json_integer_value(mem) < 0 ||
        json_integer_value(mpc) < 0 || json_integer_value(mpg) < 0)
        return sl_errprintf(e, "invalid memory request");
    j->mem_mb = (uint64_t)json_integer_value(mem);
    j->mem_all = mem && j->mem_mb == 0;   /* --mem=0: the whole node's memory */
    j->mem_per_cpu_mb = (uint64_t)json_integer_value(mpc);
    j->mem_per_gpu_mb = (uint64_t)json_integer_value(mpg);
    if ((mem ? 1 : 0) + (j->mem_per_cpu_mb ? 1 : 0) + (j->mem_per_gpu_mb ? 1 : 0) > 1)
        return sl_errprintf(e, "--mem, --mem-per-cpu and --mem-per-gpu are mutually exclusive");
    if (j->mem_per_gpu_mb && !j->gpus && !j->gpus_per_node && !j->gpus_per_task)
        return sl_errprintf(e, "--mem-per-gpu needs GPUs (--gpus, --gpus-per-node, "
                               "--gpus-per-task or --gres=gpu)");
    if (j->cpus_per_gpu && !j->gpus && !j->gpus_per_node && !j->gpus_per_task)
        return sl_errprintf(e, "--cpus-per-gpu needs GPUs (--gpus, --gpus-per-node, "
                               "--gpus-per-task or --gres=gpu)");
    if (j->nodes_max && j->nodes_max < j->nodes_min)
        return sl_errprintf(e, "invalid node count: maximum %u is below minimum %u",
                            j->nodes_max, j->nodes_min);
    if (!j->cpus_per_task)
        j->cpus_per_task = 1;
    if (!j->ntasks) {
        uint32_t n = j->nodes_min ? j->nodes_min : 1;
        j->ntasks = j->ntasks_per_node ? n * j->ntasks_per_node : n;
    }
    return 0;
}

static const char *spec_str(json_t *spec, const char *key)
{
    return json_string_value(json_object_get(spec, key));
}

/* String fields copied as given. */
static const struct {
    const char *key;
    size_t off;
} str_fields[] = {
    { "name", offsetof(struct job, name) },
    { "account", offsetof(struct job, account) },
    { "comment", offsetof(struct job, comment) },
    { "submit_line", offsetof(struct job, submit_line) },
    { "cwd", offsetof(struct job, cwd) },
    { "submit_dir", offsetof(struct job, submit_dir) },
    { "submit_host", offsetof(struct job, submit_host) },
    { "stdout", offsetof(struct job, std_out) },
    { "stderr", offsetof(struct job, std_err) },
    { "stdin", offsetof(struct job, std_in) },
    { "open_mode", offsetof(struct job, open_mode) },
    { "nodelist", offsetof(struct job, req_nodelist) },
    { "exclude", offsetof(struct job, exclude) },
    { "qos", offsetof(struct job, qos) },
    { "constraint", offsetof(struct job, constraint) },
    { "command", offsetof(struct job, command) },
    { "mail_user", offsetof(struct job, mail_user) },
    { "gpu_type", offsetof(struct job, gpu_type) },
    { "cpu_bind", offsetof(struct job, cpu_bind) },
    { "reservation", offsetof(struct job, reservation) },
};

static int spec_strings(struct job *j, json_t *spec, sl_error_t *e)
{
    for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
        json_t *v = json_object_get(spec, str_fields[i].key);
        if (v && !json_is_string(v) && !json_is_null(v))
            return sl_errprintf(e, "invalid %s: must be a string", str_fields[i].key);
        const char *s = json_string_value(v);
        if (s && *s)
            job_set_str((char **)((char *)j + str_fields[i].off), s);
    }
    /* The recipient is an argument of MailProg, run by the controller: one
     * that reads as an option (mail -E runs commands) is refused. */
    if (j->mail_user && (j->mail_user[0] == '-' || strpbrk(j->mail_user, " \t\r\n")))
        return sl_errprintf(e, "invalid mail_user '%s': an address, not starting with '-' "
                               "and without blanks", j->mail_user);
    const char *mt = spec_str(spec, "mail_type");
    if (mt && mailtype_parse(mt, &j->mail_type, e) < 0)
        return sl_errprefix(e, "invalid mail_type");
    if (!j->cwd || j->cwd[0] != '/')
        return sl_errprintf(e, "the job needs an absolute working directory (cwd)");
    if (j->open_mode && strcmp(j->open_mode, "append") != 0 &&
        strcmp(j->open_mode, "truncate") != 0)
        return sl_errprintf(e, "invalid open_mode '%s': use append or truncate", j->open_mode);
    if (!j->name)
        job_set_str(&j->name, "noname");
    return 0;
}

static int spec_script(struct job *j, json_t *spec, sl_error_t *e)
{
    const char *script = spec_str(spec, "script");
    json_t *env = json_object_get(spec, "env"), *argv = json_object_get(spec, "argv");
    if (json_is_true(json_object_get(spec, "alloc_only"))) {
        /* salloc, srun: an allocation for steps, held by the node. */
        if (script || json_array_size(argv))
            return sl_errprintf(e, "an alloc_only job (an allocation for salloc or srun) takes "
                                   "no script and no script arguments");
        if (json_is_string(json_object_get(spec, "array")))
            return sl_errprintf(e, "an alloc_only job cannot be an array");
        j->alloc_only = 1;
        return 0;
    }
    if (!script || strncmp(script, "#!", 2) != 0)
        return sl_errprintf(e, "This does not look like a batch script. The first line must "
                               "start with #! followed by the path to an interpreter.");
    if ((env && !json_is_object(env)) || (argv && !json_is_array(argv)))
        return sl_errprintf(e, "invalid job spec: env must be an object, argv an array");
    return 0;
}

static void names_add(char ***names, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    *names = realloc(*names, (*n + 1) * sizeof(char *));
    (*names)[(*n)++] = strdup(name);
}

/* -p a,b: as in Slurm, the job may run in any of them, and starts in the
 * first that can start it.  A queue in the list stands for its partitions,
 * in its spill-over order (its priority and policy are not the job's then). */
static int spec_part_list(struct ctld *c, struct job *j, const char *given, char ***names,
                          size_t *n, sl_error_t *e)
{
    char *copy = strdup(given), *save = NULL;
    int rc = 0;
    for (char *it = strtok_r(copy, ",", &save); it && rc == 0; it = strtok_r(NULL, ",", &save)) {
        struct queue *q = conf_part_find(c->conf, it) ? NULL : queue_find(c, it);
        if (conf_part_find(c->conf, it))
            names_add(names, n, it);
        else if (!q)
            /* it points into copy: the message is made before copy goes. */
            rc = sl_errprintf(e, "Invalid partition name specified: %s (not a partition or "
                                 "queue)", it);
        else if (q->q.disabled)
            rc = sl_errprintf(e, "Queue %s is DISABLED and accepts no new jobs", q->q.name);
        for (size_t i = 0; q && rc == 0 && i < q->q.nparts; i++)
            names_add(names, n, q->q.partitions[i]);
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = sl_errprintf(e, "Invalid partition name specified: '%s' names none", given);
    if (rc < 0)
        return rc;
    size_t len = 0;
    char *joined = NULL;
    FILE *m = open_memstream(&joined, &len);
    for (size_t i = 0; m && i < *n; i++)
        fprintf(m, "%s%s", i ? "," : "", (*names)[i]);
    if (m)
        fclose(m);
    job_set_str(&j->partition, joined);
    free(joined);
    return 0;
}

/* -p names a queue (every partition is one), or a comma list of partitions
 * and queues the job may use.  Fills names/n with the partitions to try. */
static int spec_queue(struct ctld *c, struct job *j, json_t *spec, char ***names, size_t *n,
                      sl_error_t *e)
{
    const char *given = spec_str(spec, "partition");
    const struct conf_partition *def = conf_part_default(c->conf);
    *names = NULL;
    *n = 0;
    if (given && strchr(given, ','))
        return spec_part_list(c, j, given, names, n, e);
    if ((!given || !*given) && !def)
        return sl_errprintf(e, "No partition specified and no default partition is configured");
    struct queue *q = queue_find(c, given && *given ? given : def->name);
    if (!q)
        return sl_errprintf(e, "Invalid partition or queue name specified: %s", given);
    if (q->q.disabled)
        return sl_errprintf(e, "Queue %s is DISABLED and accepts no new jobs", q->q.name);
    job_set_str(&j->queue, q->q.name);
    job_set_str(&j->partition, q->q.partitions_expr);
    *names = calloc(q->q.nparts, sizeof(char *));
    for (size_t i = 0; i < q->q.nparts; i++)
        (*names)[i] = strdup(q->q.partitions[i]);
    *n = q->q.nparts;
    return 0;
}

/* The job must fit some partition it may use that accepts jobs; the time
 * limit defaults to that partition's DefaultTime. */
static int spec_fit(struct ctld *c, struct job *j, json_t *spec, char **names, size_t n,
                    sl_error_t *e)
{
    json_t *t = json_object_get(spec, "time_limit");
    sl_error_t first = { "" };
    if (t && !json_is_null(t) &&
        (!json_is_integer(t) || (json_integer_value(t) < 1 && json_integer_value(t) != -1)))
        return sl_errprintf(e, "invalid time_limit: seconds > 0, or -1 for unlimited");
    for (size_t i = 0; i < n; i++) {
        const struct conf_partition *p = conf_part_find(c->conf, names[i]);
        sl_error_t err;
        if (!p)
            continue;
        if (p->state == PART_DRAIN || p->state == PART_INACTIVE) {
            if (!first.text[0])
                sl_errprintf(&first, "Partition %s is %s and accepts no new jobs", p->name,
                             part_state_name(p->state));
            continue;
        }
        j->time_limit = t && !json_is_null(t) ? json_integer_value(t) : p->default_time;
        if (sched_validate(c, j, p, &err) == 0)
            return 0;
        if (!first.text[0])
            first = err;
    }
    return sl_errprintf(e, "%s", first.text[0] ? first.text : "the queue has no partition");
}

static int spec_share(struct ctld *c, struct job *j, json_t *spec, uid_t uid, sl_error_t *e)
{
    json_t *sp = json_object_get(spec, "sched_priority"), *nice = json_object_get(spec, "nice");
    job_set_str(&j->share, spec_str(spec, "share"));
    if (sp && (!json_is_integer(sp) || json_integer_value(sp) < 0 || json_integer_value(sp) > 9999))
        return sl_errprintf(e, "invalid sched_priority: must be from 0 to 9999");
    j->sched_priority = (uint32_t)json_integer_value(sp);
    if (nice && (!json_is_integer(nice) || json_integer_value(nice) < -10000 ||
                 json_integer_value(nice) > 10000))
        return sl_errprintf(e, "invalid nice: must be from -10000 to 10000");
    j->nice = (int32_t)json_integer_value(nice);
    if (j->nice < 0 && !ctld_is_admin(c, uid))
        return sl_errprintf(e, "Access/permission denied: only an administrator can set a "
                               "negative nice value");
    return 0;
}

static int spec_array(struct ctld *c, struct job *j, json_t *spec, sl_error_t *e)
{
    json_t *a = json_object_get(spec, "array");
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_string(a))
        return sl_errprintf(e, "invalid array: must be a string such as \"0-15%%4\"");
    uint32_t limit = c->conf->max_array_size;
    idset_t *set = idset_decode(json_string_value(a), limit, &j->array_throttle, e);
    if (!set)
        return -1;
    j->array_pending = set;
    j->array_cancelled = idset_create(limit);
    j->array_size = idset_count(set);
    j->array_min = idset_first(set);
    j->array_max = idset_last(set);
    j->array_limit = limit;
    j->array_spec = strdup(json_string_value(a));
    return 0;
}

static int spec_depend(struct ctld *c, struct job *j, json_t *spec, sl_error_t *e)
{
    const char *d = spec_str(spec, "dependency");
    json_t *kill = json_object_get(spec, "kill_on_invalid_dep");
    if (kill && !json_is_null(kill))
        j->kill_on_invalid_dep = json_is_true(kill);
    if (!d || !*d)
        return 0;
    if (depend_parse(d, &j->deps, e) < 0 || dep_validate(c, &j->deps, e) < 0)
        return -1;
    for (size_t i = 0; i < j->deps.n; i++) {
        if (j->deps.items[i].type == DEP_SEQUENTIAL && !j->array_pending)
            return sl_errprintf(e, "sequential is only meaningful for an array job");
    }
    job_set_str(&j->dependency, d);
    return 0;
}

static int spec_retry(struct job *j, json_t *spec, sl_error_t *e)
{
    json_t *att = json_object_get(spec, "attempts"), *rules = json_object_get(spec, "retry_rules");
    json_t *begin = json_object_get(spec, "begin_time"), *sig = json_object_get(spec, "warn_signal");
    if (att && !json_is_null(att)) {
        if (!json_is_integer(att) || json_integer_value(att) < 1 || json_integer_value(att) > 10)
            return sl_errprintf(e, "invalid attempts: must be from 1 to 10");
        j->attempts = (uint32_t)json_integer_value(att);
    }
    if (rules && !json_is_null(rules)) {
        if (retry_rules_check(rules, e) < 0)
            return -1;
        j->retry_rules = json_incref(rules);
    }
    if (begin && (!json_is_integer(begin) || json_integer_value(begin) < 0))
        return sl_errprintf(e, "invalid begin_time: epoch seconds expected");
    j->begin_time = json_integer_value(begin);
    if (sig && (!json_is_integer(sig) || json_integer_value(sig) < 1 || json_integer_value(sig) > 64))
        return sl_errprintf(e, "invalid warn_signal: a signal number from 1 to 64");
    j->warn_signal = (int32_t)json_integer_value(sig);
    j->warn_time = (int32_t)json_integer_value(json_object_get(spec, "warn_time"));
    j->warn_batch_only = json_is_true(json_object_get(spec, "warn_batch_only"));
    if (j->warn_signal && j->warn_time <= 0)
        j->warn_time = 60;
    job_set_str(&j->job_definition, spec_str(spec, "job_definition"));
    return 0;
}

/* -L, --deadline and --priority (operators only; 0 holds the job, as
 * Slurm's held jobs have priority 0). */
static int spec_extras(struct ctld *c, struct job *j, json_t *spec, uid_t uid, sl_error_t *e)
{
    json_t *dl = json_object_get(spec, "deadline");
    json_t *prio = json_object_get(spec, "priority");
    const char *lic = spec_str(spec, "licenses");
    if ((lic && *lic && lic_check_request(c, lic, &j->licenses, e) < 0) ||
        resv_job_check(c, j, e) < 0 || assoc_job_check(c, j, e) < 0)
        return -1;
    if (json_is_integer(prio)) {
        if (!ctld_is_admin(c, uid))
            return sl_errprintf(e, "Access/permission denied: only an operator or "
                                   "administrator can set --priority");
        j->priority_set = 1;
        j->priority = (uint32_t)json_integer_value(prio);
        if (j->priority == 0)
            j->hold = j->hold_admin = 1;
    }
    json_t *tmin = json_object_get(spec, "time_min");
    if (json_is_integer(tmin)) {
        j->time_min = json_integer_value(tmin);
        if (j->time_limit > 0 && j->time_min > j->time_limit)
            return sl_errprintf(e, "Invalid time limit specification: --time-min (%lld min) "
                                   "is above the time limit (%lld min)",
                                (long long)(j->time_min / 60), (long long)(j->time_limit / 60));
    }
    if (!json_is_integer(dl))
        return 0;
    j->deadline = json_integer_value(dl);
    int64_t start = j->begin_time > ctld_now() ? j->begin_time : ctld_now();
    int64_t least = sched_least_time(j);
    if (j->deadline <= start || j->deadline < start + least) {
        char a[32], b[32];
        return sl_errprintf(e, "Invalid time specified: the job cannot end before its "
                               "deadline %s (earliest start %s, time limit %lld min)",
                            format_datetime(j->deadline, a, sizeof(a)),
                            format_datetime(start, b, sizeof(b)), (long long)(least / 60));
    }
    return 0;
}

/* Build and check a job from a spec; NULL with e set if it is refused. */
void submit_store(struct ctld *c, struct job *j, json_t *spec)
{
    json_t *rec = job_to_json(j);
    json_t *stored = json_pack("{s:O?, s:O?, s:O?}", "script", json_object_get(spec, "script"),
                               "argv", json_object_get(spec, "argv"), "env",
                               json_object_get(spec, "env"));
    db_job_insert(c->db, rec, stored);
    json_decref(rec);
    json_decref(stored);
    jobtab_add(c->jobs, j);
    dep_index_add(c, j);
}

struct job *submit_build(struct ctld *c, sl_conn_t *conn, json_t *spec, sl_error_t *e)
{
    struct job *j = job_create();
    char **names = NULL;
    size_t nnames = 0;
    int rc;
    j->uid = conn_uid(conn);
    j->gid = conn_gid(conn);
    job_set_str(&j->user, ctld_user_name(j->uid));
    j->exclusive = json_is_true(json_object_get(spec, "exclusive"));
    j->requeue = json_is_true(json_object_get(spec, "requeue"));
    j->hold = json_is_true(json_object_get(spec, "hold"));
    j->hold_admin = 0;
    j->tmp_mb = (uint64_t)json_integer_value(json_object_get(spec, "tmp_mb"));  /* for spec_fit */
    rc = spec_script(j, spec, e) < 0 || spec_strings(j, spec, e) < 0 ||
         launch_size_check(j, spec, e) < 0 ||
         spec_uints(j, spec, e) < 0 || spec_queue(c, j, spec, &names, &nnames, e) < 0 ||
         spec_fit(c, j, spec, names, nnames, e) < 0 ||
         spec_share(c, j, spec, conn_uid(conn), e) < 0 || spec_array(c, j, spec, e) < 0 ||
         spec_depend(c, j, spec, e) < 0 || spec_retry(j, spec, e) < 0 ||
         spec_extras(c, j, spec, conn_uid(conn), e) < 0;
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    if (rc) {
        job_destroy(j);
        return NULL;
    }
    return j;
}

static void submit_test_only(struct ctld *c, sl_conn_t *conn, uint64_t id, struct job *j)
{
    char *nodes = NULL;
    int now = sched_test(c, j, &nodes);
    conn_reply(conn, id, json_pack("{s:i, s:I, s:s, s:s, s:i}", "job_id", 0, "start_time",
                                   (json_int_t)(now ? ctld_now() : 0), "nodes",
                                   nodes ? nodes : "", "partition", j->partition, "cpus",
                                   (int)(j->ntasks * j->cpus_per_task)));
    free(nodes);
}

void op_job_submit(sl_conn_t *conn, uint64_t id, json_t *given, void *arg)
{
    struct ctld *c = arg;
    sl_error_t e;
    if (json_object_get(given, "het_components") && het_submit(c, conn, id, given))
        return;
    /* The submission as given, then as a job definition completed it (its
     * script and environment count too). */
    json_t *spec = jobspec_check(given, &e) < 0 ? NULL
                   : json_object_get(given, "job_definition") ? jobdef_apply(c, given, &e)
                                                              : json_incref(given);
    if (spec && spec != given && jobspec_check(spec, &e) < 0) {
        json_decref(spec);
        spec = NULL;
    }
    struct job *j = spec ? submit_build(c, conn, spec, &e) : NULL;
    if (!j) {
        conn_error(conn, id, "EINVAL", "%s", e.text);
        json_decref(spec);
        return;
    }
    if (json_is_true(json_object_get(spec, "test_only"))) {
        submit_test_only(c, conn, id, j);
        job_destroy(j);
        json_decref(spec);
        return;
    }
    if (jobtab_count(c->jobs) >= c->conf->max_job_count) {
        job_destroy(j);
        json_decref(spec);
        conn_error(conn, id, "EAGAIN", "Job limit reached: MaxJobCount=%u jobs are queued",
                   c->conf->max_job_count);
        return;
    }
    j->id = c->next_job_id++;
    if (!j->priority_set)
        j->priority = j->id < 4000000000u ? 4000000000u - j->id : 1;
    j->submit_time = j->eligible_time = ctld_now();
    j->state = j->hold || j->deps.n ? JOB_PENDING : JOB_RUNNABLE;
    submit_store(c, j, spec);
    json_decref(spec);
    log_debug("job %u submitted by %s", j->id, j->user);
    ctld_reply_later(c, conn, id, json_pack("{s:i}", "job_id", (int)j->id));
    ctld_sched_request(c);
}
