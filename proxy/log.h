/* One log line per event: level, component and key=value pairs (logfmt). */
#ifndef TURNOUT_PROXY_LOG_H
#define TURNOUT_PROXY_LOG_H

typedef enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;

extern log_level log_threshold; /* lines above this level are dropped */

/* fmt continues the line after "level=... msg=": use key=value pairs. */
void log_line(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_parse_level(const char *s, log_level *out);

#define log_error(...) log_line(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_line(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_line(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_threshold >= LOG_DEBUG)                                                    \
			log_line(LOG_DEBUG, __VA_ARGS__);                                          \
	} while (0)

#endif
