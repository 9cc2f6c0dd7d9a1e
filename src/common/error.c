#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sl_errprintf(sl_error_t *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->text, sizeof(e->text), fmt, ap);
        va_end(ap);
    }
    return -1;
}

int sl_errprefix(sl_error_t *e, const char *fmt, ...)
{
    if (e) {
        char prefix[256], old[sizeof(e->text)];
        size_t n;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->text, sizeof(old));
        n = strlen(prefix);
        if (n + 2 >= sizeof(e->text))
            n = sizeof(e->text) - 3;
        memcpy(e->text, prefix, n);
        memcpy(e->text + n, ": ", 2);
        snprintf(e->text + n + 2, sizeof(e->text) - n - 2, "%s", old);
    }
    return -1;
}
