/* mock_script.c: how long a mock job lasts (mock.h).  Pure string work,
 * kept apart so that the unit tests can link it alone. */
#include "mock.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* p after a word, or NULL if the line does not start with it. */
static const char *skip_word(const char *p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(p, word, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
        return NULL;
    return skip_blanks(p + n);
}

/* "N[smhd]" up to the end of the command, or -1. */
static int64_t sleep_arg(const char *p)
{
    static const struct { char unit; int64_t mult; } units[] = {
        { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
    };
    char *end;
    long long n;
    int64_t mult = 1;

    if (!isdigit((unsigned char)*p))
        return -1;
    n = strtoll(p, &end, 10);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (*end == units[i].unit) {
            mult = units[i].mult;
            end++;
            break;
        }
    }
    end = (char *)skip_blanks(end);
    if (*end && *end != '\n' && *end != ';' && *end != '&' && *end != '#')
        return -1;
    if (n < 0 || n > INT64_MAX / 86400)
        return -1;
    return (int64_t)n * mult;
}

int64_t mock_script_seconds(const char *script)
{
    const char *p = script;

    while (p && *p) {
        const char *line = skip_blanks(p), *q;
        if (*line == '\n' || *line == '#' || *line == '\0') {
            p = strchr(line, '\n');
            p = p ? p + 1 : NULL;
            continue;
        }
        q = skip_word(line, "exec");
        q = skip_word(q ? q : line, "sleep");
        if (!q)
            return 0;
        int64_t n = sleep_arg(q);
        return n < 0 ? 0 : n;
    }
    return 0;
}
