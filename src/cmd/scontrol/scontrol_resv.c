/* scontrol_resv.c: create, show and delete reservations, in Slurm's words:
 *   create reservation ReservationName=R StartTime=T (Duration=D | EndTime=T)
 *          Nodes=LIST Users=U[,U...]
 *   show reservation [R]
 *   delete ReservationName=R   (or: delete reservation R) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "cmdutil.h"
#include "parse.h"
#include "scontrol.h"

struct resv_words {
    const char *name, *start, *end, *duration, *nodes, *users;
};

static void resv_word(struct resv_words *w, const char *word)
{
    static const struct { const char *key; size_t off; } keys[] = {
        { "ReservationName", offsetof(struct resv_words, name) },
        { "StartTime", offsetof(struct resv_words, start) },
        { "EndTime", offsetof(struct resv_words, end) },
        { "Duration", offsetof(struct resv_words, duration) },
        { "Nodes", offsetof(struct resv_words, nodes) },
        { "Users", offsetof(struct resv_words, users) },
    };
    const char *eq = strchr(word, '=');
    for (size_t i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i].key) == (size_t)(eq - word) &&
            strncasecmp(word, keys[i].key, (size_t)(eq - word)) == 0) {
            *(const char **)((char *)w + keys[i].off) = eq + 1;
            return;
        }
    }
    cmd_die("Error creating the reservation: '%s' is not supported here (use "
            "ReservationName, StartTime, Duration or EndTime, Nodes, Users)", word);
}

static int64_t when(const char *what, const char *s)
{
    int64_t t;
    sl_error_t e;
    if (parse_datetime(s, (int64_t)time(NULL), &t, &e) < 0)
        cmd_die("Error creating the reservation: invalid %s: %s", what, e.text);
    return t;
}

int scontrol_resv_create(int argc, char **argv)
{
    struct resv_words w = { 0 };
    int64_t start, end, secs;
    sl_error_t e;
    for (int i = 0; i < argc; i++)
        resv_word(&w, argv[i]);
    if (!w.name || !*w.name || !w.nodes || !w.users || !w.start || (!w.end && !w.duration))
        cmd_die("Error creating the reservation: ReservationName, StartTime, Duration (or "
                "EndTime), Nodes and Users are needed");
    start = when("StartTime", w.start);
    if (w.end) {
        end = when("EndTime", w.end);
    } else {
        if (parse_time_limit(w.duration, &secs, &e) < 0 || secs <= 0)
            cmd_die("Error creating the reservation: invalid Duration '%s' (minutes, or "
                    "[days-]hours:minutes:seconds)", w.duration);
        end = start + secs;
    }
    json_t *reply = cmd_try("resv_create", json_pack("{s:s, s:I, s:I, s:s, s:s}", "name",
                                                    w.name, "start_time", (json_int_t)start,
                                                    "end_time", (json_int_t)end, "nodes",
                                                    w.nodes, "users", w.users), &e);
    if (!reply)
        cmd_die("Error creating the reservation: %s", e.text);
    printf("Reservation created: %s\n", w.name);
    json_decref(reply);
    return 0;
}

int scontrol_resv_delete(const char *name)
{
    sl_error_t e;
    json_t *reply = cmd_try("resv_delete", json_pack("{s:s}", "name", name), &e);
    if (!reply)
        cmd_die("Error deleting the reservation: %s", e.text);
    json_decref(reply);
    return 0;
}

/* Slurm's secs2time_str: [D-]HH:MM:SS. */
static char *duration_text(int64_t s, char *buf, size_t len)
{
    if (s >= 86400)
        snprintf(buf, len, "%lld-%02lld:%02lld:%02lld", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600), (long long)(s % 3600 / 60), (long long)(s % 60));
    else
        snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)(s / 3600),
                 (long long)(s % 3600 / 60), (long long)(s % 60));
    return buf;
}

/* As Slurm 22.05 prints a reservation. */
static void resv_print(const json_t *r)
{
    char start[32], end[32], dur[32];
    int64_t s = cmd_int(r, "start_time"), t = cmd_int(r, "end_time");
    printf("ReservationName=%s StartTime=%s EndTime=%s Duration=%s\n", cmd_str(r, "name"),
           format_datetime(s, start, sizeof(start)), format_datetime(t, end, sizeof(end)),
           duration_text(t - s, dur, sizeof(dur)));
    printf("   Nodes=%s NodeCnt=%lld CoreCnt=%lld Features=(null) PartitionName=(null) "
           "Flags=\n", cmd_str(r, "nodes"), (long long)cmd_int(r, "node_count"),
           (long long)cmd_int(r, "cpus"));
    printf("   TRES=cpu=%lld\n", (long long)cmd_int(r, "cpus"));
    printf("   Users=%s Groups=(null) Accounts=(null) Licenses=(null) State=%s "
           "BurstBuffer=(null) Watts=n/a\n", cmd_str(r, "users"), cmd_str(r, "state"));
    printf("   MaxStartDelay=(null)\n\n");
}

int scontrol_show_resv(const struct scontrol_opts *o, const char *name)
{
    json_t *reply = cmd_call("resv_list", json_object()), *r;
    json_t *all = json_object_get(reply, "reservations");
    size_t i, shown = 0;
    (void)o;
    json_array_foreach(all, i, r) {
        if (name && strcmp(cmd_str(r, "name"), name) != 0)
            continue;
        resv_print(r);
        shown++;
    }
    json_decref(reply);
    if (!shown && name)
        cmd_die("Reservation %s not found", name);
    if (!shown)
        printf("No reservations in the system\n");
    return 0;
}
