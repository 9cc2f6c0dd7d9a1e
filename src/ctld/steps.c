/* steps.c: the steps of running jobs (steps.h; doc/protocol.md, "Job steps"). */
#include "steps.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "db.h"
#include "hostlist.h"
#include "jobacct.h"
#include "log.h"

char *steps_counts_string(json_t *counts)
{
    size_t n = json_array_size(counts), len = 0, cap = 16 + n * 24;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < n;) {
        json_int_t v = json_integer_value(json_array_get(counts, i));
        size_t run = 1;
        while (i + run < n && json_integer_value(json_array_get(counts, i + run)) == v)
            run++;
        len += (size_t)snprintf(out + len, cap - len, run > 1 ? "%s%lld(x%zu)" : "%s%lld",
                                len ? "," : "", (long long)v, run);
        i += run;
    }
    return out;
}

static char *names_compressed(json_t *names)
{
    hostlist_t *hl = hostlist_create();
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) hostlist_push_host(hl, json_string_value(v));
    char *s = hostlist_ranged_string(hl);
    hostlist_destroy(hl);
    return s;
}

json_t *step_record_new(struct ctld *c, const struct job *j, json_int_t step_id,
                        const char *name, json_t *node_names, json_t *task_counts,
                        uint32_t cpus_per_task, uint64_t mem_mb, int overlap,
                        int64_t time_limit)
{
    json_int_t ntasks = 0;
    size_t i;
    json_t *v;
    json_array_foreach(task_counts, i, v) ntasks += json_integer_value(v);
    char id[48], *nodes = names_compressed(node_names), *tpn = steps_counts_string(task_counts);
    if (step_id == STEP_ID_BATCH)
        snprintf(id, sizeof(id), "%u.batch", j->id);
    else
        snprintf(id, sizeof(id), "%u.%lld", j->id, (long long)step_id);
    json_t *rec = json_pack(
        "{s:i, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:I, s:i, s:i, s:i, s:s, s:i,"
        " s:s, s:I, s:o, s:o, s:i, s:I, s:b}",
        "job_id", (int)j->id, "id", id, "name", name, "state", "RUNNING", "nodes",
        nodes ? nodes : "", "num_nodes", (int)json_array_size(node_names), "ntasks", ntasks,
        "cpus", ntasks * (json_int_t)cpus_per_task, "tasks_per_node", tpn ? tpn : "",
        "start_time", (json_int_t)ctld_now(), "end_time", 0, "exit_code", 0, "exit_signal", 0,
        "user", j->user ? j->user : "", "uid", (int)j->uid, "partition",
        j->partition ? j->partition : "", "time_limit", (json_int_t)time_limit, "node_names",
        node_names, "task_counts", task_counts, "cpus_per_task", (int)cpus_per_task, "mem_mb",
        (json_int_t)mem_mb, "overlap", overlap);
    json_object_set_new(rec, "step_id",
                        step_id == STEP_ID_BATCH ? json_string("batch") : json_integer(step_id));
    free(nodes);
    free(tpn);
    (void)c;
    return rec;
}

static json_int_t rec_step_id(json_t *rec)
{
    json_t *s = json_object_get(rec, "step_id");
    return json_is_integer(s) ? json_integer_value(s) : STEP_ID_BATCH;
}

json_t *step_running(const struct job *j, json_int_t step_id, size_t *idx)
{
    size_t i;
    json_t *rec;
    json_array_foreach(j->steps, i, rec) {
        if (rec_step_id(rec) == step_id) {
            if (idx)
                *idx = i;
            return rec;
        }
    }
    return NULL;
}

void step_add(struct ctld *c, struct job *j, json_t *rec)
{
    if (!j->steps)
        j->steps = json_array();
    db_step_save(c->db, rec);
    json_array_append_new(j->steps, rec);
    ctld_kick(c);
}

void step_end(struct ctld *c, struct job *j, size_t idx, const char *state, int exit_code,
              int exit_signal)
{
    json_t *rec = json_array_get(j->steps, idx);
    if (!rec)
        return;
    json_object_del(rec, "nodes_ended");   /* step_node_ended's, not part of the record */
    json_object_set_new(rec, "state", json_string(state));
    json_object_set_new(rec, "end_time", json_integer(ctld_now()));
    json_object_set_new(rec, "exit_code", json_integer(exit_code));
    json_object_set_new(rec, "exit_signal", json_integer(exit_signal));
    db_step_save(c->db, rec);
    log_info("step %s ended: %s", json_string_value(json_object_get(rec, "id")), state);
    json_array_remove(j->steps, idx);
    ctld_kick(c);
}

void step_set_usage(json_t *rec, const json_t *usage)
{
    struct jobacct a;
    if (!rec || !usage)
        return;
    if (jobacct_from_json(usage, &a) < 0) {
        log_warn("step %s: usage ignored: not a usage object",
                 json_string_value(json_object_get(rec, "id")));
        return;
    }
    json_object_set_new(rec, "usage", jobacct_to_json(&a));
}

