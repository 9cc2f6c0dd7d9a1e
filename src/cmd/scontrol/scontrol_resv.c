/* scontrol_resv.c: create, update, show and delete reservations, in Slurm's
 * words:
 *   create reservation ReservationName=R StartTime=T (Duration=D | EndTime=T)
 *          Nodes=LIST Users=U[,U...] [Flags=F[,F...]]
 *   update ReservationName=R [StartTime=T] [EndTime=T] [Duration=D] [Nodes=LIST]
 *          [Users=U,...] [Flags=F,... | Flags+=F,... | Flags-=F,...]
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
    const char *verb;   /* "creating" or "updating", for messages */
    const char *name, *start, *end, *duration, *nodes, *users, *flags, *flags_add, *flags_del;
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
        { "Flags", offsetof(struct resv_words, flags) },
        { "Flags+", offsetof(struct resv_words, flags_add) },
        { "Flags-", offsetof(struct resv_words, flags_del) },
    };
    const char *eq = strchr(word, '=');
    for (size_t i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i].key) == (size_t)(eq - word) &&
            strncasecmp(word, keys[i].key, (size_t)(eq - word)) == 0) {
            *(const char **)((char *)w + keys[i].off) = eq + 1;
            return;
        }
    }
    cmd_die("Error %s the reservation: '%s' is not supported here (use ReservationName, "
            "StartTime, Duration or EndTime, Nodes, Users, Flags)", w->verb, word);
}

/* Every word, then what Sluice does not take: Slurm's Users=+U / Users=-U. */
static void resv_words_read(struct resv_words *w, int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        resv_word(w, argv[i]);
    if (w->users && (w->users[0] == '+' || w->users[0] == '-'))
        cmd_die("Error %s the reservation: Users=%s: adding or removing users is not supported "
                "here; give the whole list", w->verb, w->users);
}

static int64_t when(const struct resv_words *w, const char *what, const char *s)
{
    int64_t t;
    sl_error_t e;
    if (parse_datetime(s, (int64_t)time(NULL), &t, &e) < 0)
        cmd_die("Error %s the reservation: invalid %s: %s", w->verb, what, e.text);
    return t;
}

static int64_t duration(const struct resv_words *w)
{
    int64_t secs;
    sl_error_t e;
    if (parse_time_limit(w->duration, &secs, &e) < 0 || secs <= 0)
        cmd_die("Error %s the reservation: invalid Duration '%s' (minutes, or "
                "[days-]hours:minutes:seconds)", w->verb, w->duration);
    return secs;
}

int scontrol_resv_create(int argc, char **argv)
{
    struct resv_words w = { .verb = "creating" };
    int64_t start, end;
    sl_error_t e;
    resv_words_read(&w, argc, argv);
    if (!w.name || !*w.name || !w.nodes || !w.users || !w.start || (!w.end && !w.duration))
        cmd_die("Error creating the reservation: ReservationName, StartTime, Duration (or "
                "EndTime), Nodes and Users are needed");
    if (w.flags_add || w.flags_del)
        cmd_die("Error creating the reservation: Flags+= and Flags-= are for update; use Flags=");
    start = when(&w, "StartTime", w.start);
    end = w.end ? when(&w, "EndTime", w.end) : start + duration(&w);
    json_t *reply = cmd_try("resv_create", json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "name",
                                                    w.name, "start_time", (json_int_t)start,
                                                    "end_time", (json_int_t)end, "nodes",
                                                    w.nodes, "users", w.users, "flag_words",
                                                    w.flags ? w.flags : ""), &e);
    if (!reply)
        cmd_die("Error creating the reservation: %s", e.text);
    printf("Reservation created: %s\n", w.name);
    json_decref(reply);
    return 0;
}

/* Slurm's update: only the words given change; Flags= adds, as Slurm's does. */
int scontrol_resv_update(int argc, char **argv)
{
    struct resv_words w = { .verb = "updating" };
    sl_error_t e;
    resv_words_read(&w, argc, argv);
    if (!w.name || !*w.name)
        cmd_die("Error updating the reservation: ReservationName is needed");
    if (argc < 2)
        cmd_die("Error updating the reservation: nothing to change (StartTime, EndTime, "
                "Duration, Nodes, Users, Flags)");
    json_t *q = json_pack("{s:s}", "name", w.name);
    if (w.start)
        json_object_set_new(q, "start_time", json_integer(when(&w, "StartTime", w.start)));
    if (w.end)
        json_object_set_new(q, "end_time", json_integer(when(&w, "EndTime", w.end)));
    if (w.duration)
        json_object_set_new(q, "duration", json_integer(duration(&w)));
    if (w.nodes)
        json_object_set_new(q, "nodes", json_string(w.nodes));
    if (w.users)
        json_object_set_new(q, "users", json_string(w.users));
    if (w.flags || w.flags_add)
        json_object_set_new(q, "flags_add", json_string(w.flags ? w.flags : w.flags_add));
    if (w.flags_del)
        json_object_set_new(q, "flags_remove", json_string(w.flags_del));
    json_t *reply = cmd_try("resv_update", q, &e);
    if (!reply)
        cmd_die("Error updating the reservation: %s", e.text);
    printf("Reservation updated.\n");
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
           "Flags=%s\n", cmd_str(r, "nodes"), (long long)cmd_int(r, "node_count"),
           (long long)cmd_int(r, "cpus"), cmd_str(r, "flag_words"));
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
