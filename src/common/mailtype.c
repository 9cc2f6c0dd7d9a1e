/* mailtype.c: --mail-type names, bits and the words of mail subjects. */
#include "mailtype.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* In the order Slurm prints them (print_mail_type). */
static const struct { const char *name; uint32_t bits; const char *event; } names[] = {
    { "INVALID_DEPEND", MAIL_INVALID_DEPEND, "Invalid dependency" },
    { "BEGIN", MAIL_BEGIN, "Began" },
    { "END", MAIL_END, "Ended" },
    { "FAIL", MAIL_FAIL, "Failed" },
    { "REQUEUE", MAIL_REQUEUE, "Requeued" },
    { "STAGE_OUT", MAIL_STAGE_OUT, "StageOut/Teardown" },
    { "TIME_LIMIT", MAIL_TIME100, "Reached time limit" },
    { "TIME_LIMIT_90", MAIL_TIME90, "Reached 90% of time limit" },
    { "TIME_LIMIT_80", MAIL_TIME80, "Reached 80% of time limit" },
    { "TIME_LIMIT_50", MAIL_TIME50, "Reached 50% of time limit" },
    { "ARRAY_TASKS", MAIL_ARRAY_TASKS, NULL },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Slurm's ALL: BEGIN, END, FAIL, INVALID_DEPEND, REQUEUE and STAGE_OUT. */
#define MAIL_ALL (MAIL_BEGIN | MAIL_END | MAIL_FAIL | MAIL_INVALID_DEPEND | MAIL_REQUEUE | \
                  MAIL_STAGE_OUT)

static int word_bits(const char *w, size_t n, uint32_t *bits)
{
    if (n == 4 && !strncasecmp(w, "NONE", 4))
        return 0;
    if (n == 3 && !strncasecmp(w, "ALL", 3)) {
        *bits |= MAIL_ALL;
        return 0;
    }
    for (size_t i = 0; i < NNAMES; i++) {
        if (strlen(names[i].name) == n && !strncasecmp(w, names[i].name, n)) {
            *bits |= names[i].bits;
            return 0;
        }
    }
    return -1;
}

int mailtype_parse(const char *s, uint32_t *bits, sl_error_t *e)
{
    uint32_t b = 0;
    const char *p = s;
    if (!s || !*s)
        return sl_errprintf(e, "empty --mail-type: use NONE, BEGIN, END, FAIL, REQUEUE, ALL, "
                               "TIME_LIMIT[_90|_80|_50], ARRAY_TASKS, INVALID_DEPEND or "
                               "STAGE_OUT");
    for (;;) {
        size_t n = strcspn(p, ",");
        if (word_bits(p, n, &b) < 0)
            return sl_errprintf(e, "'%.*s' is not a mail type (use NONE, BEGIN, END, FAIL, "
                                   "REQUEUE, ALL, TIME_LIMIT[_90|_80|_50], ARRAY_TASKS, "
                                   "INVALID_DEPEND or STAGE_OUT)", (int)n, p);
        if (!p[n])
            break;
        p += n + 1;
    }
    *bits = b;
    return 0;
}

char *mailtype_format(uint32_t bits, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NNAMES; i++) {
        if (!(bits & names[i].bits))
            continue;
        int n = snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? "," : "",
                         names[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    if (!used)
        snprintf(buf, len, "NONE");
    return buf;
}

const char *mailtype_event(uint32_t one)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].bits == one && names[i].event)
            return names[i].event;
    return "unknown";
}
