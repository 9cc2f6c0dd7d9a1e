/* resv_flags.c: a reservation's Flags= words, as Slurm 22.05 spells and
 * orders them.  Only those with a meaning here are taken; Slurm's others
 * are refused by name, so that nobody believes they hold. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "resv.h"

/* Slurm's words in the order scontrol show res prints them; bit 0: refused. */
static const struct { const char *word; unsigned bit; } resv_words[] = {
    { "MAINT", RESV_MAINT }, { "NO_MAINT", 0 }, { "FLEX", 0 }, { "OVERLAP", RESV_OVERLAP },
    { "IGNORE_JOBS", RESV_IGNORE_JOBS }, { "HOURLY", 0 }, { "DAILY", RESV_DAILY },
    { "WEEKDAY", 0 }, { "WEEKEND", 0 }, { "WEEKLY", RESV_WEEKLY }, { "ANY_NODES", 0 },
    { "STATIC_ALLOC", 0 }, { "PART_NODES", 0 }, { "PURGE_COMP", 0 }, { "FIRST_CORES", 0 },
    { "TIME_FLOAT", 0 }, { "REPLACE", 0 }, { "REPLACE_DOWN", 0 },
    { "NO_HOLD_JOBS_AFTER_END", 0 }, { "MAGNETIC", 0 }, { "LICENSE_ONLY", 0 },
    { "USER_DELETE", 0 }, { "ALL_NODES", 0 },
};
#define NWORDS (sizeof(resv_words) / sizeof(resv_words[0]))

static int resv_flag_word(const char *w, size_t len, unsigned *out, sl_error_t *e)
{
    if (len == strlen("SPEC_NODES") && strncasecmp(w, "SPEC_NODES", len) == 0)
        return 0;   /* implied: a reservation here always names its nodes */
    for (size_t i = 0; i < NWORDS; i++) {
        if (strlen(resv_words[i].word) != len || strncasecmp(w, resv_words[i].word, len))
            continue;
        if (!resv_words[i].bit)
            return sl_errprintf(e, "reservation flag %s is not supported by Sluice (it takes "
                                   "MAINT, OVERLAP, IGNORE_JOBS, DAILY, WEEKLY)",
                                resv_words[i].word);
        *out |= resv_words[i].bit;
        return 0;
    }
    return sl_errprintf(e, "Error parsing flags %.*s: not a reservation flag", (int)len, w);
}

int resv_flags_parse(const char *s, unsigned *out, sl_error_t *e)
{
    *out = 0;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len && resv_flag_word(s, len, out, e) < 0)
            return -1;
        s += len + (comma ? 1 : 0);
    }
    return 0;
}

void resv_flags_text(unsigned flags, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NWORDS && at < len; i++)
        if (resv_words[i].bit && (flags & resv_words[i].bit))
            at += (size_t)snprintf(buf + at, len - at, "%s,", resv_words[i].word);
    if (at < len)
        snprintf(buf + at, len - at, "SPEC_NODES");
}
