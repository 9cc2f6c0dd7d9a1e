/* parse.c: the value syntaxes users type.  Messages quote the input and say
 * what was expected; callers prefix them with where the value came from. */
#include "parse.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Digits only, no sign or blanks (strtoull would accept both). */
static int digits_parse(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int is_all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
              uint64_t *out, sl_error_t *e)
{
    const char *pre = what ? "bad value for " : "";
    const char *sep = what ? ": " : "";
    uint64_t v;

    if (!is_all_digits(s))
        return sl_errprintf(e, "%s%s%s'%s' is not a number", pre, what ? what : "", sep, s);
    if (digits_parse(s, strlen(s), UINT64_MAX, &v) < 0 || v < min || v > max)
        return sl_errprintf(e, "%s%s%s%s is out of range (%" PRIu64 "-%" PRIu64 ")", pre,
                            what ? what : "", sep, s, min, max);
    *out = v;
    return 0;
}

int parse_int(const char *s, long min, long max, const char *what, long *out,
              sl_error_t *e)
{
    const char *pre = what ? "bad value for " : "";
    const char *sep = what ? ": " : "";
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    uint64_t mag;

    if (!is_all_digits(digits))
        return sl_errprintf(e, "%s%s%s'%s' is not a number", pre, what ? what : "", sep, s);
    if (digits_parse(digits, strlen(digits), (uint64_t)LONG_MAX + 1, &mag) < 0
        || (*s != '-' && mag > (uint64_t)LONG_MAX))
        goto range;
    {
        long v = *s == '-' ? (mag == (uint64_t)LONG_MAX + 1 ? LONG_MIN : -(long)mag)
                           : (long)mag;
        if (v < min || v > max)
            goto range;
        *out = v;
        return 0;
    }
range:
    return sl_errprintf(e, "%s%s%s%s is out of range (%ld-%ld)", pre, what ? what : "",
                        sep, s, min, max);
}

int parse_bool(const char *s, int *out, sl_error_t *e)
{
    static const struct { const char *name; int value; } words[] = {
        { "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
        { "1", 1 },   { "0", 0 },  { "on", 1 },   { "off", 0 },
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i].name) == 0) {
            *out = words[i].value;
            return 0;
        }
    }
    return sl_errprintf(e, "'%s' is not yes or no", s);
}

/* Fields of a time: at most "D-H:M:S".  Each field is kept below this so
 * the total cannot overflow. */
#define TIME_FIELD_MAX UINT64_C(1000000000000)

int parse_time_limit(const char *s, int64_t *secs, sl_error_t *e)
{
    /* Weights of the colon fields by how many there are, per Slurm: M,
     * M:S, H:M:S without a day; H, H:M, H:M:S after "D-". */
    static const uint64_t plain[3][3] = { { 60 }, { 60, 1 }, { 3600, 60, 1 } };
    static const uint64_t dayed[3][3] = { { 3600 }, { 3600, 60 }, { 3600, 60, 1 } };
    const uint64_t (*w)[3] = plain;
    const char *p = s, *dash = strchr(s, '-');
    uint64_t total = 0, f[3], v;
    size_t nf = 0;

    if (strcasecmp(s, "UNLIMITED") == 0 || strcasecmp(s, "INFINITE") == 0) {
        *secs = TIME_INFINITE;
        return 0;
    }
    if (dash) {
        if (digits_parse(s, (size_t)(dash - s), TIME_FIELD_MAX, &v) < 0)
            goto bad;
        total = v * 86400;
        w = dayed;
        p = dash + 1;
    }
    for (;;) {
        size_t len = strcspn(p, ":");
        if (nf == 3 || digits_parse(p, len, TIME_FIELD_MAX, &f[nf]) < 0)
            goto bad;
        nf++;
        if (!p[len])
            break;
        p += len + 1;
    }
    for (size_t i = 0; i < nf; i++)
        total += f[i] * w[nf - 1][i];
    /* "D-H" with many hours can pass the day field's limit: refuse a time
     * that format_duration would write with more days than it accepts. */
    if (total / 86400 > TIME_FIELD_MAX)
        goto bad;
    *secs = (int64_t)total;
    return 0;
bad:
    return sl_errprintf(e, "'%s' is not a valid time (use minutes, M:S, H:M:S, D-H, "
                           "D-H:M, D-H:M:S or UNLIMITED)", s);
}

char *format_duration(int64_t secs, char *buf, size_t len)
{
    int64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, sec = secs % 60;

    if (secs < 0)
        snprintf(buf, len, "UNLIMITED");
    else if (d > 0)
        snprintf(buf, len, "%" PRId64 "-%02" PRId64 ":%02" PRId64 ":%02" PRId64, d, h, m,
                 sec);
    else if (h > 0)
        snprintf(buf, len, "%" PRId64 ":%02" PRId64 ":%02" PRId64, h, m, sec);
    else
        snprintf(buf, len, "%" PRId64 ":%02" PRId64, m, sec);
    return buf;
}

int parse_mem_mb(const char *s, uint64_t *mb, sl_error_t *e)
{
    static const struct { char suffix; uint64_t kib; } units[] = {
        { 'K', 1 }, { 'M', 1024 }, { 'G', 1024 * 1024 }, { 'T', 1024 * 1024 * 1024 },
    };
    size_t len = strlen(s);
    uint64_t kib = 1024, v;

    if (len > 0 && !isdigit((unsigned char)s[len - 1])) {
        size_t i = 0;
        while (i < sizeof(units) / sizeof(units[0])
               && units[i].suffix != toupper((unsigned char)s[len - 1]))
            i++;
        if (i == sizeof(units) / sizeof(units[0]))
            goto bad;
        kib = units[i].kib;
        len--;
    }
    /* Work in KiB; the bound keeps v * kib within 64 bits. */
    if (digits_parse(s, len, UINT64_MAX / kib, &v) < 0)
        goto bad;
    *mb = (v * kib + 1023) / 1024;
    return 0;
bad:
    return sl_errprintf(e, "'%s' is not a valid memory size (use a number with an "
                           "optional K, M, G or T suffix)", s);
}

static const struct { const char *name; int sig; } signals[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },     { "BUS", SIGBUS },   { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP },     { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU }, { "URG", SIGURG },       { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
    { "PWR", SIGPWR },   { "SYS", SIGSYS },
};
#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

int parse_signal(const char *s, int *sig, sl_error_t *e)
{
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    uint64_t v;

    if (digits_parse(s, strlen(s), 64, &v) == 0 && v >= 1) {
        *sig = (int)v;
        return 0;
    }
    for (size_t i = 0; i < NSIGNALS; i++) {
        if (strcasecmp(name, signals[i].name) == 0) {
            *sig = signals[i].sig;
            return 0;
        }
    }
    return sl_errprintf(e, "'%s' is not a signal name or number", s);
}

const char *signal_name(int sig)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (signals[i].sig == sig)
            return signals[i].name;
    return NULL;
}

char *format_datetime(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    /* Not strftime's %Y: it drops the leading zeros of years before 1000,
     * which parse_datetime (four digits) would then refuse. */
    if (t == 0 || !localtime_r(&tt, &tm))
        snprintf(buf, len, "Unknown");
    else
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}
