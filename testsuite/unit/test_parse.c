/* test_parse.c: times, sizes, numbers, signals and dates as users type them. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct { const char *s; int64_t secs; } time_good[] = {
    { "0", 0 },           { "5", 300 },         { "90", 5400 },
    { "5:30", 330 },      { "0:59", 59 },       { "1:02:03", 3723 },
    { "2-3", 2 * 86400 + 3 * 3600 },            { "2-3:04", 2 * 86400 + 3 * 3600 + 240 },
    { "2-3:04:05", 2 * 86400 + 3 * 3600 + 245 }, { "0-0:0:1", 1 },
    { "UNLIMITED", TIME_INFINITE },             { "infinite", TIME_INFINITE },
    { "Unlimited", TIME_INFINITE },
    { "999999999999-23:59:59", INT64_C(999999999999) * 86400 + 86399 },
};

static const char *const time_bad[] = {
    "", "abc", "-5", "1:2:3:4", "1-", "-1", "1-2-3", "1:", ":1", "5m", " 5", "5 ",
    "1-2:3:4:5", "99999999999999999999", "1.5", "+5", "UNLIMITEDx",
    /* Found by fuzzing: more days than a time may be written with. */
    "999999999999-129",
};

START_TEST(test_time_limit)
{
    for (size_t i = 0; i < N(time_good); i++) {
        int64_t v = 12345;
        sl_error_t e = { "" };
        ck_assert_msg(parse_time_limit(time_good[i].s, &v, &e) == 0, "'%s': %s",
                      time_good[i].s, e.text);
        ck_assert_msg(v == time_good[i].secs, "'%s' gave %lld", time_good[i].s, (long long)v);
    }
    for (size_t i = 0; i < N(time_bad); i++) {
        int64_t v = 12345;
        sl_error_t e = { "" };
        ck_assert_msg(parse_time_limit(time_bad[i], &v, &e) == -1, "'%s' accepted",
                      time_bad[i]);
        ck_assert_int_eq(v, 12345);
        ck_assert_msg(strncmp(e.text, "'", 1) == 0 && strstr(e.text, "is not a valid time"),
                      "'%s': message '%s'", time_bad[i], e.text);
    }
}
END_TEST

static const struct { int64_t secs; const char *text; } durations[] = {
    { 0, "0:00" },         { 59, "0:59" },      { 65, "1:05" },
    { 3599, "59:59" },     { 3600, "1:00:00" }, { 3723, "1:02:03" },
    { 86399, "23:59:59" }, { 86400, "1-00:00:00" },
    { 2 * 86400 + 3 * 3600 + 4 * 60 + 5, "2-03:04:05" },
    { 400 * 86400, "400-00:00:00" }, { TIME_INFINITE, "UNLIMITED" },
};

START_TEST(test_duration)
{
    char buf[32];
    for (size_t i = 0; i < N(durations); i++)
        ck_assert_str_eq(format_duration(durations[i].secs, buf, sizeof(buf)),
                         durations[i].text);
}
END_TEST

static const struct { const char *s; uint64_t mb; } mem_good[] = {
    { "100", 100 },     { "0", 0 },      { "4G", 4096 },     { "4g", 4096 },
    { "512M", 512 },    { "1T", 1048576 }, { "100K", 1 },    { "1024K", 1 },
    { "1025K", 2 },     { "0K", 0 },     { "2048k", 2 },
};

static const char *const mem_bad[] = {
    "", "G", "abc", "-1", "4GB", "1.5G", "4X", " 4", "99999999999999999999",
    "18014398509481984G",
};

START_TEST(test_mem)
{
    for (size_t i = 0; i < N(mem_good); i++) {
        uint64_t v = 0;
        sl_error_t e = { "" };
        ck_assert_msg(parse_mem_mb(mem_good[i].s, &v, &e) == 0, "'%s': %s", mem_good[i].s,
                      e.text);
        ck_assert_msg(v == mem_good[i].mb, "'%s' gave %llu", mem_good[i].s,
                      (unsigned long long)v);
    }
    for (size_t i = 0; i < N(mem_bad); i++) {
        uint64_t v = 7;
        sl_error_t e = { "" };
        ck_assert_msg(parse_mem_mb(mem_bad[i], &v, &e) == -1, "'%s' accepted", mem_bad[i]);
        ck_assert_uint_eq(v, 7);
        ck_assert_msg(strstr(e.text, "is not a valid memory size"), "'%s': '%s'", mem_bad[i],
                      e.text);
    }
}
END_TEST

