/* squeue_filter.c: the job filters squeue applies itself. */
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "squeue.h"

/* The filters the controller does not apply: -n names, -p partitions or
 * queues, --start's pending only, -q QOS, -R reservation, -L licenses.  -p NAME: a job submitted to queue NAME,
 * or one that may run (pending: any partition of its queue) or runs in
 * partition NAME. */
struct job_view {
    const char *name, *partition, *queue, *state, *nodes, *account, *qos, *resv, *licenses;
};

/* -w: the job runs (or ran) on one of the nodes asked for. */
static int nodes_match(const hostlist_t *want, const char *nodes)
{
    hostlist_t *hl = *nodes ? hostlist_expand(nodes, NULL) : NULL;
    int hit = 0;
    for (size_t i = 0; hl && i < hostlist_count(hl) && !hit; i++)
        hit = hostlist_find(want, hostlist_nth(hl, i)) >= 0;
    hostlist_destroy(hl);
    return hit;
}

/* -L a,b: the job asks for license a or b ("a:2,c" asks for a and c). */
static int license_match(const json_t *want, const char *lic)
{
    json_t *w;
    size_t i;
    for (const char *p = lic; *p; p += strcspn(p, ","), p += *p == ',') {
        size_t n = strcspn(p, ":,");
        json_array_foreach(want, i, w)
            if (strlen(json_string_value(w)) == n && !strncmp(p, json_string_value(w), n))
                return 1;
    }
    return 0;
}

static int qos_match(const json_t *want, const char *qos)
{
    json_t *w;
    size_t i;
    json_array_foreach(want, i, w)   /* a job that named none has Slurm's default */
        if (!strcasecmp(json_string_value(w), *qos ? qos : "normal"))
            return 1;
    return 0;
}

static int part_match(const json_t *parts, const struct job_view *v)
{
    json_t *w;
    size_t i;
    json_array_foreach(parts, i, w) {
        const char *want = json_string_value(w), *p = v->partition;
        size_t n = strlen(want);
        if (!strcmp(want, v->queue))
            return 1;
        for (; *p; p += strcspn(p, ","), p += *p == ',')
            if (!strncmp(p, want, n) && (p[n] == ',' || !p[n]))
                return 1;
    }
    return 0;
}

static int keep_job(const struct squeue_opts *o, const json_t *names, const struct job_view *v)
{
    json_t *nm;
    size_t k;
    int keep = !o->start || strcmp(v->state, "PENDING") == 0;
    if (keep && o->parts)
        keep = part_match(o->parts, v);
    if (keep && o->nodes)
        keep = nodes_match(o->nodes, v->nodes);
    if (keep && o->accounts) {
        keep = 0;
        json_array_foreach(o->accounts, k, nm)
            keep |= strcasecmp(json_string_value(nm), v->account) == 0;
    }
    if (keep && o->qos)
        keep = qos_match(o->qos, v->qos);
    if (keep && o->resv)
        keep = !strcmp(o->resv, v->resv);
    if (keep && o->licenses)
        keep = license_match(o->licenses, v->licenses);
    if (keep && o->name) {
        keep = 0;
        json_array_foreach(names, k, nm)
            keep |= strcmp(json_string_value(nm), v->name) == 0;
    }
    return keep;
}

static json_t *names_list(const struct squeue_opts *o)
{
    json_t *names = json_array();
    if (o->name)
        cmd_list_strs(o->name, names);
    return names;
}

/* --json: the records the filters select, as the controller sent them. */
json_t *squeue_json_select(const struct squeue_opts *o, json_t *jobs)
{
    json_t *out = json_array(), *j, *names = names_list(o);
    size_t i;
    json_array_foreach(jobs, i, j) {
        struct job_view v = { cmd_str(j, "name"), cmd_str(j, "partition"),
                              cmd_str(j, "queue"), cmd_str(j, "slurm_state"),
                              cmd_str(j, "nodes"), cmd_str(j, "account"), cmd_str(j, "qos"),
                              cmd_str(j, "reservation"), cmd_str(j, "licenses") };
        if (keep_job(o, names, &v))
            json_array_append(out, j);
    }
    json_decref(names);
    return out;
}

/* Keep only the rows the filters select (in place). */
void squeue_rows_select(const struct squeue_opts *o, struct sq_rows *rs)
{
    json_t *names;
    size_t k = 0;
    if (!o->name && !o->parts && !o->start && !o->nodes && !o->accounts && !o->qos &&
        !o->resv && !o->licenses)
        return;
    names = names_list(o);
    for (size_t i = 0; i < rs->n; i++) {
        const struct sq_row *r = &rs->row[i];
        struct job_view v = { o->name ? sq_str(r, K_NAME) : "",
                              o->parts ? sq_str(r, K_PARTITION) : "",
                              o->parts ? sq_str(r, K_QUEUE) : "",
                              o->start ? sq_str(r, K_SLURM_STATE) : "",
                              o->nodes ? sq_str(r, K_NODES) : "",
                              o->accounts ? sq_str(r, K_ACCOUNT) : "",
                              o->qos ? sq_str(r, K_QOS) : "",
                              o->resv ? sq_str(r, K_RESERVATION) : "",
                              o->licenses ? sq_str(r, K_LICENSES) : "" };
        if (keep_job(o, names, &v))
            rs->row[k++] = *r;
    }
    rs->n = k;
    json_decref(names);
}

