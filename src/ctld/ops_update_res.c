/* ops_update_res.c: the resource and text fields of scontrol update JobId=
 * (NumNodes, NumTasks, MinMemoryNode, MinMemoryCPU, CPUs/task, Features,
 * Comment, Nice).  Resources change only while the job is pending, and the
 * result must still fit its partition (sched_validate), as at submit. */
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "featexpr.h"
#include "hostlist.h"
#include "mailtype.h"

/* What a resource update may change, saved to undo a refused one. */
struct res_saved {
    uint32_t nodes_min, nodes_max, ntasks, cpus_per_task;
    uint64_t mem_mb, mem_per_cpu_mb;
    int mem_all, exclusive;
    char *constraint, *req_nodelist, *exclude;
};

static void res_save(const struct job *j, struct res_saved *s)
{
    *s = (struct res_saved){ j->nodes_min, j->nodes_max, j->ntasks, j->cpus_per_task,
                             j->mem_mb, j->mem_per_cpu_mb, j->mem_all, j->exclusive,
                             j->constraint ? strdup(j->constraint) : NULL,
                             j->req_nodelist ? strdup(j->req_nodelist) : NULL,
                             j->exclude ? strdup(j->exclude) : NULL };
}

static void res_restore(struct job *j, struct res_saved *s)
{
    j->nodes_min = s->nodes_min;
    j->nodes_max = s->nodes_max;
    j->ntasks = s->ntasks;
    j->cpus_per_task = s->cpus_per_task;
    j->mem_mb = s->mem_mb;
    j->mem_per_cpu_mb = s->mem_per_cpu_mb;
    j->mem_all = s->mem_all;
    j->exclusive = s->exclusive;
    job_set_str(&j->constraint, s->constraint);
    job_set_str(&j->req_nodelist, s->req_nodelist);
    job_set_str(&j->exclude, s->exclude);
}

static void res_saved_free(struct res_saved *s)
{
    free(s->constraint);
    free(s->req_nodelist);
    free(s->exclude);
}

/* An empty string clears the field. */
static void set_text(char **field, json_t *q, const char *key)
{
    const char *v = json_string_value(json_object_get(q, key));
    if (json_object_get(q, key))
        job_set_str(field, v && *v ? v : NULL);
}

static int64_t int_of(json_t *q, const char *key)
{
    return json_integer_value(json_object_get(q, key));
}

/* Apply the request's resource fields to j; they were range-checked by the
 * operation's field table. */
static void res_apply(struct job *j, json_t *q)
{
    if (json_object_get(q, "nodes_min")) {
        j->nodes_min = (uint32_t)int_of(q, "nodes_min");
        j->nodes_max = json_object_get(q, "nodes_max") ? (uint32_t)int_of(q, "nodes_max")
                                                       : j->nodes_min;
    }
    if (json_object_get(q, "ntasks"))
        j->ntasks = (uint32_t)int_of(q, "ntasks");
    if (json_object_get(q, "cpus_per_task"))
        j->cpus_per_task = (uint32_t)int_of(q, "cpus_per_task");
    if (json_object_get(q, "mem_mb")) {   /* --mem and --mem-per-cpu exclude each other */
        j->mem_mb = (uint64_t)int_of(q, "mem_mb");
        j->mem_all = j->mem_mb == 0;
        j->mem_per_cpu_mb = 0;
    }
    if (json_object_get(q, "mem_per_cpu_mb")) {
        j->mem_per_cpu_mb = (uint64_t)int_of(q, "mem_per_cpu_mb");
        j->mem_mb = 0;
        j->mem_all = 0;
    }
    set_text(&j->constraint, q, "constraint");
    set_text(&j->req_nodelist, q, "nodelist");
    set_text(&j->exclude, q, "exclude");
    if (json_object_get(q, "exclusive"))
        j->exclusive = json_is_true(json_object_get(q, "exclusive"));
}

static int res_requested(json_t *q)
{
    static const char *const keys[] = { "nodes_min", "ntasks", "cpus_per_task", "mem_mb",
                                        "mem_per_cpu_mb", "constraint", "nodelist", "exclude",
                                        "exclusive" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_get(q, keys[i]))
            return 1;
    return 0;
}

