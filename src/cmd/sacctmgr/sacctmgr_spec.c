/* sacctmgr_spec.c: the words after the entity, Slurm's way: Key=Value
 * specifications (keys case-insensitive, lists comma-separated), "where"
 * before the conditions and "set" before the new values of a modify, and
 * bare words as names ("list user alice").  A key that does not apply to
 * the command and entity is refused by name. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "sacctmgr.h"

/* What a key fills. */
enum sam_key {
    K_NAMES, K_ACCOUNTS, K_PARTITIONS, K_CLUSTERS, K_DESC, K_ORG, K_PARENT, K_DEFACCT,
    K_ADMIN, K_FORMAT,
};

/* Which commands a key is good for, by entity; "where" keys select, "set"
 * keys change (a modify wants them after "set"). */
#define ADD (1u << SAM_ADD)
#define DEL (1u << SAM_DELETE)
#define MOD (1u << SAM_MODIFY)
#define LST (1u << SAM_LIST)
#define ALL (ADD | DEL | MOD | LST)

static const struct sam_key_spec {
    const char *name;
    enum sam_entity ent;        /* SAM_CLUSTER + 1: any entity */
    enum sam_key key;
    unsigned cmds;
    int is_set;                 /* a setting, not a condition */
} keys[] = {
    { "names", SAM_CLUSTER + 1, K_NAMES, ALL, 0 },
    { "name", SAM_CLUSTER + 1, K_NAMES, ALL, 0 },
    { "accounts", SAM_ACCOUNT, K_NAMES, ALL, 0 },
    { "account", SAM_ACCOUNT, K_NAMES, ALL, 0 },
    { "acct", SAM_ACCOUNT, K_NAMES, ALL, 0 },
    { "users", SAM_USER, K_NAMES, ALL, 0 },
    { "user", SAM_USER, K_NAMES, ALL, 0 },
    { "users", SAM_ASSOC, K_NAMES, ALL, 0 },
    { "user", SAM_ASSOC, K_NAMES, ALL, 0 },
    { "accounts", SAM_USER, K_ACCOUNTS, ALL, 0 },
    { "account", SAM_USER, K_ACCOUNTS, ALL, 0 },
    { "acct", SAM_USER, K_ACCOUNTS, ALL, 0 },
    { "accounts", SAM_ASSOC, K_ACCOUNTS, ALL, 0 },
    { "account", SAM_ASSOC, K_ACCOUNTS, ALL, 0 },
    { "acct", SAM_ASSOC, K_ACCOUNTS, ALL, 0 },
    { "partitions", SAM_USER, K_PARTITIONS, ADD | DEL | LST, 0 },
    { "partition", SAM_USER, K_PARTITIONS, ADD | DEL | LST, 0 },
    { "partitions", SAM_ASSOC, K_PARTITIONS, ADD | DEL | LST, 0 },
    { "partition", SAM_ASSOC, K_PARTITIONS, ADD | DEL | LST, 0 },
    { "clusters", SAM_CLUSTER + 1, K_CLUSTERS, ALL, 0 },
    { "cluster", SAM_CLUSTER + 1, K_CLUSTERS, ALL, 0 },
    { "description", SAM_ACCOUNT, K_DESC, ADD | MOD, 1 },
    { "descr", SAM_ACCOUNT, K_DESC, ADD | MOD, 1 },
    { "organization", SAM_ACCOUNT, K_ORG, ADD | MOD, 1 },
    { "org", SAM_ACCOUNT, K_ORG, ADD | MOD, 1 },
    { "parent", SAM_ACCOUNT, K_PARENT, ADD | MOD, 1 },
    { "defaultaccount", SAM_USER, K_DEFACCT, ADD | MOD, 1 },
    { "defaultaccount", SAM_ASSOC, K_DEFACCT, ADD, 1 },
    { "adminlevel", SAM_USER, K_ADMIN, ADD | MOD, 1 },
    { "format", SAM_CLUSTER + 1, K_FORMAT, LST, 0 },
};

