/*
 * Logging to stderr, one line per event. Callers write logfmt pairs
 * (event=... client=12 group=g reason="..."); the line gets ts= and level=
 * in front, or with log.format "json" the same pairs become one JSON object
 * ({"ts":..,"level":..,"event":..,...}) so log pipelines need no logfmt
 * parser. Lines are written with one fprintf so concurrent processes
 * sharing a terminal do not interleave mid-line.
 */
#include "proxy/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

log_level log_threshold = LOG_INFO;
log_format log_output = LOG_FORMAT_LOGFMT;

static const char *const names[] = {"error", "warn", "info", "debug"};

/* A bounded JSON writer: stops (and remembers it) when `reserve` bytes
 * would no longer be left for closing the object. */
typedef struct jw {
	char *p;
	size_t len, cap, reserve;
	int full;
} jw;

static void jw_raw(jw *w, const char *s, size_t n)
{
	if (w->full || w->len + n + w->reserve > w->cap) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* s[0..n) as the inside of a JSON string. Bytes >= 0x80 pass through. */
static void jw_str(jw *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !w->full; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			jw_raw(w, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			jw_raw(w, esc, 6);
		} else {
			jw_raw(w, (const char *)&ch, 1);
		}
	}
}

static int key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/* One member "key":"value" (value unescaped from a quoted logfmt value
 * when quoted). Rolled back whole if it does not fit. */
static void jw_member(jw *w, const char *k, size_t kn, const char *v, size_t vn, int quoted)
{
	size_t mark = w->len;
	if (w->len && w->p[w->len - 1] == '{')
		jw_raw(w, "\"", 1); /* the object's first member */
	else
		jw_raw(w, ",\"", 2);
	jw_str(w, k, kn);
	jw_raw(w, "\":\"", 3);
	if (!quoted) {
		jw_str(w, v, vn);
	} else {
		for (size_t i = 0; i < vn && !w->full; i++) {
			if (v[i] == '\\' && i + 1 < vn && (v[i + 1] == '"' || v[i + 1] == '\\'))
				i++;
			jw_str(w, v + i, 1);
		}
	}
	jw_raw(w, "\"", 1);
	if (w->full)
		w->len = mark;
}

size_t log_logfmt_to_json(const char *line, const char *prefix, char *out, size_t outlen)
{
	static const char trunc[] = ",\"truncated\":\"true\"}";
	jw w = {out, 0, outlen, sizeof(trunc), 0};
	jw_raw(&w, prefix, strlen(prefix));
	if (w.full) {
		snprintf(out, outlen, "{\"truncated\":\"true\"}");
		return strlen(out);
	}
	const char *s = line, *msg = NULL;
	size_t msgn = 0;
	while (*s && !w.full) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		const char *k = s;
		while (key_char(*s))
			s++;
		if (s > k && *s == '=') {
			size_t kn = (size_t)(s - k);
			s++;
			if (*s == '"') {
				/* a quoted value ends at a quote followed by a space or the end */
				const char *v = ++s;
				while (*s && !(*s == '"' && (s[1] == ' ' || !s[1]))) {
					if (*s == '\\' && s[1])
						s++;
					s++;
				}
				jw_member(&w, k, kn, v, (size_t)(s - v), 1);
				if (*s)
					s++;
			} else {
				const char *v = s;
				while (*s && *s != ' ')
					s++;
				jw_member(&w, k, kn, v, (size_t)(s - v), 0);
			}
			continue;
		}
		/* not a pair: the rest of the line is free text */
		msg = k;
		msgn = strlen(k);
		break;
	}
	if (msg && !w.full)
		jw_member(&w, "msg", 3, msg, msgn, 0);
	if (w.full) {
		const char *t = trunc + (w.len && out[w.len - 1] == '{'); /* no comma first */
		size_t tn = strlen(t) + 1;
		memcpy(out + w.len, t, tn); /* the reserve was kept for this */
		return w.len + tn - 1;
	}
	out[w.len] = '}';
	out[w.len + 1] = '\0';
	return w.len + 1;
}

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
	char ts[64]; /* room for any int the compiler can imagine in each field */
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(tv.tv_usec / 1000));
	if (log_output == LOG_FORMAT_JSON) {
		char prefix[96], out[6144];
		snprintf(prefix, sizeof(prefix), "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
		         names[level]);
		log_logfmt_to_json(msg, prefix, out, sizeof(out));
		fprintf(stderr, "%s\n", out);
		return;
	}
	fprintf(stderr, "ts=%s level=%s %s\n", ts, names[level], msg);
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

void log_set_format(log_format f, int from_flag)
{
	static int fixed; /* --log-format was given */
	if (fixed && !from_flag)
		return;
	fixed |= from_flag;
	log_output = f;
}

int log_parse_format(const char *s, log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}
