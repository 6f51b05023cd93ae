/*
 * Parses the "mirror" object of the configuration into a mirror_config.
 *
 * The values mirror MirrorMaker 2's own settings (aliases, replication
 * policy, separator options, offset-syncs location) so an operator can copy
 * them from the MM2 connector configuration. A typo must not fall back to a
 * default: a wrong topic name would make turnout wait for data that never
 * comes, so every key is checked and the derived topic names are validated
 * here, at load time.
 */
#include "routing/mirror_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/cfgjson.h"
#include "routing/mm2_names.h"

#define MIRROR_ALIAS_MAX     100
#define MIRROR_SEPARATOR_MAX 32

static int mc_fail(char *err, size_t errlen, const char *key, const char *what)
{
	snprintf(err, errlen, "mirror%s%s: %s", key ? "." : "", key ? key : "", what);
	return -1;
}

static int mc_string(const cJSON *obj, const char *key, size_t maxlen, char **out, char *err,
                     size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return mc_fail(err, errlen, key, "must be a non-empty string");
	size_t len = strlen(v->valuestring);
	if (len > maxlen) {
		char what[64];
		snprintf(what, sizeof(what), "longer than %zu characters", maxlen);
		return mc_fail(err, errlen, key, what);
	}
	if (!mm2_names_topic_chars_ok(v->valuestring, len))
		return mc_fail(err, errlen, key,
		               "may contain only letters, digits, '.', '_' and '-' (it is part of "
		               "a topic name)");
	char *copy = strdup(v->valuestring);
	if (!copy)
		return mc_fail(err, errlen, key, "out of memory");
	free(*out);
	*out = copy;
	return 0;
}

