/*
 * MM2's naming rules, as facts (see the reference notes §1.1, §2.1, §4):
 *
 *   internal separator = separator if internal_topic_separator_enabled, else "."
 *   checkpoints topic  = <source alias> IS "checkpoints" IS "internal"      (target)
 *   offset-syncs topic = "mm2-offset-syncs" IS <alias> IS "internal", where
 *                        alias is the target's when the topic is on the source
 *                        (the default) and the source's when it is on the target
 *   remote topic       = default policy: <source alias> SEP <topic>, except a
 *                        topic that came from the target ("<target alias>SEP x")
 *                        goes back to "x"; identity policy: unchanged
 *
 * Everything here is pure string work on the configuration.
 */
#include "routing/mm2_names.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mm2_names_topic_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

static int names_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int names_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len || n > MM2_TOPIC_MAX) {
		if (len)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

static const char *names_sep(const mirror_config *mc)
{
	return mc->separator ? mc->separator : ".";
}

static const char *names_internal_sep(const mirror_config *mc)
{
	return mc->internal_separator_enabled ? names_sep(mc) : ".";
}

int mm2_names_checkpoints_topic(const mirror_config *mc, char *buf, size_t len)
{
	if (mc->checkpoints_topic)
		return names_fmt(buf, len, "%s", mc->checkpoints_topic);
	const char *is = names_internal_sep(mc);
	return names_fmt(buf, len, "%s%scheckpoints%sinternal", mc->source_alias, is, is);
}

mm2_side mm2_names_offset_syncs_side(const mirror_config *mc)
{
	return mc->syncs_location == MIRROR_SYNCS_ON_TARGET ? MM2_SIDE_TARGET : MM2_SIDE_SOURCE;
}

int mm2_names_offset_syncs_topic(const mirror_config *mc, char *buf, size_t len)
{
	if (mc->offset_syncs_topic)
		return names_fmt(buf, len, "%s", mc->offset_syncs_topic);
	/* MM2 names the topic after the cluster it is *not* on. */
	const char *other =
	    mc->syncs_location == MIRROR_SYNCS_ON_TARGET ? mc->source_alias : mc->target_alias;
	const char *is = names_internal_sep(mc);
	return names_fmt(buf, len, "mm2-offset-syncs%s%s%sinternal", is, other, is);
}

/* If topic is "<alias><sep>rest", returns rest; else NULL. */
static const char *names_strip(const char *topic, const char *alias, const char *sep)
{
	size_t al = strlen(alias), sl = strlen(sep);
	if (strncmp(topic, alias, al) != 0 || strncmp(topic + al, sep, sl) != 0)
		return NULL;
	return topic + al + sl;
}

/* DefaultReplicationPolicy.topicSource: the text before the first separator. */
static int names_source_is(const char *topic, const char *alias, const char *sep)
{
	const char *first = strstr(topic, sep);
	return first && (size_t)(first - topic) == strlen(alias) &&
	       strncmp(topic, alias, strlen(alias)) == 0;
}

int mm2_names_remote_topic(const mirror_config *mc, const char *source_topic, char *buf, size_t len)
{
	if (mc->policy == MIRROR_POLICY_IDENTITY)
		return names_fmt(buf, len, "%s", source_topic);
	const char *sep = names_sep(mc);
	/* A topic that came from the target goes home under its original name. */
	if (names_source_is(source_topic, mc->target_alias, sep)) {
		const char *orig = names_strip(source_topic, mc->target_alias, sep);
		if (orig && *orig)
			return names_fmt(buf, len, "%s", orig);
	}
	return names_fmt(buf, len, "%s%s%s", mc->source_alias, sep, source_topic);
}

int mm2_names_source_topic(const mirror_config *mc, const char *target_topic, char *buf, size_t len)
{
	if (mc->policy == MIRROR_POLICY_IDENTITY)
		return names_fmt(buf, len, "%s", target_topic);
	const char *sep = names_sep(mc);
	const char *rest = names_strip(target_topic, mc->source_alias, sep);
	char cand[MM2_TOPIC_MAX + 2], back[MM2_TOPIC_MAX + 2];
	if (rest && *rest) {
		if (names_fmt(cand, sizeof(cand), "%s", rest))
			return -1;
	} else if (names_fmt(cand, sizeof(cand), "%s%s%s", mc->target_alias, sep, target_topic)) {
		return -1;
	}
	/* Only an inverse if the forward rule maps the candidate back. */
	if (mm2_names_remote_topic(mc, cand, back, sizeof(back)) || strcmp(back, target_topic))
		return -1;
	return names_fmt(buf, len, "%s", cand);
}