void steps_usage(const struct job *j, char *const *names, size_t n, uint32_t *cpus,
                 uint64_t *mem)
{
    size_t i, k;
    json_t *rec, *name;
    memset(cpus, 0, n * sizeof(*cpus));
    memset(mem, 0, n * sizeof(*mem));
    json_array_foreach(j->steps, i, rec) {
        if (rec_step_id(rec) == STEP_ID_BATCH || json_is_true(json_object_get(rec, "overlap")))
            continue;
        json_int_t cpt = json_integer_value(json_object_get(rec, "cpus_per_task"));
        json_int_t m = json_integer_value(json_object_get(rec, "mem_mb"));
        json_t *counts = json_object_get(rec, "task_counts");
        json_array_foreach(json_object_get(rec, "node_names"), k, name) {
            for (size_t x = 0; x < n; x++) {
                if (strcmp(names[x], json_string_value(name)) == 0) {
                    cpus[x] += (uint32_t)(cpt * json_integer_value(json_array_get(counts, k)));
                    mem[x] += (uint64_t)m;
                    break;
                }
            }
        }
    }
}

/* The job's first node: where the batch script runs. */
static char *first_node(const struct job *j)
{
    hostlist_t *hl = j->nodes ? hostlist_expand(j->nodes, NULL) : NULL;
    char *s = hl && hostlist_count(hl) ? strdup(hostlist_nth(hl, 0)) : NULL;
    hostlist_destroy(hl);
    return s;
}

void steps_job_running(struct ctld *c, struct job *j)
{
    if (j->alloc_only || step_running(j, STEP_ID_BATCH, NULL))
        return;
    char *node = first_node(j);
    if (!node)
        return;
    json_t *rec = step_record_new(c, j, STEP_ID_BATCH, "batch", json_pack("[s]", node),
                                  json_pack("[i]", 1), j->cpus_per_node, j->alloc_mem_mb, 1,
                                  j->time_limit);
    free(node);
    step_add(c, j, rec);
}

void step_node_ended(json_t *rec, const char *node, int ok)
{
    json_t *names = json_object_get(rec, "node_names"), *v, *ended;
    size_t i;
    json_array_foreach(names, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), node) == 0)
            break;
    }
    if (i >= json_array_size(names))
        return;
    if (!(ended = json_object_get(rec, "nodes_ended"))) {
        ended = json_object();
        json_object_set_new(rec, "nodes_ended", ended);
    }
    json_object_set_new(ended, node, json_boolean(ok));
}

/* Every node of the step said its tasks there all ended with 0: the step
 * ended by itself, though srun (which records it) was gone before saying
 * so, as when Open MPI's mpirun returns before the srun that started its
 * daemons and the script's end kills that srun.  Slurm too takes a step's
 * end from its nodes' reports. */
static int step_ended_clean(json_t *rec)
{
    json_t *ended = json_object_get(rec, "nodes_ended"), *names, *v;
    size_t i;
    names = json_object_get(rec, "node_names");
    if (!json_array_size(names))
        return 0;
    json_array_foreach(names, i, v) {
        if (!json_is_true(json_object_get(ended, json_string_value(v))))
            return 0;
    }
    return 1;
}

/* How a step still running ends with its job: the batch step as the job
 * (it is the script), the others CANCELLED, as Slurm records them, unless
 * the job ended by itself and the step's nodes said it had ended well. */
static const char *step_end_with(json_t *rec, enum job_end end)
{
    if (rec_step_id(rec) == STEP_ID_BATCH)
        return job_end_name(end);
    if ((end == END_COMPLETED || end == END_FAILED) && step_ended_clean(rec))
        return "COMPLETED";
    return end == END_NODE_FAIL ? "NODE_FAIL" : "CANCELLED";
}

void steps_job_ended(struct ctld *c, struct job *j, enum job_end end)
{
    while (json_array_size(j->steps)) {
        json_t *rec = json_array_get(j->steps, 0);
        int batch = rec_step_id(rec) == STEP_ID_BATCH;
        const char *state = step_end_with(rec, end);
        int sig = batch ? j->exit_signal
                        : end == END_COMPLETED || strcmp(state, "COMPLETED") == 0 ? 0 : SIGKILL;
        step_end(c, j, 0, state, batch ? j->exit_code : 0, sig);
    }
    steps_signal(c, j, NULL, SIGTERM, 1);
}

void steps_recover(struct ctld *c, struct job *j)
{
    json_t *all = db_steps_of(c->db, j->id), *rec;
    size_t i;
    json_array_foreach(all, i, rec) {
        const char *st = json_string_value(json_object_get(rec, "state"));
        if (!st || strcmp(st, "RUNNING") != 0)
            continue;
        if (!j->steps)
            j->steps = json_array();
        json_array_append(j->steps, rec);
    }
    json_decref(all);
}

void steps_signal(struct ctld *c, const struct job *j, json_t *rec, int sig, int terminate)
{
    hostlist_t *hl = NULL;
    json_t *names = rec ? json_object_get(rec, "node_names") : NULL;
    size_t n = 0;
    if (!names) {
        hl = j->nodes ? hostlist_expand(j->nodes, NULL) : NULL;
        n = hl ? hostlist_count(hl) : 0;
    } else {
        n = json_array_size(names);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = names ? json_string_value(json_array_get(names, i))
                                 : hostlist_nth(hl, i);
        struct node *node = name ? node_find(c, name) : NULL;
        if (!node)
            continue;
        json_t *body = json_pack("{s:i, s:I, s:i}", "job_id", (int)j->id, "step_id",
                                 rec ? rec_step_id(rec) : (json_int_t)-1, "signal", sig);
        if (terminate)
            json_object_set_new(body, "terminate", json_true());
        node_send(node, "step_signal", body);
    }
    hostlist_destroy(hl);
}