START_TEST(test_numbers)
{
    sl_error_t e;
    uint64_t u;
    long l;

    ck_assert_int_eq(parse_u64("5", 1, 10, "nodes", &u, &e), 0);
    ck_assert_uint_eq(u, 5);
    ck_assert_int_eq(parse_u64("18446744073709551615", 0, UINT64_MAX, "x", &u, &e), 0);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(parse_u64("0", 1, 10, "nodes", &u, &e), -1);
    ck_assert_str_eq(e.text, "bad value for nodes: 0 is out of range (1-10)");
    ck_assert_int_eq(parse_u64("x", 1, 10, "nodes", &u, &e), -1);
    ck_assert_str_eq(e.text, "bad value for nodes: 'x' is not a number");
    ck_assert_int_eq(parse_u64("-1", 0, 10, NULL, &u, &e), -1);
    ck_assert_str_eq(e.text, "'-1' is not a number");
    ck_assert_int_eq(parse_u64("18446744073709551616", 0, UINT64_MAX, NULL, &u, &e), -1);
    ck_assert_str_eq(e.text, "18446744073709551616 is out of range (0-18446744073709551615)");
    ck_assert_int_eq(parse_u64("", 0, 10, NULL, &u, &e), -1);

    ck_assert_int_eq(parse_int("-5", -10, 10, "n", &l, &e), 0);
    ck_assert_int_eq(l, -5);
    ck_assert_int_eq(parse_int("+3", -10, 10, "n", &l, &e), 0);
    ck_assert_int_eq(l, 3);
    ck_assert_int_eq(parse_int("-9223372036854775808", LONG_MIN, 0, "n", &l, &e), 0);
    ck_assert(l == LONG_MIN);
    ck_assert_int_eq(parse_int("9223372036854775808", LONG_MIN, LONG_MAX, "n", &l, &e), -1);
    ck_assert_int_eq(parse_int("-11", -10, 10, "n", &l, &e), -1);
    ck_assert_str_eq(e.text, "bad value for n: -11 is out of range (-10-10)");
    ck_assert_int_eq(parse_int("-", -10, 10, "n", &l, &e), -1);
    ck_assert_str_eq(e.text, "bad value for n: '-' is not a number");
    ck_assert_int_eq(parse_int("", -10, 10, NULL, &l, &e), -1);
    ck_assert_int_eq(parse_int("1x", -10, 10, NULL, &l, &e), -1);
}
END_TEST

START_TEST(test_bool)
{
    static const struct { const char *s; int v; } good[] = {
        { "yes", 1 }, { "No", 0 }, { "TRUE", 1 }, { "false", 0 },
        { "1", 1 },   { "0", 0 },  { "on", 1 },   { "OFF", 0 },
    };
    sl_error_t e;
    int v;

    for (size_t i = 0; i < N(good); i++) {
        ck_assert_int_eq(parse_bool(good[i].s, &v, &e), 0);
        ck_assert_int_eq(v, good[i].v);
    }
    ck_assert_int_eq(parse_bool("maybe", &v, &e), -1);
    ck_assert_str_eq(e.text, "'maybe' is not yes or no");
    ck_assert_int_eq(parse_bool("", &v, &e), -1);
}
END_TEST

