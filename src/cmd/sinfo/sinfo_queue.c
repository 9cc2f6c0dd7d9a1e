/* sinfo_queue.c: sinfo --queues: one line per queue (queue_list), with its
 * priority, state, partitions in spill-over order and job counts.  Its own
 * field table: the letters name queue fields, not partition ones. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cmdutil.h"
#include "sinfo.h"

#define FMT_QUEUES "%-12q %.8p %-8a %-20P %.7j %.7R"
#define FMT_QUEUES_LONG "%-12q %.8p %-8a %-20P %.7j %.7R %-12S %.12M %I %E"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

GET(get_parts)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(json_object_get(r, "partitions"), i, v)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "," : "",
                              json_string_value(v));
}

GET(get_policy)
{
    const char *p = cmd_str(r, "scheduling_policy");
    snprintf(buf, len, "%s", *p ? p : "(fifo)");
}

GET(get_maxrun)
{
    int64_t t = cmd_int(r, "max_runnable_time");
    if (t > 0)
        snprintf(buf, len, "%lld", (long long)t);
    else
        snprintf(buf, len, "none");
}

GET(get_reason)
{
    const char *s = cmd_str(r, "reason");
    snprintf(buf, len, "%s", *s ? s : "none");
}

GET(get_implicit)
{
    snprintf(buf, len, "%s", json_is_true(json_object_get(r, "implicit")) ? "partition" : "queue");
}

static const struct jobfmt_field queue_fields[] = {
    { "Queue", 'q', "QUEUE", 20, 0, "name", NULL, 0 },
    { "Priority", 'p', "PRIORITY", 20, 0, "priority", NULL, 0 },
    { "State", 'a', "STATE", 20, 0, "state", NULL, 0 },
    { "Partitions", 'P', "PARTITIONS", 20, 0, NULL, get_parts, 0 },
    { "Pending", 'j', "PENDING", 20, 0, "pending", NULL, 0 },
    { "Running", 'R', "RUNNING", 20, 0, "running", NULL, 0 },
    { "SchedulingPolicy", 'S', "POLICY", 20, 0, NULL, get_policy, 0 },
    { "MaxRunnableTime", 'M', "MAX_RUNNABLE", 20, 0, NULL, get_maxrun, 0 },
    { "Reason", 'E', "REASON", 20, 0, NULL, get_reason, 0 },
    { "Kind", 'I', "KIND", 20, 0, NULL, get_implicit, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

/* A queue feeds one of the partitions asked for (-p). */
static int feeds(const json_t *q, const json_t *parts)
{
    json_t *v, *p;
    size_t i, k;
    if (!parts)
        return 1;
    json_array_foreach(json_object_get(q, "partitions"), i, v)
        json_array_foreach(parts, k, p)
            if (json_equal(v, p))
                return 1;
    return 0;
}

int sinfo_queues(const struct sinfo_queue_opts *o)
{
    sl_error_t e;
    jobfmt_t *f;
    json_t *reply, *q;
    size_t i;
    if (o->Format)
        f = jobfmt_parse(o->Format, JOBFMT_NAMES, queue_fields, &e);
    else
        f = jobfmt_parse(o->format ? o->format : o->longfmt ? FMT_QUEUES_LONG : FMT_QUEUES,
                         JOBFMT_PERCENT, queue_fields, &e);
    if (!f)
        cmd_die("%s", e.text);
    reply = cmd_call("queue_list", json_object());
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(json_object_get(reply, "queues"), i, q)
        if (feeds(q, o->parts))
            jobfmt_print_row(f, q, NULL, stdout);
    json_decref(reply);
    jobfmt_destroy(f);
    return 0;
}
