/* scontrol: view and change the controller's state.  A table maps each
 * subcommand to its function. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "scontrol.h"

static void usage(FILE *out)
{
    fputs("Usage: scontrol [-o] [-d] [--json|--yaml] [--help] [--version] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  show job|jobid [ID] [-o] [-d] [--json|--yaml]   display job records\n"
          "  show node [NAME] [--json]       display node records\n"
          "  show partition [NAME]           display partition records\n"
          "  show config                     display the configuration\n"
          "  show hostnames [HOSTLIST]       expand a host list, one name a line\n"
          "  show hostlist NAME,...          compress names into a host list\n"
          "  show jobdefinition [NAME[:REV]] display job definitions\n"
          "  show queue [NAME]               display queues\n"
          "  show policy [NAME]              display scheduling policies\n"
          "  hold ID...                      keep pending jobs from starting\n"
          "  release ID...                   release held jobs\n"
          "  requeue ID...                   put running or finished jobs back in the queue\n"
          "  update JobId=ID [TimeLimit=T] [Name=N] [Partition=P] [Dependency=D]\n"
          "         [ArrayTaskThrottle=N] [StartTime=TIME] [NumNodes=N[-M]] [NumTasks=N]\n"
          "         [CPUsPerTask=N] [MinMemoryNode=MEM] [MinMemoryCPU=MEM] [Features=F]\n"
          "         [Comment=TEXT] [Nice=N] [ReqNodeList=L] [ExcNodeList=L]\n"
          "         [OverSubscribe=YES|NO] [Requeue=0|1] [MailType=T] [MailUser=U]\n"
          "  update NodeName=HOSTLIST State=DRAIN|RESUME|DOWN [Reason=TEXT]\n"
          "  create queue Name=Q Partitions=P[,P...] [Priority=N] [State=ENABLED|DISABLED]\n"
          "         [SchedulingPolicy=POL] [MaxRunnableTime=SECS Reason=TEXT]\n"
          "  update QueueName=Q KEY=VALUE...   change a queue (keys as for create)\n"
          "  delete queue Q                  remove a DISABLED, empty queue\n"
          "  create policy Name=POL [ShareDecaySeconds=SECS] [ComputeReservation=0-99]\n"
          "         [ShareDistribution=ID:WEIGHT[,PREFIX*:WEIGHT...]]\n"
          "  update PolicyName=POL KEY=VALUE... change a scheduling policy\n"
          "  delete policy POL               remove a policy no queue uses\n"
          "  create reservation ReservationName=R StartTime=T Duration=D Nodes=N Users=U\n"
          "         [Flags=MAINT,OVERLAP,IGNORE_JOBS,DAILY,WEEKLY]\n"
          "  update ReservationName=R [StartTime=T] [EndTime=T] [Duration=D] [Nodes=N]\n"
          "         [Users=U,...] [Flags=F,... | Flags+=F,... | Flags-=F,...]\n"
          "  delete ReservationName=R        remove a reservation\n"
          "  register jobdefinition file=DEF.json   register a job definition (AWS JSON)\n"
          "  deregister jobdefinition NAME:REV      make a revision INACTIVE\n"
          "  power up|down [asap|force] NODELIST  power State=CLOUD nodes up or down\n"
          "  reconfigure                     reread the configuration file\n"
          "  ping                            report whether the controller is up\n"
          "  version                         print the version\n"
          "\n"
          "Options:\n"
          "  -a, --all                       show INACTIVE job definitions too\n"
          "  -o, --oneliner                  print each record on one line\n"
          "  -d, --details                   per-node CPUs and GPUs of jobs\n"
          "      --json, --yaml              show job|node as Slurm 22.05's data_parser\n"
          "  -V, --version                   print the Slurm and Sluice versions\n"
          "Options may also follow a show's entity or id (show job 5 -o).\n", out);
}

/* UP, DOWN (no connection, or it was lost), or neither when this command
 * could not authenticate: a controller that refuses our credential, or a
 * credential that could not be made, says nothing about the controller, so
 * the reason is given instead of a misleading DOWN. */
static int cmd_ping(const struct scontrol_opts *o, int argc, char **argv)
{
    sl_error_t e;
    conf_t *c = cmd_conf_load();
    const char *host = c->controller_host;
    sl_client_t *cl = client_open_deferred(c, &e);
    json_t *reply = cl ? client_call(cl, "ping", json_object(), &e) : NULL;
    if (reply)
        printf("Controller %s is UP\n", host);
    else if (cl && !strcmp(client_last_code(cl), "EPERM"))
        printf("Controller %s is UP but refused this command's credential\n", host);
    else if (!cl && strncmp(e.text, "cannot connect", 14) != 0)
        printf("Controller %s could not be asked: no credential could be made\n", host);
    else
        printf("Controller %s is DOWN\n", host);
    if (!reply) {
        fflush(stdout);
        fprintf(stderr, "scontrol: error: %s\n", e.text);
    }
    json_decref(reply);
    client_close(cl);
    return reply ? 0 : 1;
}

