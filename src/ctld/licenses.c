/* licenses.c: the cluster's licenses (Licenses=), counted out to running
 * jobs (-L).  What is in use is recomputed from the running jobs each time
 * it is asked, so a restarted controller counts exactly what its recovered
 * jobs hold, with nothing of its own to persist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctld.h"
#include "license.h"
#include "sched_api.h"

/* Licenses are held from the start of a job to its end (its nodes freed). */
static int job_holds(const struct job *j)
{
    return j->licenses && !job_is_pending(j) && !job_is_terminal(j);
}

static uint32_t lic_used(struct ctld *c, const char *name)
{
    uint32_t used = 0;
    for (struct job *j = jobtab_first(c->jobs); j; j = j->next) {
        struct license_list l = { NULL, 0 };
        sl_error_t e;
        if (!job_holds(j) || license_parse(j->licenses, &l, &e) < 0)
            continue;
        const struct license *x = license_find(&l, name);
        used += x ? x->count : 0;
        license_list_free(&l);
    }
    return used;
}

int lic_check_request(struct ctld *c, const char *spec, char **norm, sl_error_t *e)
{
    struct license_list l = { NULL, 0 };
    sl_error_t why;
    *norm = NULL;
    if (license_parse(spec, &l, &why) < 0)
        return sl_errprintf(e, "Invalid license specification: %s", why.text);
    for (size_t i = 0; i < l.n; i++) {
        const struct license *have = license_find(&c->conf->licenses, l.items[i].name);
        if (!have || have->count < l.items[i].count) {
            sl_errprintf(e, "Invalid license specification: %s%s (the cluster has %u)",
                         have ? "too many of license " : "unknown license ",
                         l.items[i].name, have ? have->count : 0);
            license_list_free(&l);
            return -1;
        }
    }
    size_t len = 0;
    FILE *m = open_memstream(norm, &len);
    for (size_t i = 0; m && i < l.n; i++)
        fprintf(m, "%s%s:%u", i ? "," : "", l.items[i].name, l.items[i].count);
    if (m)
        fclose(m);
    license_list_free(&l);
    return *norm ? 0 : sl_errprintf(e, "out of memory");
}

int lic_job_ready(struct ctld *c, struct job *j)
{
    struct license_list l = { NULL, 0 };
    sl_error_t e;
    char detail[256] = "";
    if (!j->licenses || license_parse(j->licenses, &l, &e) < 0)
        return 1;
    for (size_t i = 0; i < l.n && !detail[0]; i++) {
        const struct license *have = license_find(&c->conf->licenses, l.items[i].name);
        uint32_t total = have ? have->count : 0, used = lic_used(c, l.items[i].name);
        if (used + l.items[i].count > total)
            snprintf(detail, sizeof(detail), "license %s: %u wanted, %u of %u free",
                     l.items[i].name, l.items[i].count, total > used ? total - used : 0, total);
    }
    license_list_free(&l);
    if (!detail[0])
        return 1;
    sched_set_wait(j, JOB_PENDING, "Licenses", detail);
    return 0;
}

void op_license_list(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    json_t *out = json_array();
    (void)q;
    for (size_t i = 0; i < c->conf->licenses.n; i++) {
        const struct license *l = &c->conf->licenses.items[i];
        uint32_t used = lic_used(c, l->name);
        json_array_append_new(out, json_pack("{s:s, s:i, s:i, s:i}", "name", l->name, "total",
                                             (int)l->count, "used", (int)used, "free",
                                             (int)(l->count > used ? l->count - used : 0)));
    }
    conn_reply(conn, id, json_pack("{s:o}", "licenses", out));
}
