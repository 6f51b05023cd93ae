/*
 * Logging to stderr, one line per event, logfmt: ts=... level=... then the
 * caller's key=value pairs. Lines are written with one fprintf so concurrent
 * processes sharing a terminal do not interleave mid-line.
 */
#include "proxy/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

log_level log_threshold = LOG_INFO;

static const char *const names[] = {"error", "warn", "info", "debug"};

void log_line(log_level level, const char *fmt, ...)
{
	if (level > log_threshold)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s %s\n", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	        (int)(tv.tv_usec / 1000), names[level], msg);
}

int log_parse_level(const char *s, log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (log_level)i;
			return 0;
		}
	return -1;
}
