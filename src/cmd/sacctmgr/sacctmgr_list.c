/* sacctmgr_list.c: list account, user, association and cluster, with
 * Slurm's columns, headers and widths (right-aligned; Format=Name%width;
 * -p/-P parsable).  Rows are flat records: account, description,
 * organization, parent, cluster, user, partition, default_account,
 * admin_level (and the cluster's host and port). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "sacctmgr.h"

#define R 1

const struct jobfmt_field sam_fields[] = {
    { "Account", 0, "Account", 10, R, "account", NULL, 0 },
    { "Description", 0, "Descr", 20, R, "description", NULL, 0 },
    { "Descr", 0, "Descr", 20, R, "description", NULL, 0 },
    { "Organization", 0, "Org", 20, R, "organization", NULL, 0 },
    { "Org", 0, "Org", 20, R, "organization", NULL, 0 },
    { "ParentName", 0, "Par Name", 10, R, "parent", NULL, 0 },
    { "Cluster", 0, "Cluster", 10, R, "cluster", NULL, 0 },
    { "User", 0, "User", 10, R, "user", NULL, 0 },
    { "Partition", 0, "Partition", 10, R, "partition", NULL, 0 },
    { "DefaultAccount", 0, "Def Acct", 10, R, "default_account", NULL, 0 },
    { "AdminLevel", 0, "Admin", 9, R, "admin_level", NULL, 0 },
    { "Admin", 0, "Admin", 9, R, "admin_level", NULL, 0 },
    { "ControlHost", 0, "ControlHost", 15, R, "control_host", NULL, 0 },
    { "ControlPort", 0, "ControlPort", 12, R, "control_port", NULL, 0 },
    { "RPC", 0, "RPC", 5, R, "rpc", NULL, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

/* Slurm's default columns per listing (limits and QOS left out: not
 * implemented). */
static const char *default_format(enum sam_entity ent, int assoc)
{
    switch (ent) {
    case SAM_ACCOUNT:
        return assoc ? "Account,Descr,Org,Cluster,ParentName,User,Partition"
                     : "Account,Descr,Org";
    case SAM_USER:
        return assoc ? "User,DefaultAccount,Admin,Cluster,Account,Partition"
                     : "User,DefaultAccount,Admin";
    case SAM_ASSOC: return "Cluster,Account,User,Partition";
    case SAM_CLUSTER: break;
    }
    return "Cluster,ControlHost,ControlPort,RPC";
}

static int wanted(json_t *list, const char *name)
{
    json_t *v;
    size_t i;
    if (json_array_size(list) == 0)
        return 1;
    json_array_foreach(list, i, v)
        if (strcasecmp(json_string_value(v), name ? name : "") == 0)
            return 1;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(cmd_str(*(json_t *const *)a, "name"), cmd_str(*(json_t *const *)b, "name"));
}

/* The records of arr sorted by "name" (borrowed references). */
static json_t **sorted(json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    json_t **v = calloc(*n ? *n : 1, sizeof(*v));
    if (!v)
        cmd_die("out of memory");
    for (size_t i = 0; i < *n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, *n, sizeof(*v), cmp_name);
    return v;
}

static json_t *account_row(const json_t *a, const char *cluster)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "account", cmd_str(a, "name"),
                     "description", cmd_str(a, "description"), "organization",
                     cmd_str(a, "organization"), "parent", cmd_str(a, "parent"), "cluster",
                     cluster, "user", "", "partition", "");
}

static json_t *assoc_row(const json_t *u, const json_t *as, const char *cluster)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "user", cmd_str(u, "name"),
                     "default_account", cmd_str(u, "default_account"), "admin_level",
                     cmd_str(u, "admin_level"), "cluster", cluster, "account",
                     cmd_str(as, "account"), "partition", cmd_str(as, "partition"));
}

/* The association rows of the users (sorted) with account acct (NULL:
 * every account); a row carries the account's record when given. */
static void user_rows_of(json_t *rows, json_t **users, size_t nu, const json_t *acct,
                         const struct sam_spec *s, const char *cluster)
{
    json_t *as;
    size_t k;
    for (size_t i = 0; i < nu; i++)
        json_array_foreach(json_object_get(users[i], "assocs"), k, as) {
            if ((acct && strcmp(cmd_str(as, "account"), cmd_str(acct, "name"))) ||
                !wanted(s->partitions, cmd_str(as, "partition")))
                continue;
            json_t *row = assoc_row(users[i], as, cluster);
            if (acct) {
                json_object_set_new(row, "description",
                                    json_string(cmd_str(acct, "description")));
                json_object_set_new(row, "organization",
                                    json_string(cmd_str(acct, "organization")));
            }
            json_array_append_new(rows, row);
        }
}

