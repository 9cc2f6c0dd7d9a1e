/* fuzz_parse.c: the value syntaxes of parse.c.  The first byte picks the
 * parser, the rest is the text.  Promises checked: what parses formats back
 * to text that parses to the same value (durations, dates, signals,
 * numbers), and a refusal leaves the output alone. */
#include <inttypes.h>
#include <strings.h>
#include <time.h>

#include "fuzz.h"
#include "parse.h"

#define NOW INT64_C(1700000000)   /* a fixed "now": runs must be repeatable */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("TZ", "UTC", 1);   /* no DST: local dates map one to one onto seconds */
    tzset();
    return 0;
}

static void time_limit(const char *s)
{
    int64_t v = 42, again = 0;
    char buf[64];
    sl_error_t e;
    if (parse_time_limit(s, &v, &e) < 0) {
        FUZZ_CHECK(v == 42 && e.text[0], "'%s' refused, v=%" PRId64, s, v);
        return;
    }
    FUZZ_CHECK(v >= 0 || v == TIME_INFINITE, "'%s' gave %" PRId64, s, v);
    format_duration(v, buf, sizeof(buf));
    FUZZ_CHECK(parse_time_limit(buf, &again, &e) == 0, "'%s' -> '%s' refused: %s", s, buf,
               e.text);
    FUZZ_CHECK(again == v, "'%s' -> %" PRId64 " -> '%s' -> %" PRId64, s, v, buf, again);
}

static void mem(const char *s)
{
    uint64_t mb = 42;
    sl_error_t e;
    if (parse_mem_mb(s, &mb, &e) < 0)
        FUZZ_CHECK(mb == 42 && e.text[0], "'%s' refused, mb=%" PRIu64, s, mb);
}

static void number(const char *s, uint64_t min, uint64_t max)
{
    uint64_t v = 42, again = 0;
    long l = 42, lagain = 0;
    char buf[32];
    sl_error_t e;
    if (parse_u64(s, min, max, "value", &v, &e) == 0) {
        FUZZ_CHECK(v >= min && v <= max, "'%s' gave %" PRIu64, s, v);
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        FUZZ_CHECK(parse_u64(buf, min, max, "value", &again, &e) == 0 && again == v,
                   "'%s' -> '%s'", s, buf);
    } else {
        FUZZ_CHECK(v == 42, "'%s' refused, v=%" PRIu64, s, v);
    }
    if (parse_int(s, -1000, 1000000, "value", &l, &e) == 0) {
        FUZZ_CHECK(l >= -1000 && l <= 1000000, "'%s' gave %ld", s, l);
        snprintf(buf, sizeof(buf), "%ld", l);
        FUZZ_CHECK(parse_int(buf, -1000, 1000000, "value", &lagain, &e) == 0 && lagain == l,
                   "'%s' -> '%s'", s, buf);
    }
}

static void boolean(const char *s)
{
    int b = 42;
    sl_error_t e;
    if (parse_bool(s, &b, &e) == 0)
        FUZZ_CHECK(b == 0 || b == 1, "'%s' gave %d", s, b);
    else
        FUZZ_CHECK(b == 42, "'%s' refused, b=%d", s, b);
}

static void signal_spec(const char *s)
{
    int sig = 0, again = 0;
    sl_error_t e;
    const char *name;
    if (parse_signal(s, &sig, &e) < 0)
        return;
    FUZZ_CHECK(sig >= 1 && sig <= 64, "'%s' gave %d", s, sig);
    if ((name = signal_name(sig)))
        FUZZ_CHECK(parse_signal(name, &again, &e) == 0 && again == sig, "'%s' -> %s", s,
                   name);
}

static void datetime(const char *s)
{
    int64_t t = 42, again = 0;
    char buf[64];
    sl_error_t e;
    if (parse_datetime(s, NOW, &t, &e) < 0) {
        FUZZ_CHECK(t == 42 && e.text[0], "'%s' refused, t=%" PRId64, s, t);
        return;
    }
    if (t == 0 || strncasecmp(s, "now", 3) == 0)
        return;   /* 0 prints as "Unknown"; now+N may pass what dates can write */
    format_datetime(t, buf, sizeof(buf));
    FUZZ_CHECK(parse_datetime(buf, NOW, &again, &e) == 0, "'%s' -> '%s' refused: %s", s,
               buf, e.text);
    FUZZ_CHECK(again == t, "'%s' -> %" PRId64 " -> '%s' -> %" PRId64, s, t, buf, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    if (size < 1 || size > 256)
        return 0;   /* values users type are short; long ones only slow the search */
    s = fuzz_str(data + 1, size - 1);
    switch (data[0] % 7) {
    case 0: time_limit(s); break;
    case 1: mem(s); break;
    case 2: number(s, 0, UINT64_MAX); break;
    case 3: number(s, 1, 1000); break;
    case 4: boolean(s); break;
    case 5: signal_spec(s); break;
    case 6: datetime(s); break;
    }
    free(s);
    return 0;
}
