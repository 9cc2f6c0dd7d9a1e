/* scontrol_queue.c: queues and scheduling policies at run time:
 *   create queue Name=X Priority=N Partitions=a,b [State=] [SchedulingPolicy=]
 *                [MaxRunnableTime=S Reason=TEXT]
 *   create policy Name=X [ShareDecaySeconds=S] [ComputeReservation=R]
 *                [ShareDistribution=ID:W,...]
 *   update QueueName=X Key=Value...      update PolicyName=X Key=Value...
 *   delete queue X                       delete policy X
 *   show queue [X]                       show policy [X]
 * The words are checked by scontrol_kv.c; the controller has the last word. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "jobfmt.h"
#include "scontrol.h"
#include "scontrol_kv.h"

#define NL JOBFMT_KV_NEWLINE
#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

/* The kinds these verbs act on: what users type, the entity's keys, and
 * the controller's operations. */
struct sc_kind_def {
    const char *names[3];
    const struct sc_entity *ent;
    const char *change_op, *list_op, *list_key;
};

static const struct sc_kind_def kinds[] = {
    { { "queue", "queues", "queuename" }, &sc_queue, "queue_change", "queue_list", "queues" },
    { { "policy", "policies", "schedulingpolicy" }, &sc_policy, "policy_change",
      "policy_list", "policies" },
    { { "partitionname", NULL, NULL }, &sc_partition, "part_change", "part_list", "partitions" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct sc_kind_def *kind_find(const char *word)
{
    for (size_t i = 0; i < NKINDS; i++)
        for (int k = 0; k < 3 && kinds[i].names[k]; k++)
            if (strcasecmp(word, kinds[i].names[k]) == 0)
                return &kinds[i];
    return NULL;
}

/* Send a change; the controller's message on an error. */
static int change(const struct sc_kind_def *k, const char *action, json_t *body)
{
    sl_error_t e;
    json_t *reply;
    json_object_set_new(body, "action", json_string(action));
    if (!(reply = cmd_try(k->change_op, body, &e)))
        cmd_die("%s", e.text);
    json_decref(reply);
    return 0;
}

static int change_words(const struct sc_kind_def *k, const char *action, int argc, char **argv)
{
    sl_error_t e;
    json_t *body = sc_kv_parse(k->ent, argc, argv, &e);
    if (!body)
        cmd_die("%s", e.text);
    if (!strcmp(action, "update") && json_object_size(json_object_get(body, "keys")) == 0) {
        json_decref(body);
        cmd_die("No changes specified");
    }
    return change(k, action, body);
}

/* The kind a "QueueName=X" or "PolicyName=X" word names, or NULL. */
static const struct sc_kind_def *kind_of_word(const char *word)
{
    size_t klen = strcspn(word, "=");
    for (size_t i = 0; i < NKINDS; i++)
        for (const char *const *n = kinds[i].ent->name_keys; *n; n++)
            if (strcasecmp(*n, "Name") && strlen(*n) == klen && !strncasecmp(*n, word, klen))
                return &kinds[i];
    return NULL;
}

/* create queue Name=X ...  (or create QueueName=X ...) */
int scontrol_create(const struct scontrol_opts *o, int argc, char **argv)
{
    const struct sc_kind_def *k;
    if (argc < 1)
        cmd_die("create what? (queue Name=..., policy Name=... or reservation "
                "ReservationName=...)");
    if (!strcasecmp(argv[0], "reservation") || !strcasecmp(argv[0], "res"))
        return scontrol_resv_create(argc - 1, argv + 1);
    if (!strncasecmp(argv[0], "ReservationName=", 16))
        return scontrol_resv_create(argc, argv);
    if ((k = kind_find(argv[0])))
        return change_words(k, "create", argc - 1, argv + 1);
    if (strchr(argv[0], '=') && (k = kind_of_word(argv[0])))
        return change_words(k, "create", argc, argv);
    cmd_die("Invalid entity: '%s' for the create command (use queue or policy)", argv[0]);
}

int scontrol_update_queue(int argc, char **argv)
{
    return change_words(&kinds[0], "update", argc, argv);
}

int scontrol_update_policy(int argc, char **argv)
{
    return change_words(&kinds[1], "update", argc, argv);
}

/* update PartitionName=X MinvCPUs= MaxvCPUs= State=DISABLED (elastic). */
int scontrol_update_partition(int argc, char **argv)
{
    return change_words(&kinds[2], "update", argc, argv);
}

/* delete queue X, or delete QueueName=X (Slurm's form). */
int scontrol_delete(const struct scontrol_opts *o, int argc, char **argv)
{
    const struct sc_kind_def *k = NULL;
    const char *name = NULL;
    if (argc == 2 && (!strcasecmp(argv[0], "reservation") || !strcasecmp(argv[0], "res")))
        return scontrol_resv_delete(argv[1]);
    if (argc == 1 && !strncasecmp(argv[0], "ReservationName=", 16))
        return scontrol_resv_delete(argv[0] + 16);
    if (argc == 2 && (k = kind_find(argv[0])))
        name = argv[1];
    else if (argc == 1 && strchr(argv[0], '=') && (k = kind_of_word(argv[0])))
        name = strchr(argv[0], '=') + 1;
    if (!k || !name || !*name)
        cmd_die("delete what? (queue NAME, policy NAME or ReservationName=NAME)");
    return change(k, "delete", json_pack("{s:s}", "name", name));
}

GET(get_parts)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(json_object_get(r, "partitions"), i, v)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "," : "",
                              json_string_value(v));
}

GET(get_implicit)
{
    snprintf(buf, len, "%s", json_is_true(json_object_get(r, "implicit")) ? "YES" : "NO");
}

static const struct jobfmt_kv queue_kv[] = {
    { "QueueName", "name", NULL, 0 },
    { "Priority", "priority", NULL, NL },     { "State", "state", NULL, 0 },
    { "Partitions", NULL, get_parts, NL },
    { "SchedulingPolicy", "scheduling_policy", NULL, NL },
    { "MaxRunnableTime", "max_runnable_time", NULL, NL }, { "Reason", "reason", NULL, 0 },
    { "Implicit", NULL, get_implicit, NL },
    { "PendingJobs", "pending", NULL, NL },   { "RunningJobs", "running", NULL, 0 },
};

static const struct jobfmt_kv policy_kv[] = {
    { "PolicyName", "name", NULL, 0 },
    { "ShareDecaySeconds", "share_decay_seconds", NULL, NL },
    { "ComputeReservation", "compute_reservation", NULL, 0 },
    { "ShareDistribution", "share_distribution", NULL, NL },
};

static int show(const struct scontrol_opts *o, const struct sc_kind_def *k,
                const struct jobfmt_kv *tab, size_t n, const char *name)
{
    sl_error_t e;
    json_t *reply = cmd_try(k->list_op, name ? json_pack("{s:s}", "name", name)
                                             : json_object(), &e);
    if (!reply)
        cmd_die("%s", e.text);
    if (json_array_size(json_object_get(reply, k->list_key)) == 0)
        printf("No %s in the system\n", k->list_key);
    scontrol_print_records(o, json_object_get(reply, k->list_key), tab, n);
    json_decref(reply);
    return 0;
}

int scontrol_show_queue(const struct scontrol_opts *o, const char *name)
{
    return show(o, &kinds[0], KV(queue_kv), name);
}

int scontrol_show_policy(const struct scontrol_opts *o, const char *name)
{
    return show(o, &kinds[1], KV(policy_kv), name);
}