START_TEST(test_signal)
{
    static const struct { const char *s; int sig; } good[] = {
        { "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "sigusr1", SIGUSR1 },
        { "kill", SIGKILL }, { "9", 9 }, { "64", 64 }, { "1", 1 }, { "Winch", SIGWINCH },
    };
    static const char *const bad[] = { "0", "65", "FOO", "", "SIG", "-9", "SIG15", "TERM " };
    static const int common[] = {
        SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
        SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
        SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,
        SIGPWR, SIGSYS,
    };
    sl_error_t e;
    int sig;

    for (size_t i = 0; i < N(good); i++) {
        ck_assert_msg(parse_signal(good[i].s, &sig, &e) == 0, "'%s': %s", good[i].s, e.text);
        ck_assert_int_eq(sig, good[i].sig);
    }
    for (size_t i = 0; i < N(bad); i++)
        ck_assert_msg(parse_signal(bad[i], &sig, &e) == -1, "'%s' accepted", bad[i]);
    ck_assert_int_eq(parse_signal("FOO", &sig, &e), -1);
    ck_assert_str_eq(e.text, "'FOO' is not a signal name or number");
    for (size_t i = 0; i < N(common); i++) {
        const char *name = signal_name(common[i]);
        ck_assert_msg(name != NULL, "no name for %d", common[i]);
        ck_assert_int_eq(parse_signal(name, &sig, &e), 0);
        ck_assert_int_eq(sig, common[i]);
    }
    ck_assert_str_eq(signal_name(SIGTERM), "TERM");
    ck_assert_ptr_null(signal_name(0));
    ck_assert_ptr_null(signal_name(100));
}
END_TEST

/* 2023-11-14T22:13:20 UTC. */
#define NOW INT64_C(1700000000)

/* Midnight of NOW's day, and of the next. */
#define TODAY INT64_C(1699920000)
#define TOMORROW (TODAY + 86400)

/* Every form Slurm's parse_time reads, filled in as for a past time. */
static const struct { const char *s; int64_t t; } date_good[] = {
    { "2024-01-02", 1704153600 },
    { "2024-01-02T03:04", 1704164640 },
    { "2024-01-02T03:04:05", 1704164645 },
    { "2024-01-02T3:04", 1704164640 },
    { "2024-01-02 03:04", 1704164640 },
    { "2024-01-02T", 1704153600 },   /* Slurm skips the T */
    { "2024-02-29", 1709164800 },
    { "10:00", 1699956000 },
    { "10:00:30", 1699956030 },
    { "9:05", TODAY + 9 * 3600 + 300 },
    { "10:00am", 1699956000 },
    { "10:00 PM", TODAY + 22 * 3600 },
    { "12:15am", TODAY + 900 },
    { "12:15pm", TODAY + 12 * 3600 + 900 },
    { "now", NOW },
    { "NOW", NOW },
    { "now+60", NOW + 60 },
    { "now+1hour", NOW + 3600 },
    { "now+1h", NOW + 3600 },
    { "now+5min", NOW + 300 },
    { "now+2days", NOW + 2 * 86400 },
    { "now+1week", NOW + 7 * 86400 },
    { "now+30seconds", NOW + 30 },
    { "now-1hour", NOW - 3600 },
    { "now-3days", NOW - 3 * 86400 },
    { "now+1day", NOW + 86400 },
    { "now-5", NOW - 5 },
    { "today", TODAY },
    { "TODAY", TODAY },
    { "tomorrow", TOMORROW },
    { "midnight", TODAY },
    { "noon", TODAY + 12 * 3600 },
    { "fika", TODAY + 15 * 3600 },
    { "teatime", TODAY + 16 * 3600 },
    { "noon tomorrow", TOMORROW + 12 * 3600 },
    { "today 10:00", 1699956000 },
    { "1102", 1698883200 },          /* MMDD: 2023-11-02 */
    { "110223", 1698883200 },        /* MMDDYY */
    { "11/02", 1698883200 },         /* MM/DD */
    { "11/02/23", 1698883200 },      /* MM/DD/YY */
    { "11.02.23", 1698883200 },
    { "1/2/24", 1704153600 },        /* 2024-01-02 */
    { "1231", 1703980800 - 365 * 86400 },   /* December is to come: last year's */
    { "11/02T10:00", 1698883200 + 36000 },
    { "uts1700000000", NOW },
};

static const char *const date_bad[] = {
    "", "2024-13-01", "2024-02-30", "2023-02-29", "25:00", "10:60", "10:00:61", "now+",
    "now+5parsecs", "now+h", "nowish", "now-", "2024-1-2", "10", "10:00x",
    "tomorrowTnoon", "noon noon", "today tomorrow", "13/01", "00/01", "1/32", "13:00pm",
    "uts12", "uts1700000000x", "10:00 10:00", "+1", "now+1hourx", "now+99999999999",
};

START_TEST(test_datetime)
{
    char buf[64];

    setenv("TZ", "UTC", 1);
    tzset();
    for (size_t i = 0; i < N(date_good); i++) {
        int64_t t = 0;
        sl_error_t e = { "" };
        ck_assert_msg(parse_datetime(date_good[i].s, NOW, &t, &e) == 0, "'%s': %s",
                      date_good[i].s, e.text);
        ck_assert_msg(t == date_good[i].t, "'%s' gave %lld", date_good[i].s, (long long)t);
    }
    for (size_t i = 0; i < N(date_bad); i++) {
        int64_t t = 0;
        sl_error_t e = { "" };
        ck_assert_msg(parse_datetime(date_bad[i], NOW, &t, &e) == -1, "'%s' accepted",
                      date_bad[i]);
        ck_assert_msg(strstr(e.text, date_bad[i]) && strstr(e.text, "is not a valid"),
                      "'%s': message '%s'", date_bad[i], e.text);
    }
    ck_assert_str_eq(format_datetime(0, buf, sizeof(buf)), "Unknown");
    ck_assert_str_eq(format_datetime(1704164645, buf, sizeof(buf)), "2024-01-02T03:04:05");
    /* Found by fuzzing: years before 1000 printed without their leading
     * zeros, which parse_datetime then refused. */
    {
        int64_t t = 0, again = 0;
        sl_error_t e = { "" };
        ck_assert_int_eq(parse_datetime("0231-07-27", NOW, &t, &e), 0);
        ck_assert_str_eq(format_datetime(t, buf, sizeof(buf)), "0231-07-27T00:00:00");
        ck_assert_int_eq(parse_datetime(buf, NOW, &again, &e), 0);
        ck_assert_int_eq(again, t);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, test_time_limit);
    tcase_add_test(tc, test_duration);
    tcase_add_test(tc, test_mem);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_signal);
    tcase_add_test(tc, test_datetime);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
