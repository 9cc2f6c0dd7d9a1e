/* parse_when.c: dates and times as Slurm's parse_time() reads them (sacct
 * -S/-E, sbatch --begin, scontrol update StartTime=).  A value is "uts" and
 * epoch seconds, "now" with an optional signed offset, or a date and a
 * time of day in either order, each optional:
 *   date: YYYY-MM-DD, MMDD[YY], MM/DD[/YY], MM.DD[.YY], today, tomorrow
 *   time: HH:MM[:SS] [AM|PM], midnight, noon, fika (15:00), teatime (16:00)
 * separated by blanks or an ISO 'T'.  What is left out is filled as Slurm
 * fills it for a past time (sacct): a time alone is today, a date without
 * a year is this year unless its month is still to come (then last
 * year), a date alone starts at 00:00. */
#include "parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct when {
    int year, mon, mday;        /* tm's origins; mon < 0: no date */
    int hour, min, sec;         /* hour < 0: no time */
    int year_given;
};

/* Up to max digits (at least min) at *p, advancing it. */
static int digits(const char **p, int min, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)(*p)[n]))
        v = v * 10 + ((*p)[n++] - '0');
    if (n < min)
        return -1;
    *p += n;
    *out = v;
    return 0;
}

/* "H[H]:MM[:SS]" then an optional AM/PM (blanks before it allowed). */
static int clock_read(const char **pp, struct when *w)
{
    const char *p = *pp, *q;
    w->sec = 0;
    if (digits(&p, 1, 2, &w->hour) < 0 || *p++ != ':' || digits(&p, 2, 2, &w->min) < 0)
        return -1;
    if (*p == ':' && (p++, digits(&p, 2, 2, &w->sec) < 0))
        return -1;
    if (w->hour > 23 || w->min > 59 || w->sec > 59)
        return -1;
    for (q = p; *q == ' ' || *q == '\t'; q++)
        ;
    if (!strncasecmp(q, "pm", 2) || !strncasecmp(q, "am", 2)) {
        int pm = tolower((unsigned char)*q) == 'p';
        if (w->hour > 12 || w->hour == 0)
            return -1;
        w->hour = w->hour % 12 + (pm ? 12 : 0);
        p = q + 2;
    }
    *pp = p;
    return 0;
}

/* "YYYY-MM-DD" or "MM[/.]DD[[/.]YY]". */
static int date_read(const char **pp, struct when *w)
{
    const char *p = *pp;
    int y;
    if (strspn(p, "0123456789") == 4 && p[4] == '-') {
        if (digits(&p, 4, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, 2, &w->mon) < 0 ||
            *p++ != '-' || digits(&p, 2, 2, &w->mday) < 0)
            return -1;
        w->year = y - 1900;
        w->year_given = 1;
    } else {
        if (digits(&p, 1, 2, &w->mon) < 0)
            return -1;
        if (*p == '/' || *p == '.')
            p++;
        if (digits(&p, 1, 2, &w->mday) < 0)
            return -1;
        if ((*p == '/' || *p == '.') && isdigit((unsigned char)p[1]))
            p++;
        if (isdigit((unsigned char)*p)) {
            if (digits(&p, 2, 2, &y) < 0)
                return -1;
            w->year = y + 100;      /* YY is 20YY */
            w->year_given = 1;
        }
    }
    if (w->mon < 1 || w->mon > 12 || w->mday < 1 || w->mday > 31)
        return -1;
    w->mon -= 1;
    *pp = p;
    return 0;
}

static void date_of(int64_t t, struct when *w)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    w->year = tm.tm_year, w->mon = tm.tm_mon, w->mday = tm.tm_mday;
    w->year_given = 1;
}

/* One word of the value at *pp. */
static int item_read(const char **pp, int64_t now, struct when *w)
{
    static const struct { const char *name; int hour; } clocks[] = {
        { "midnight", 0 }, { "noon", 12 }, { "fika", 15 }, { "teatime", 16 },
    };
    const char *p = *pp;
    for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        size_t n = strlen(clocks[i].name);
        if (!strncasecmp(p, clocks[i].name, n) && w->hour < 0) {
            w->hour = clocks[i].hour, w->min = w->sec = 0;
            *pp = p + n;
            return 0;
        }
    }
    if (!strncasecmp(p, "today", 5) || !strncasecmp(p, "tomorrow", 8)) {
        int tomorrow = tolower((unsigned char)p[2]) == 'm';
        if (w->mon >= 0)
            return -1;
        date_of(now + (tomorrow ? 86400 : 0), w);
        *pp = p + (tomorrow ? 8 : 5);
        return 0;
    }
    if (!isdigit((unsigned char)*p))
        return -1;
    if (p[1] == ':' || (p[1] && p[2] == ':'))
        return w->hour < 0 ? clock_read(pp, w) : -1;
    return w->mon < 0 ? date_read(pp, w) : -1;
}

