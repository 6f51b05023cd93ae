/* One log line per event: level, component and key=value pairs (logfmt),
 * or the same keys as one JSON object per line (log.format "json"). */
#ifndef TURNOUT_PROXY_LOG_H
#define TURNOUT_PROXY_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;
typedef enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON } log_format;

extern log_level log_threshold; /* lines above this level are dropped */
extern log_format log_output;   /* how lines are written */

/* fmt continues the line after "level=... msg=": use key=value pairs. */
void log_line(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_parse_level(const char *s, log_level *out);
int log_parse_format(const char *s, log_format *out);
/* Sets the line format. A format given on the command line (from_flag)
 * stays: later calls from the configuration are ignored. */
void log_set_format(log_format f, int from_flag);

/*
 * Turns the key=value pairs of one logfmt line into the members of a JSON
 * object, appended to out after prefix (which holds the object's first
 * members, e.g. "{\"ts\":...,\"level\":\"info\""), then closes the object.
 * Values are JSON strings; quoted values lose their quotes and escapes; text
 * that is not a pair goes to "msg". The result is always one valid JSON
 * object, cut short (with "truncated":true) if out is too small. Returns
 * its length. out must hold at least 64 bytes.
 */
size_t log_logfmt_to_json(const char *line, const char *prefix, char *out, size_t outlen);

#define log_error(...) log_line(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_line(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_line(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_threshold >= LOG_DEBUG)                                                    \
			log_line(LOG_DEBUG, __VA_ARGS__);                                          \
	} while (0)

#endif
