/* selector.c: job ids as users type them: 123, "123", "123_7", "123_[1-3,9]",
 * and a heterogeneous job's component "123+1" (which is job 124). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "hetjob.h"

int selector_parse(json_t *v, struct selector *s, uint32_t limit, sl_error_t *e)
{
    memset(s, 0, sizeof(*s));
    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0 || json_integer_value(v) > UINT32_MAX)
            return sl_errprintf(e, "Invalid job id specified: %lld",
                                (long long)json_integer_value(v));
        s->id = (uint32_t)json_integer_value(v);
        return 0;
    }
    const char *text = json_string_value(v);
    char *end;
    if (!text)
        return sl_errprintf(e, "job ids must be numbers or strings");
    unsigned long id = strtoul(text, &end, 10);
    if (end == text || id == 0 || id > UINT32_MAX || (*end && *end != '_' && *end != '+'))
        return sl_errprintf(e, "Invalid job id specified: %s", text);
    if (*end == '+') {
        char *end2;
        unsigned long k = strtoul(end + 1, &end2, 10);
        if (end2 == end + 1 || *end2 || k >= HET_MAX_COMPONENTS)
            return sl_errprintf(e, "Invalid job id specified: %s", text);
        s->id = (uint32_t)(id + k);
        s->het_one = 1;   /* that component only, not the whole het job */
        return 0;
    }
    s->id = (uint32_t)id;
    if (!*end)
        return 0;
    char spec[256];
    const char *t = end + 1;
    size_t len = strlen(t);
    if (len >= 2 && t[0] == '[' && t[len - 1] == ']')
        snprintf(spec, sizeof(spec), "%.*s", (int)(len - 2), t + 1);
    else
        snprintf(spec, sizeof(spec), "%s", t);
    s->tasks = idset_decode(spec, limit, NULL, e);
    if (!s->tasks || strchr(spec, '%')) {
        idset_destroy(s->tasks);
        s->tasks = NULL;
        return sl_errprintf(e, "Invalid job id specified: %s", text);
    }
    return 0;
}

void selector_free(struct selector *s)
{
    idset_destroy(s->tasks);
    s->tasks = NULL;
}

int selector_matches(const struct selector *s, const struct job *j)
{
    int is_task = j->array_job_id && j->array_task_id >= 0;
    if (!s->tasks)
        return j->id == s->id || (is_task && j->array_job_id == s->id) ||
               (!s->het_one && j->het_job_id == s->id);   /* J: all its components */
    if (is_task)
        return j->array_job_id == s->id && idset_test(s->tasks, (uint32_t)j->array_task_id);
    return 0;
}

/* Records from the database for what the selector names that is not in memory. */
/* A finished array's own record stands for its tasks, as in Slurm
 * (squeue -j ID -t all, scontrol show job ID list every task): 1 when rec
 * was one and its stored tasks went to out in index order; 0 when it was
 * not, or no task of it ever started. */
static int stored_array_tasks(struct ctld *c, uint32_t id, json_t *rec, json_t *out,
                              json_t *(*get)(struct ctld *, uint32_t, int32_t))
{
    const char *spec = json_string_value(json_object_get(rec, "array_spec"));
    json_int_t lo = json_integer_value(json_object_get(rec, "array_min"));
    json_int_t hi = json_integer_value(json_object_get(rec, "array_max"));
    if (!spec || !*spec || json_integer_value(json_object_get(rec, "array_task_id")) >= 0 ||
        lo < 0 || hi < lo || hi - lo > (json_int_t)c->conf->max_array_size)
        return 0;
    size_t before = json_array_size(out);
    for (json_int_t t = lo; t <= hi; t++) {
        json_t *task = get(c, id, (int32_t)t);
        if (task)
            json_array_append_new(out, task);
    }
    /* None started (cancelled while pending): the array's record stays. */
    return json_array_size(out) > before;
}

void selector_stored(struct ctld *c, const struct selector *s, json_t *out,
                     json_t *(*get)(struct ctld *, uint32_t, int32_t))
{
    if (!s->tasks) {
        json_t *rec = get(c, s->id, -1);
        if (rec && stored_array_tasks(c, s->id, rec, out, get)) {
            json_decref(rec);
            return;
        }
        int het = rec && !s->het_one &&
                  json_integer_value(json_object_get(rec, "het_job_id")) == s->id;
        if (rec)
            json_array_append_new(out, rec);
        /* A het job's leader: its other components too. */
        for (uint32_t k = 1; het && k < HET_MAX_COMPONENTS; k++) {
            if (jobtab_find(c->jobs, s->id + k))
                continue;
            json_t *o = get(c, s->id + k, -1);
            if (o && json_integer_value(json_object_get(o, "het_job_id")) == s->id)
                json_array_append_new(out, o);
            else
                json_decref(o);
        }
        return;
    }
    for (uint32_t t = idset_first(s->tasks); t != IDSET_NONE; t = idset_next(s->tasks, t)) {
        if (jobtab_find_task(c->jobs, s->id, (int32_t)t))
            continue;
        json_t *rec = get(c, s->id, (int32_t)t);
        if (rec)
            json_array_append_new(out, rec);
    }
}