static int mc_bool(const cJSON *obj, const char *key, int *out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return mc_fail(err, errlen, key, "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int mc_int(const cJSON *obj, const char *key, long lo, long hi, long *out, char *err,
                  size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return mc_fail(err, errlen, key, "must be an integer");
	/* range before the conversion: an out-of-range double to long is undefined */
	if (!(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi)) {
		char what[96];
		snprintf(what, sizeof(what), "must be between %ld and %ld", lo, hi);
		return mc_fail(err, errlen, key, what);
	}
	if (v->valuedouble != (double)(long)v->valuedouble)
		return mc_fail(err, errlen, key, "must be an integer");
	*out = (long)v->valuedouble;
	return 0;
}

/* One of the words in choices (NULL-terminated); *out is its index. */
static int mc_enum(const cJSON *obj, const char *key, const char *const *choices, int *out,
                   char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return 0;
	if (cJSON_IsString(v))
		for (int i = 0; choices[i]; i++)
			if (strcmp(v->valuestring, choices[i]) == 0) {
				*out = i;
				return 0;
			}
	char what[128] = "must be";
	for (int i = 0; choices[i]; i++) {
		size_t n = strlen(what);
		snprintf(what + n, sizeof(what) - n, "%s \"%s\"", i == 0 ? "" : " or", choices[i]);
	}
	return mc_fail(err, errlen, key, what);
}

void mirror_config_defaults(mirror_config *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->policy = MIRROR_POLICY_DEFAULT;
	mc->internal_separator_enabled = 1;
	mc->syncs_location = MIRROR_SYNCS_ON_SOURCE;
	mc->verify_record_budget = 10000;
	mc->use_checkpoints = 1;
	mc->ready_timeout_ms = 30000;
	mc->fetch_timeout_ms = 10000;
}

void mirror_config_clear(mirror_config *mc)
{
	if (!mc)
		return;
	free(mc->source_alias);
	free(mc->target_alias);
	free(mc->separator);
	free(mc->checkpoints_topic);
	free(mc->offset_syncs_topic);
	memset(mc, 0, sizeof(*mc));
}

int mirror_config_parse(const cJSON *obj, mirror_config *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"source_alias",
	                                   "target_alias",
	                                   "replication_policy",
	                                   "separator",
	                                   "internal_topic_separator_enabled",
	                                   "offset_syncs_topic_location",
	                                   "checkpoints_topic",
	                                   "offset_syncs_topic",
	                                   "verify_record_budget",
	                                   "use_checkpoints",
	                                   "ready_timeout_ms",
	                                   "fetch_timeout_ms",
	                                   NULL};
	static const char *const policies[] = {"default", "identity", NULL};
	static const char *const locations[] = {"source", "target", NULL};

	mirror_config_defaults(out);
	if (!cJSON_IsObject(obj))
		return mc_fail(err, errlen, NULL, "must be an object");
	if (cfg_only_keys(obj, keys, "mirror", err, errlen))
		goto fail;
	int policy = MIRROR_POLICY_DEFAULT, location = MIRROR_SYNCS_ON_SOURCE;
	long budget = out->verify_record_budget, ready = out->ready_timeout_ms,
	     fetch = out->fetch_timeout_ms;
	if (mc_string(obj, "source_alias", MIRROR_ALIAS_MAX, &out->source_alias, err, errlen) ||
	    mc_string(obj, "target_alias", MIRROR_ALIAS_MAX, &out->target_alias, err, errlen) ||
	    mc_string(obj, "separator", MIRROR_SEPARATOR_MAX, &out->separator, err, errlen) ||
	    mc_string(obj, "checkpoints_topic", MM2_TOPIC_MAX, &out->checkpoints_topic, err,
	              errlen) ||
	    mc_string(obj, "offset_syncs_topic", MM2_TOPIC_MAX, &out->offset_syncs_topic, err,
	              errlen) ||
	    mc_enum(obj, "replication_policy", policies, &policy, err, errlen) ||
	    mc_enum(obj, "offset_syncs_topic_location", locations, &location, err, errlen) ||
	    mc_bool(obj, "internal_topic_separator_enabled", &out->internal_separator_enabled, err,
	            errlen) ||
	    mc_bool(obj, "use_checkpoints", &out->use_checkpoints, err, errlen) ||
	    mc_int(obj, "verify_record_budget", 0, 10000000, &budget, err, errlen) ||
	    mc_int(obj, "ready_timeout_ms", 100, 3600000, &ready, err, errlen) ||
	    mc_int(obj, "fetch_timeout_ms", 100, 600000, &fetch, err, errlen))
		goto fail;
	out->policy = (mirror_policy)policy;
	out->syncs_location = (mirror_syncs_location)location;
	out->verify_record_budget = budget;
	out->ready_timeout_ms = (int)ready;
	out->fetch_timeout_ms = (int)fetch;
	if (!out->source_alias) {
		mc_fail(err, errlen, "source_alias", "required (MM2's source.cluster.alias)");
		goto fail;
	}
	if (!out->target_alias) {
		mc_fail(err, errlen, "target_alias", "required (MM2's target.cluster.alias)");
		goto fail;
	}
	if (strcmp(out->source_alias, out->target_alias) == 0) {
		mc_fail(err, errlen, "target_alias", "must differ from source_alias");
		goto fail;
	}
	if (!out->separator && !(out->separator = strdup("."))) {
		mc_fail(err, errlen, "separator", "out of memory");
		goto fail;
	}
	/* The derived names must be legal topic names, or nothing will ever be read. */
	char name[MM2_TOPIC_MAX + 1];
	if (mm2_names_checkpoints_topic(out, name, sizeof(name))) {
		mc_fail(err, errlen, "source_alias",
		        "makes the checkpoints topic name longer than 249 characters");
		goto fail;
	}
	if (mm2_names_offset_syncs_topic(out, name, sizeof(name))) {
		mc_fail(err, errlen,
		        out->syncs_location == MIRROR_SYNCS_ON_SOURCE ? "target_alias"
		                                                      : "source_alias",
		        "makes the offset-syncs topic name longer than 249 characters");
		goto fail;
	}
	return 0;
fail:
	mirror_config_clear(out);
	return -1;
}