static json_t *call_list(const char *op, const struct sam_spec *s, int with_accounts)
{
    json_t *q = json_pack("{s:O}", "names", s->names);
    if (with_accounts)
        json_object_set(q, "accounts", s->accounts);
    return cmd_call(op, q);
}

static void rows_accounts(json_t *rows, const struct sam_opts *o, const struct sam_spec *s)
{
    json_t *r = call_list("account_list", s, 0), *ur = NULL, **users = NULL;
    const char *cluster = cmd_str(r, "cluster");
    size_t n, nu = 0;
    json_t **accts = sorted(json_object_get(r, "accounts"), &n);
    if (o->assoc) {
        ur = cmd_call("user_list", json_object());
        users = sorted(json_object_get(ur, "users"), &nu);
    }
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(rows, account_row(accts[i], cluster));
        if (o->assoc)
            user_rows_of(rows, users, nu, accts[i], s, cluster);
    }
    free(accts);
    free(users);
    json_decref(ur);
    json_decref(r);
}

static void rows_users(json_t *rows, const struct sam_opts *o, const struct sam_spec *s)
{
    json_t *r = call_list("user_list", s, 1);
    const char *cluster = cmd_str(r, "cluster");
    size_t n;
    json_t **users = sorted(json_object_get(r, "users"), &n);
    for (size_t i = 0; i < n; i++) {
        if (o->assoc)
            user_rows_of(rows, users + i, 1, NULL, s, cluster);
        else
            json_array_append_new(rows, assoc_row(users[i], NULL, cluster));
    }
    free(users);
    json_decref(r);
}

/* Accounts depth first from root (children by name), each followed by its
 * users' associations, as Slurm's list association shows the tree. */
static void tree_walk(json_t *rows, json_t **accts, size_t n, const char *name, json_t **users,
                      size_t nu, const struct sam_spec *s, const char *cluster, size_t depth)
{
    for (size_t i = 0; i < n && depth <= n; i++) {
        if (strcmp(cmd_str(accts[i], "parent"), name))
            continue;
        const char *acct = cmd_str(accts[i], "name");
        if (wanted(s->accounts, acct)) {
            if (json_array_size(s->names) == 0)
                json_array_append_new(rows, account_row(accts[i], cluster));
            user_rows_of(rows, users, nu, accts[i], s, cluster);
        }
        tree_walk(rows, accts, n, acct, users, nu, s, cluster, depth + 1);
    }
}

static void rows_assocs(json_t *rows, const struct sam_spec *s)
{
    json_t *ar = cmd_call("account_list", json_object());
    json_t *ur = cmd_call("user_list", json_pack("{s:O}", "names", s->names));
    const char *cluster = cmd_str(ar, "cluster");
    size_t n, nu;
    json_t **accts = sorted(json_object_get(ar, "accounts"), &n);
    json_t **users = sorted(json_object_get(ur, "users"), &nu);
    tree_walk(rows, accts, n, "", users, nu, s, cluster, 0);
    free(accts);
    free(users);
    json_decref(ur);
    json_decref(ar);
}

static void rows_cluster(json_t *rows, const struct sam_spec *s)
{
    conf_t *c = cmd_conf_load();
    char port[16];
    snprintf(port, sizeof(port), "%d", c->controller_port);
    if (!wanted(s->names, c->cluster_name))
        return;
    /* RPC: the protocol version of Slurm 22.05, whose face Sluice shows. */
    json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}", "cluster", c->cluster_name,
                                          "control_host", c->controller_host, "control_port",
                                          port, "rpc", "9728"));
}

int sam_list(const struct sam_opts *o, enum sam_entity ent, const struct sam_spec *s)
{
    sl_error_t e;
    json_t *rows = json_array(), *r;
    size_t i;
    jobfmt_t *f = jobfmt_parse(s->format ? s->format : default_format(ent, o->assoc),
                               JOBFMT_SACCT, sam_fields, &e);
    if (!f)
        cmd_die("%s", e.text);
    if (o->parsable)
        jobfmt_set_parsable(f, "|", o->trailing);
    switch (ent) {
    case SAM_ACCOUNT: rows_accounts(rows, o, s); break;
    case SAM_USER: rows_users(rows, o, s); break;
    case SAM_ASSOC: rows_assocs(rows, s); break;
    case SAM_CLUSTER: rows_cluster(rows, s); break;
    }
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(rows, i, r)
        if (wanted(s->clusters, cmd_str(r, "cluster")))
            jobfmt_print_row(f, r, NULL, stdout);
    jobfmt_destroy(f);
    json_decref(rows);
    return 0;
}
