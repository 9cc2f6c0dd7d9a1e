/* error.h: an error is a short text that names the problem. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stddef.h>

typedef struct sl_error {
    char text[512];
} sl_error_t;

/* Fill *e (if not NULL) with the formatted message and return -1, so that
 * failing paths read: return sl_errprintf(e, "bad value '%s'", v); */
int sl_errprintf(sl_error_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix an existing message: "context: old message". Returns -1. */
int sl_errprefix(sl_error_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