static const char *const cmd_names[] = { "add", "delete", "modify", "list" };
static const char *const ent_names[] = { "account", "user", "association", "cluster" };

const char *sam_entity_name(enum sam_entity ent)
{
    return ent_names[ent];
}

static const struct sam_key_spec *key_find(const char *k, size_t n, enum sam_entity ent)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if ((keys[i].ent == ent || keys[i].ent == SAM_CLUSTER + 1) &&
            strlen(keys[i].name) == n && strncasecmp(keys[i].name, k, n) == 0)
            return &keys[i];
    return NULL;
}

static void spec_list(json_t *arr, const char *word, const char *val)
{
    if (!*val)
        cmd_die("%.*s needs a value", (int)(strchr(word, '=') - word), word);
    cmd_list_strs(val, arr);
}

static void spec_word(struct sam_spec *s, enum sam_cmd cmd, enum sam_entity ent,
                      const char *word, int after_set)
{
    const char *eq = strchr(word, '=');
    if (!eq) {
        /* A bare word names entities (Slurm's "list user alice"). */
        if (after_set)
            cmd_die("'%s' after 'set' is not Key=Value", word);
        cmd_list_strs(word, s->names);
        return;
    }
    const struct sam_key_spec *k = key_find(word, (size_t)(eq - word), ent);
    const char *val = eq + 1;
    if (!k || !(k->cmds & (1u << cmd)))
        cmd_die("Unknown field '%.*s' for %s %s (see sacctmgr --help)", (int)(eq - word),
                word, cmd_names[cmd], ent_names[ent]);
    if (cmd == SAM_MODIFY && k->is_set != after_set)
        cmd_die(k->is_set ? "'%.*s' is a new value: put it after 'set'"
                          : "'%.*s' selects what to modify: put it before 'set' (after "
                            "'where')", (int)(eq - word), word);
    switch (k->key) {
    case K_NAMES: spec_list(s->names, word, val); break;
    case K_ACCOUNTS: spec_list(s->accounts, word, val); break;
    case K_PARTITIONS: spec_list(s->partitions, word, val); break;
    case K_CLUSTERS: spec_list(s->clusters, word, val); break;
    case K_DESC: s->description = val; break;
    case K_ORG: s->organization = val; break;
    case K_PARENT: s->parent = val; break;
    case K_DEFACCT: s->default_account = val; break;
    case K_ADMIN: s->admin_level = val; break;
    case K_FORMAT: s->format = val; break;
    }
    s->nsettings += k->is_set;
}

void sam_spec_parse(struct sam_spec *s, enum sam_cmd cmd, enum sam_entity ent, int argc,
                    char **argv)
{
    int after_set = 0;
    memset(s, 0, sizeof(*s));
    s->names = json_array();
    s->accounts = json_array();
    s->partitions = json_array();
    s->clusters = json_array();
    for (int i = 0; i < argc; i++) {
        if (strcasecmp(argv[i], "where") == 0) {
            if (after_set)
                cmd_die("'where' after 'set': conditions come first");
            continue;
        }
        if (strcasecmp(argv[i], "set") == 0) {
            if (cmd != SAM_MODIFY)
                cmd_die("'set' is for modify (sacctmgr modify %s where ... set ...)",
                        ent_names[ent]);
            after_set = s->has_set = 1;
            continue;
        }
        /* Slurm's listing flags, spelt as words. */
        if (cmd == SAM_LIST && strcasecmp(argv[i], "withassoc") == 0) {
            s->withassoc = 1;
            continue;
        }
        spec_word(s, cmd, ent, argv[i], after_set);
    }
}

void sam_spec_free(struct sam_spec *s)
{
    json_decref(s->names);
    json_decref(s->accounts);
    json_decref(s->partitions);
    json_decref(s->clusters);
}