/* "now[(+|-)N[unit]]": a unit is any leading part of its name ("h",
 * "hour"); none means seconds, as Slurm. */
static int relative_read(const char *s, int64_t now, int64_t *out)
{
    static const struct { const char *name; int64_t secs; } units[] = {
        { "seconds", 1 }, { "minutes", 60 }, { "hours", 3600 }, { "days", 86400 },
        { "weeks", 604800 },
    };
    const char *p = s + 3;
    int64_t n = 0;
    int sign, nd = 0;
    if (!*p) {
        *out = now;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    sign = *p++ == '-' ? -1 : 1;
    for (; isdigit((unsigned char)*p) && nd < 10; p++, nd++)
        n = n * 10 + (*p - '0');
    if (nd == 0 || isdigit((unsigned char)*p))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!*p || strncasecmp(p, units[i].name, strlen(p)) == 0) {
            *out = now + sign * n * units[i].secs;
            return 0;
        }
    }
    return -1;
}

/* Fill in what the value left out (Slurm's parse_time with past set). */
static void when_complete(struct when *w, int64_t now)
{
    struct when today = { 0 };
    date_of(now, &today);
    if (w->hour < 0)
        w->hour = w->min = w->sec = 0;
    if (w->mon < 0) {
        *w = (struct when){ today.year, today.mon, today.mday, w->hour, w->min, w->sec, 1 };
        return;
    }
    if (!w->year_given)
        w->year = w->mon > today.mon ? today.year - 1 : today.year;
}

static int when_read(const char *s, int64_t now, struct when *w)
{
    const char *p = s;
    *w = (struct when){ .mon = -1, .hour = -1 };
    while (*p) {
        if (*p == ' ' || *p == '\t' || (*p == 'T' && p > s && isdigit((unsigned char)p[-1]))) {
            p++;
            continue;
        }
        if (item_read(&p, now, w) < 0)
            return -1;
    }
    return w->mon < 0 && w->hour < 0 ? -1 : 0;
}

int parse_datetime(const char *s, int64_t now, int64_t *out, sl_error_t *e)
{
    struct when w;
    struct tm tm = { 0 };
    time_t r;
    char *end;
    if (strncasecmp(s, "now", 3) == 0)
        return relative_read(s, now, out) == 0 ? 0 : sl_errprintf(e,
            "'%s' is not a valid time (use now[+|-N[seconds|minutes|hours|days|weeks]])", s);
    if (strncasecmp(s, "uts", 3) == 0 && isdigit((unsigned char)s[3])) {
        long long v = strtoll(s + 3, &end, 10);
        /* Slurm's floor; the ceiling is the last second dates can write. */
        if (*end || v < 1000000 || v > 253402300799LL)
            goto bad;
        *out = v;
        return 0;
    }
    if (when_read(s, now, &w) < 0)
        goto bad;
    when_complete(&w, now);
    tm.tm_year = w.year, tm.tm_mon = w.mon, tm.tm_mday = w.mday;
    tm.tm_hour = w.hour, tm.tm_min = w.min, tm.tm_sec = w.sec;
    tm.tm_isdst = -1;
    r = mktime(&tm);
    /* mktime normalizes 02-30 into March: refuse dates that moved. */
    if (r == (time_t)-1 || tm.tm_mday != w.mday || tm.tm_mon != w.mon || tm.tm_year != w.year)
        goto bad;
    *out = (int64_t)r;
    return 0;
bad:
    return sl_errprintf(e, "'%s' is not a valid date/time (use YYYY-MM-DD[THH:MM[:SS]], "
                           "MMDD[YY], MM/DD[/YY], HH:MM[:SS], today, midnight, noon, "
                           "teatime or now[+|-N[unit]])", s);
}
