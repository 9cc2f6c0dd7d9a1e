/* ops_bcast.c: bcast_grant (sbcast): the controller's credential that lets
 * a running job's owner write files on the job's nodes, as the job's user.
 * Each node's sluiced checks it (src/noded/file_bcast.c), as it checks a
 * step's grant: the nodes know a job's user only from the controller. */
#include <stdlib.h>
#include <string.h>
#include "auth.h"
#include "ctld.h"
#include "hostlist.h"

/* A grant is good for this long: one sbcast's copy to every node. */
#define BCAST_GRANT_TTL_S 600

static json_t *bcast_nodes(struct ctld *c, const struct job *j, json_t **addrs)
{
    json_t *names = json_array();
    hostlist_t *hl = hostlist_expand(j->nodes ? j->nodes : "", NULL);
    *addrs = json_array();
    for (size_t i = 0; hl && i < hostlist_count(hl); i++) {
        const char *name = hostlist_nth(hl, i);
        struct node *n = node_find(c, name);
        json_array_append_new(names, json_string(name));
        json_array_append_new(*addrs, json_pack("{s:s, s:s, s:i}", "name", name, "host",
                                                n ? n->cfg->hostname : "", "port",
                                                n ? n->cfg->port : 0));
    }
    hostlist_destroy(hl);
    return names;
}

void op_bcast_grant(sl_conn_t *conn, uint64_t id, json_t *q, void *arg)
{
    struct ctld *c = arg;
    uid_t uid = conn_uid(conn);
    struct job *j = jobtab_find(c->jobs, (uint32_t)json_integer_value(json_object_get(q, "job_id")));
    json_t *addrs, *p;
    char *text, *cred;
    sl_error_t e;
    if (!j) {
        conn_error(conn, id, "ENOENT", "Invalid job id specified");
        return;
    }
    if (j->uid != uid && !ctld_is_admin(c, uid)) {
        conn_error(conn, id, "EPERM", "Access/permission denied: job %u belongs to %s", j->id,
                   j->user);
        return;
    }
    if (j->state != JOB_RUNNING || !j->nodes) {
        conn_error(conn, id, "EINVAL", "Job %u is not running: files go only to a running "
                                       "job's nodes", j->id);
        return;
    }
    p = json_pack("{s:s, s:i, s:i, s:i, s:s, s:o, s:I}", "kind", "bcast", "job_id", (int)j->id,
                  "uid", (int)j->uid, "gid", (int)j->gid, "user", j->user,
                  "node_names", bcast_nodes(c, j, &addrs), "expires",
                  (json_int_t)(ctld_now() + BCAST_GRANT_TTL_S));
    text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    cred = text ? auth_cred_create_payload(c->auth, text, strlen(text), &e) : NULL;
    json_decref(p);
    free(text);
    if (!cred) {
        json_decref(addrs);
        conn_error(conn, id, "EIO", "cannot make the sbcast credential");
        return;
    }
    conn_reply(conn, id, json_pack("{s:s, s:o}", "cred", cred, "addrs", addrs));
    free(cred);
}