/* Host lists must expand; an empty one clears. */
static int hostlist_ok(json_t *q, const char *key, const char *what, sl_error_t *e)
{
    const char *v = json_string_value(json_object_get(q, key));
    hostlist_t *hl;
    sl_error_t he;
    if (!v || !*v)
        return 0;
    if (!(hl = hostlist_expand(v, &he)))
        return sl_errprintf(e, "Invalid %s: %s", what, he.text);
    hostlist_destroy(hl);
    return 0;
}

/* MailType and MailUser, checked as at submit: the recipient is an argument
 * of MailProg, so one that reads as an option is refused. */
static int mail_check(const struct job *j, json_t *q, uint32_t *bits, sl_error_t *e)
{
    const char *mt = json_string_value(json_object_get(q, "mail_type"));
    const char *mu = json_string_value(json_object_get(q, "mail_user"));
    *bits = j->mail_type;
    if (mt && mailtype_parse(mt, bits, e) < 0)
        return sl_errprefix(e, "Invalid MailType");
    if (mu && (mu[0] == '-' || strpbrk(mu, " \t\r\n")))
        return sl_errprintf(e, "Invalid MailUser '%s': an address, not starting with '-' and "
                               "without blanks", mu);
    return 0;
}

static void mail_apply(struct job *j, json_t *q, uint32_t bits)
{
    const char *mu = json_string_value(json_object_get(q, "mail_user"));
    j->mail_type = bits;
    if (mu)
        job_set_str(&j->mail_user, *mu ? mu : NULL);
}

int job_update_res(struct ctld *c, struct job *j, json_t *q, int admin, sl_error_t *e)
{
    json_t *nice = json_object_get(q, "nice"), *comment = json_object_get(q, "comment");
    const char *f = json_string_value(json_object_get(q, "constraint"));
    struct res_saved saved;
    const struct conf_partition *p;
    uint32_t mail_bits;
    int rc = 0;
    json_t *acct = json_object_get(q, "account");
    char *new_acct = NULL;
    if (res_requested(q) && !job_is_pending(j))
        return sl_errprintf(e, "Job %u is no longer pending: its resources cannot change", j->id);
    if (acct && !job_is_pending(j))
        return sl_errprintf(e, "Job %u is no longer pending: its account cannot change", j->id);
    if (nice && json_integer_value(nice) < 0 && !admin)
        return sl_errprintf(e, "Access/permission denied: only an administrator can set a "
                               "negative nice value");
    if (json_object_get(q, "nodes_max") && int_of(q, "nodes_max") < int_of(q, "nodes_min"))
        return sl_errprintf(e, "Invalid NumNodes: the maximum is below the minimum");
    if (f && *f && featexpr_check(f, e) < 0)
        return -1;
    if (hostlist_ok(q, "nodelist", "ReqNodeList", e) < 0 ||
        hostlist_ok(q, "exclude", "ExcNodeList", e) < 0)
        return -1;
    /* Everything is checked before the resources change: they are the
     * last check, undone when it fails. */
    if (mail_check(j, q, &mail_bits, e) < 0 ||
        (acct && assoc_job_account(c, j, json_string_value(acct), &new_acct, e) < 0))
        return -1;
    if (res_requested(q)) {
        res_save(j, &saved);
        res_apply(j, q);
        p = conf_part_find(c->conf, j->partition);
        if (p && (rc = sched_validate(c, j, p, e)) < 0)
            res_restore(j, &saved);
        res_saved_free(&saved);
        if (rc < 0) {
            free(new_acct);
            return -1;
        }
    }
    if (acct) {
        job_set_str(&j->account, new_acct);
        free(new_acct);
    }
    mail_apply(j, q, mail_bits);
    if (json_object_get(q, "requeue"))
        j->requeue = json_is_true(json_object_get(q, "requeue"));
    if (nice)
        j->nice = (int32_t)json_integer_value(nice);
    if (comment) {
        const char *s = json_string_value(comment);
        job_set_str(&j->comment, s && *s ? s : NULL);
    }
    return 0;
}
