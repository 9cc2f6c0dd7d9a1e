#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static struct {
    char prog[64];
    enum log_level level;
    FILE *out;
    int timestamps;
} L = { "sluice", LOG_LVL_INFO, NULL, 0 };

static const char *level_names[] = { "error", "warning", "info", "debug" };

int log_init(const char *prog, enum log_level level, const char *file, int timestamps)
{
    snprintf(L.prog, sizeof(L.prog), "%s", prog);
    L.level = level;
    L.timestamps = timestamps;
    if (L.out && L.out != stderr)
        fclose(L.out);
    L.out = NULL;
    if (file) {
        L.out = fopen(file, "a");
        if (!L.out)
            return -1;
        setvbuf(L.out, NULL, _IOLBF, 0);
    }
    return 0;
}

void log_set_level(enum log_level level)
{
    L.level = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_LVL_DEBUG; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warn") == 0) {
        *out = LOG_LVL_WARN;
        return 0;
    }
    return -1;
}

void log_fini(void)
{
    if (L.out && L.out != stderr)
        fclose(L.out);
    L.out = NULL;
}

static void log_emit(enum log_level lvl, const char *fmt, va_list ap)
{
    FILE *out = L.out ? L.out : stderr;
    if (lvl > L.level)
        return;
    if (L.timestamps) {
        struct timeval tv;
        struct tm tm;
        char ts[32];
        gettimeofday(&tv, NULL);
        localtime_r(&tv.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(out, "[%s.%03ld] %s: %s: ", ts, (long)(tv.tv_usec / 1000), L.prog,
                level_names[lvl]);
    } else {
        fprintf(out, "%s: %s: ", L.prog, level_names[lvl]);
    }
    vfprintf(out, fmt, ap);
    fputc('\n', out);
}

#define LOG_FN(name, lvl)                     \
    void name(const char *fmt, ...)           \
    {                                         \
        va_list ap;                           \
        va_start(ap, fmt);                    \
        log_emit(lvl, fmt, ap);               \
        va_end(ap);                           \
    }
LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_LVL_ERROR, fmt, ap);
    va_end(ap);
    exit(1);
}
