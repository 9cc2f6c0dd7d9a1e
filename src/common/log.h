/* log.h: daemon and command logging.  Commands log errors to stderr as
 * "prog: error: message"; daemons add a timestamp and may log to a file. */
#ifndef SL_LOG_H
#define SL_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* prog: name shown in messages.  file: NULL for stderr.  timestamps: daemons
 * set it.  Returns -1 if the file cannot be opened (then stderr is used). */
int log_init(const char *prog, enum log_level level, const char *file, int timestamps);
void log_set_level(enum log_level level);
int log_level_parse(const char *s, enum log_level *out);
void log_fini(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(1). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