static int cmd_reconfigure(const struct scontrol_opts *o, int argc, char **argv)
{
    json_decref(cmd_call("reconfigure", json_object()));
    return 0;
}

static int cmd_version_sub(const struct scontrol_opts *o, int argc, char **argv)
{
    cmd_version();
    return 0;
}

static int cmd_help(const struct scontrol_opts *o, int argc, char **argv)
{
    usage(stdout);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(const struct scontrol_opts *o, int argc, char **argv);
} commands[] = {
    { "show", scontrol_show },       { "update", scontrol_update },
    { "hold", scontrol_hold },       { "release", scontrol_release },
    { "uhold", scontrol_hold },      { "reconfigure", cmd_reconfigure },
    { "ping", cmd_ping },            { "version", cmd_version_sub },
    { "help", cmd_help },            { "requeue", scontrol_requeue },
    { "register", scontrol_register }, { "deregister", scontrol_deregister },
    { "create", scontrol_create },   { "delete", scontrol_delete },
    { "power", scontrol_power },
};

static const struct option long_opts[] = {
    { "oneliner", no_argument, NULL, 'o' }, { "details", no_argument, NULL, 'd' },
    { "all", no_argument, NULL, 'a' },
    { "quiet", no_argument, NULL, 'Q' },    { "help", no_argument, NULL, 'h' },
    { "verbose", no_argument, NULL, 'v' },
    { "usage", no_argument, NULL, 'h' },    { "version", no_argument, NULL, 'V' },
    { "json", no_argument, NULL, 'J' },     { "yaml", no_argument, NULL, 'Y' },
    { NULL, 0, NULL, 0 },
};

/* The same options as words after the subcommand: -o, -d, -dd, -a, -Q and
 * their long names, --json, --yaml. */
static const struct {
    const char *word;
    size_t offset;   /* of the int in struct scontrol_opts it sets; SIZE_MAX: none */
} option_words[] = {
    { "-o", offsetof(struct scontrol_opts, oneliner) },
    { "--oneliner", offsetof(struct scontrol_opts, oneliner) },
    { "-d", offsetof(struct scontrol_opts, details) },
    { "-dd", offsetof(struct scontrol_opts, details) },
    { "--details", offsetof(struct scontrol_opts, details) },
    { "-a", offsetof(struct scontrol_opts, all) },
    { "--all", offsetof(struct scontrol_opts, all) },
    { "--json", offsetof(struct scontrol_opts, json) },
    { "--yaml", offsetof(struct scontrol_opts, yaml) },
    { "-Q", SIZE_MAX }, { "--quiet", SIZE_MAX },
    { "-v", SIZE_MAX }, { "--verbose", SIZE_MAX },   /* accepted: nothing more to say */
};

int scontrol_option_word(struct scontrol_opts *o, const char *word)
{
    for (size_t i = 0; i < sizeof(option_words) / sizeof(option_words[0]); i++)
        if (!strcmp(word, option_words[i].word)) {
            if (option_words[i].offset != SIZE_MAX)
                *(int *)((char *)o + option_words[i].offset) = 1;
            return 0;
        }
    return -1;
}

int main(int argc, char **argv)
{
    struct scontrol_opts o = { 0 };
    int c, rc = -1;
    cmd_init("scontrol");
    cmd_args_utf8(argc, argv);
    opterr = 0;
    /* '+': options end at the subcommand, whose own words may look like options. */
    while ((c = getopt_long(argc, argv, "+aodQvhV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.oneliner = 1; break;
        case 'a': o.all = 1; break;
        case 'd': o.details = 1; break;
        case 'Q': case 'v': break;   /* -v: accepted, nothing more to say */
        case 'h': usage(stdout); return 0;
        case 'V': cmd_version(); return 0;
        case 'J': o.json = 1; break;
        case 'Y': o.yaml = 1; break;
        default: cmd_die_getopt(c, argv);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 1;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcasecmp(argv[optind], commands[i].name) == 0)
            rc = commands[i].fn(&o, argc - optind - 1, argv + optind + 1);
    if (rc < 0)
        cmd_die("Invalid command: '%s'\nTry \"scontrol --help\" for more information",
                argv[optind]);
    cmd_fini();
    return rc;
}
