/* sacctmgr: view and change the accounts database (accounts, users,
 * associations) that the controller keeps, Slurm's way: "sacctmgr [OPTIONS]
 * COMMAND ENTITY [SPECS]".  Changes are committed at once, as Slurm's
 * sacctmgr -i does: there is no confirmation prompt (doc/man1/sacctmgr.1). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "sacctmgr.h"

static const struct option long_opts[] = {
    { "noheader", no_argument, NULL, 'n' },     { "parsable", no_argument, NULL, 'p' },
    { "parsable2", no_argument, NULL, 'P' },    { "associations", no_argument, NULL, 's' },
    { "immediate", no_argument, NULL, 'i' },    { "quiet", no_argument, NULL, 'Q' },
    { "help", no_argument, NULL, 'h' },         { "usage", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },      { "readonly", no_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
    fputs("Usage: sacctmgr [OPTIONS] COMMAND ENTITY [SPECS]\n"
          "  -i, --immediate      commit changes without asking (always the case here)\n"
          "  -n, --noheader       no header on listings\n"
          "  -p, --parsable       '|' separated, with a trailing '|'\n"
          "  -P, --parsable2      '|' separated, no trailing '|'\n"
          "  -Q, --quiet          print no messages other than errors\n"
          "  -r, --readonly       refuse every change (list only)\n"
          "  -s, --associations   list users and accounts with their associations\n"
          "  -V, --version        output version information and exit\n"
          "  -h, --help           show this help message\n"
          "\n"
          "COMMAND: add (create), delete (remove), modify (update), list (show)\n"
          "ENTITY:  account, user, association, cluster\n"
          "SPECS:   Names=, Account=, Partition=, Cluster=, Parent=, Description=,\n"
          "         Organization=, DefaultAccount=, AdminLevel=None|Operator|Administrator,\n"
          "         Format=Field[%width],... (list); 'where' before conditions and\n"
          "         'set' before new values (modify)\n"
          "\n"
          "Examples:\n"
          "  sacctmgr add account lab Description=\"the lab\" Organization=science\n"
          "  sacctmgr add user alice Account=lab\n"
          "  sacctmgr -s list user alice format=account%20\n"
          "  sacctmgr modify user where name=alice set DefaultAccount=lab\n"
          "  sacctmgr delete user alice where account=lab\n", out);
}

static void opts_parse(struct sam_opts *o, int argc, char **argv)
{
    int c;
    opterr = 0;
    /* '+': options come before the command, as in Slurm's usage. */
    while ((c = getopt_long(argc, argv, "+:npPsiQrhV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'n': o->noheader = 1; break;
        case 'p': o->parsable = o->trailing = 1; break;
        case 'P': o->parsable = 1; o->trailing = 0; break;
        case 's': o->assoc = 1; break;
        case 'i': break;   /* changes are always immediate */
        case 'Q': o->quiet = 1; break;
        case 'r': o->readonly = 1; break;
        case 'h': usage(stdout); exit(0);
        case 'V': cmd_version(); exit(0);
        default: cmd_die_getopt(c, argv);
        }
    }
}

static const struct {
    const char *word;
    enum sam_cmd cmd;
} commands[] = {
    { "add", SAM_ADD },       { "create", SAM_ADD },    { "delete", SAM_DELETE },
    { "remove", SAM_DELETE }, { "modify", SAM_MODIFY }, { "update", SAM_MODIFY },
    { "list", SAM_LIST },     { "show", SAM_LIST },
};

static const struct {
    const char *word;
    enum sam_entity ent;
} entities[] = {
    { "account", SAM_ACCOUNT },      { "accounts", SAM_ACCOUNT },
    { "user", SAM_USER },            { "users", SAM_USER },
    { "association", SAM_ASSOC },    { "associations", SAM_ASSOC },
    { "assoc", SAM_ASSOC },          { "cluster", SAM_CLUSTER },
    { "clusters", SAM_CLUSTER },
};

/* Slurm's commands and entities that Sluice does not have: refused by name
 * (QOS, limits and the rest are not implemented, doc/slurm-compat.md). */
static const char *const missing_commands[] = {
    "archive", "dump", "load", "reconfigure", "shutdown", "clear", NULL,
};
static const char *const missing_entities[] = {
    "qos", "tres", "wckey", "wckeys", "event", "events", "problem", "problems", "runaway",
    "runawayjobs", "transaction", "transactions", "txn", "federation", "federations",
    "resource", "resources", "reservation", "reservations", "stats", "configuration",
    "coordinator", "coordinators", "instance", "instances", NULL,
};

static int in_list(const char *const *list, const char *w)
{
    for (; *list; list++)
        if (strcasecmp(*list, w) == 0)
            return 1;
    return 0;
}

static enum sam_cmd cmd_find(const char *w)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcasecmp(commands[i].word, w) == 0)
            return commands[i].cmd;
    if (in_list(missing_commands, w))
        cmd_die("'%s' is not supported by Sluice's sacctmgr (add, delete, modify, list)", w);
    cmd_die("Invalid keyword: %s (use add, delete, modify or list)", w);
}

static enum sam_entity entity_find(const char *w)
{
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        if (strcasecmp(entities[i].word, w) == 0)
            return entities[i].ent;
    if (in_list(missing_entities, w))
        cmd_die("entity '%s' is not supported by Sluice (QOS and limits: the accounts issue); "
                "use account, user, association or cluster", w);
    cmd_die("unknown entity '%s': use account, user, association or cluster", w);
}

int main(int argc, char **argv)
{
    struct sam_opts o = { 0 };
    struct sam_spec s;
    int rc;
    cmd_init("sacctmgr");
    cmd_args_utf8(argc, argv);
    opts_parse(&o, argc, argv);
    if (optind >= argc)
        cmd_die("no command given (the interactive mode is not supported); see sacctmgr --help");
    enum sam_cmd cmd = cmd_find(argv[optind]);
    if (optind + 1 >= argc)
        cmd_die("%s: no entity given (account, user, association or cluster)", argv[optind]);
    enum sam_entity ent = entity_find(argv[optind + 1]);
    sam_spec_parse(&s, cmd, ent, argc - optind - 2, argv + optind + 2);
    o.assoc |= s.withassoc;
    if (o.readonly && cmd != SAM_LIST)
        cmd_die("%s: read-only mode (-r): only list is allowed", argv[optind]);
    rc = cmd == SAM_LIST ? sam_list(&o, ent, &s) : sam_change(&o, cmd, ent, &s);
    sam_spec_free(&s);
    cmd_fini();
    return rc;
}
