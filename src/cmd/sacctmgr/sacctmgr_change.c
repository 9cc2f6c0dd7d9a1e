/* sacctmgr_change.c: add, delete and modify of accounts, users and
 * associations, sent to the controller (account_* and user_* requests,
 * doc/protocol.md).  The controller applies a request whole or not at all;
 * its message names what was wrong.  Messages follow Slurm's (" Adding
 * Account(s)", " Nothing new added."), -Q silences them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "sacctmgr.h"

static void set_str(json_t *q, const char *key, const char *v)
{
    if (v)
        json_object_set_new(q, key, json_string(v));
}

/* Cluster=: this controller's cluster only (one cluster per controller). */
static const char *cluster_check(const struct sam_spec *s)
{
    conf_t *c = cmd_conf_load();
    json_t *v;
    size_t i;
    json_array_foreach(s->clusters, i, v)
        if (strcmp(json_string_value(v), c->cluster_name) != 0)
            cmd_die("unknown cluster '%s': this controller serves one cluster, %s "
                    "(multi-cluster is not supported)", json_string_value(v), c->cluster_name);
    return c->cluster_name;
}

static void need_names(const struct sam_spec *s, const char *cmd, enum sam_entity ent)
{
    if (json_array_size(s->names) == 0)
        cmd_die("%s %s: no names given (Names=...)", cmd, sam_entity_name(ent));
}

static void print_names(const struct sam_opts *o, const char *title, json_t *names)
{
    json_t *v;
    size_t i;
    if (o->quiet)
        return;
    printf(" %s\n", title);
    json_array_foreach(names, i, v)
        printf("  %s\n", json_string_value(v));
}

static void print_assocs(const struct sam_opts *o, json_t *added, const char *cluster)
{
    json_t *a;
    size_t i;
    if (o->quiet)
        return;
    json_array_foreach(added, i, a) {
        printf("  U = %-9.9s A = %-10.10s C = %-10.10s", cmd_str(a, "user"),
               cmd_str(a, "account"), cluster);
        if (*cmd_str(a, "partition"))
            printf(" P = %s", cmd_str(a, "partition"));
        putchar('\n');
    }
}

static int add_account(const struct sam_opts *o, const struct sam_spec *s, const char *cluster)
{
    json_t *q = json_pack("{s:O}", "names", s->names);
    set_str(q, "description", s->description);
    set_str(q, "organization", s->organization);
    set_str(q, "parent", s->parent);
    json_t *r = cmd_call("account_add", q);
    print_names(o, "Adding Account(s)", json_object_get(r, "changed"));
    if (!o->quiet)
        printf(" Settings\n  Parent        = %s\n  Cluster       = %s\n",
               s->parent ? s->parent : "root", cluster);
    json_decref(r);
    return 0;
}

static json_t *user_query(const struct sam_spec *s)
{
    json_t *q = json_pack("{s:O, s:O, s:O}", "names", s->names, "accounts", s->accounts,
                          "partitions", s->partitions);
    set_str(q, "default_account", s->default_account);
    set_str(q, "admin_level", s->admin_level);
    return q;
}

static int add_user(const struct sam_opts *o, const struct sam_spec *s, const char *cluster)
{
    if (json_array_size(s->accounts) == 0 && !s->default_account)
        cmd_die("add user: no account given (Account= or DefaultAccount=)");
    json_t *r = cmd_call("user_add", user_query(s));
    json_t *added = json_object_get(r, "changed");
    int rc = 0;
    if (json_array_size(added) == 0) {
        if (!o->quiet)
            puts(" Nothing new added.");
        rc = 1;
    } else {
        print_names(o, "Adding User(s)", s->names);
        if (!o->quiet)
            puts(" Associations =");
        print_assocs(o, added, cluster);
    }
    json_decref(r);
    return rc;
}

static int delete_entity(const struct sam_opts *o, enum sam_entity ent,
                         const struct sam_spec *s, const char *cluster)
{
    json_t *r;
    if (ent == SAM_ACCOUNT) {
        r = cmd_call("account_delete", json_pack("{s:O}", "names", s->names));
        print_names(o, "Deleting accounts...", json_object_get(r, "changed"));
    } else {
        if (ent == SAM_ASSOC && json_array_size(s->accounts) == 0)
            cmd_die("delete association: name the account (Account=) and user (User=)");
        r = cmd_call("user_delete", user_query(s));
        if (json_array_size(s->accounts) == 0) {
            print_names(o, "Deleting users...", s->names);
        } else {
            if (!o->quiet)
                puts(" Deleting user associations...");
            print_assocs(o, json_object_get(r, "changed"), cluster);
        }
    }
    json_decref(r);
    return 0;
}

static int modify_entity(const struct sam_opts *o, enum sam_entity ent,
                         const struct sam_spec *s)
{
    json_t *r, *q;
    if (s->nsettings == 0)
        cmd_die("modify %s: nothing to change (set Key=Value ...)", sam_entity_name(ent));
    if (ent == SAM_ACCOUNT) {
        q = json_pack("{s:O}", "names", s->names);
        set_str(q, "description", s->description);
        set_str(q, "organization", s->organization);
        set_str(q, "parent", s->parent);
        r = cmd_call("account_modify", q);
        print_names(o, "Modified accounts...", json_object_get(r, "changed"));
    } else {
        if (json_array_size(s->accounts))
            cmd_die("modify user: Account= does not apply (DefaultAccount and AdminLevel are "
                    "per user)");
        r = cmd_call("user_modify", user_query(s));
        print_names(o, "Modified users...", json_object_get(r, "changed"));
    }
    json_decref(r);
    return 0;
}

int sam_change(const struct sam_opts *o, enum sam_cmd cmd, enum sam_entity ent,
               const struct sam_spec *s)
{
    static const char *const words[] = { "add", "delete", "modify", "list" };
    if (ent == SAM_CLUSTER) {
        conf_t *c = cmd_conf_load();
        need_names(s, words[cmd], ent);
        json_t *v = json_array_get(s->names, 0);
        if (cmd == SAM_ADD && json_array_size(s->names) == 1 &&
            !strcmp(json_string_value(v), c->cluster_name))
            cmd_die("cluster %s already exists (it is this controller's ClusterName)",
                    c->cluster_name);
        cmd_die("%s cluster: this controller serves one cluster, %s, named by ClusterName in "
                "sluice.conf (multi-cluster is not supported)", words[cmd], c->cluster_name);
    }
    if (ent == SAM_ASSOC && cmd == SAM_MODIFY)
        cmd_die("modify association: associations have no settings here (limits, shares and "
                "QOS are not implemented: QOS and limits, the accounts issue)");
    const char *cluster = cluster_check(s);
    need_names(s, words[cmd], ent);
    switch (cmd) {
    case SAM_ADD:
        return ent == SAM_ACCOUNT ? add_account(o, s, cluster) : add_user(o, s, cluster);
    case SAM_DELETE: return delete_entity(o, ent, s, cluster);
    case SAM_MODIFY: return modify_entity(o, ent, s);
    case SAM_LIST: break;
    }
    return 1;
}
