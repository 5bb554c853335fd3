/* log — see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_ident = "testbed";
static FILE *log_file;           /* NULL: stderr */
static enum log_level log_max = LOG_INFO;

void log_init(const char *ident) { log_ident = ident; }
void log_set_level(enum log_level max) { log_max = max; }
enum log_level log_get_level(void) { return log_max; }

int log_to_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_file)
		fclose(log_file);
	log_file = f;
	return 0;
}

__attribute__((format(printf, 2, 0)))
static void log_v(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	FILE *out = log_file ? log_file : stderr;
	char line[4096];
	int n = 0;

	if (level > log_max)
		return;
	if (log_file) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	}
	n += snprintf(line + n, sizeof(line) - n, "%s: ", log_ident);
	if (level != LOG_INFO)
		n += snprintf(line + n, sizeof(line) - n, "%s: ", names[level]);
	if (n < (int)sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* one write per line so that lines of several processes do not mix */
	fprintf(out, "%s\n", line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
