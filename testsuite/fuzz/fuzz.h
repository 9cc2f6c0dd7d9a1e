/* fuzz.h: what every harness shares.  A harness is one LLVMFuzzerTestOneInput
 * over one parser; besides "no crash, no leak, no UB" (the sanitizers) it
 * checks what the parser promises where that is cheap, and a broken promise
 * aborts with FUZZ_CHECK's message so libFuzzer keeps the input. */
#ifndef SL_FUZZ_H
#define SL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* The input as a C string (malloc'd; an embedded NUL ends it early, as it
 * would for any caller). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* About how many names the host lists in expr expand to (items add,
 * bracket groups multiply), so that harnesses can pass over the
 * million-name expressions the parsers rightly accept: they only take the
 * search's time. */
static inline double fuzz_hostlist_size(const char *expr)
{
    double total = 0, item = 1, group = 0;
    int depth = 0;
    for (const char *p = expr; *p; p++) {
        if (*p == '[') {
            depth++;
            group = 0;
        } else if (*p == ']' && depth > 0) {
            depth--;
            item *= group > 0 ? group : 1;
        } else if (depth > 0 && *p >= '0' && *p <= '9') {
            char *end;
            unsigned long long lo = strtoull(p, &end, 10), hi = lo;
            if (*end == '-' && end[1] >= '0' && end[1] <= '9')
                hi = strtoull(end + 1, &end, 10);
            group += hi >= lo ? (double)(hi - lo) + 1 : 1;
            p = end - 1;
        } else if (depth == 0 && (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')) {
            total += item;
            item = 1;
        }
    }
    return total + item;
}

#endif
