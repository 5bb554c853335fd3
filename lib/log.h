/* log — the one logger of every testbed program.
 *
 * Messages go to stderr (foreground) or to a file (daemons), one line each,
 * prefixed with the program's name and, in a file, a wall-clock timestamp.
 * Library code does not log; its callers do, once, with context. */
#ifndef TB_LOG_H
#define TB_LOG_H

#include <stdio.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Program name used as prefix; default "testbed". */
void log_init(const char *ident);
/* Log to FILE instead of stderr (daemons); returns 0 or -errno. */
int log_to_file(const char *path) __attribute__((warn_unused_result));
void log_set_level(enum log_level max);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* Log at LOG_ERR and exit(1): for main() only, never in library code. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
