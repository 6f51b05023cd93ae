/* Strict JSON checks shared by the configuration parsers (see cfgjson.h). */
#include "routing/cfgjson.h"

#include <stdio.h>
#include <string.h>

const char *const config_cluster_names[CLUSTER_COUNT] = {"legacy", "target"};

int cfg_fail(char *err, size_t errlen, const char *field, const char *what)
{
	snprintf(err, errlen, "%s: %s", field, what);
	return -1;
}

int cfg_no_repeats(const cJSON *obj, const char *where, char *err, size_t errlen)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
			if (strcmp(prev->string, it->string) == 0) {
				char field[512];
				snprintf(field, sizeof(field), "%s%s%s", where, *where ? "." : "",
				         it->string);
				return cfg_fail(
				    err, errlen, field,
				    "repeated key (JSON readers disagree on which one counts)");
			}
	}
	return 0;
}

int cfg_only_keys(const cJSON *obj, const char *const *allowed, const char *where, char *err,
                  size_t errlen)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		int ok = 0;
		for (const char *const *k = allowed; *k; k++)
			ok |= strcmp(it->string, *k) == 0;
		if (!ok) {
			char field[512];
			snprintf(field, sizeof(field), "%s%s%s", where, *where ? "." : "",
			         it->string);
			return cfg_fail(err, errlen, field, "unknown key");
		}
	}
	return cfg_no_repeats(obj, where, err, errlen);
}

int cfg_text_has_nul(const char *json)
{
	int in_string = 0;
	for (const char *p = json; *p; p++) {
		if (*p == '"') {
			in_string = !in_string;
		} else if (in_string && *p == '\\' && p[1]) {
			if (p[1] == 'u' && strncmp(p + 2, "0000", 4) == 0)
				return 1;
			p++; /* the escaped character, which may be a quote */
		}
	}
	return 0;
}

int cfg_cluster_index(const char *name)
{
	for (int i = 0; i < CLUSTER_COUNT; i++)
		if (strcmp(name, config_cluster_names[i]) == 0)
			return i;
	return -1;
}

int cfg_cluster_value(const cJSON *v, const char *field, int *out, char *err, size_t errlen)
{
	int i = cJSON_IsString(v) ? cfg_cluster_index(v->valuestring) : -1;
	if (i < 0)
		return cfg_fail(err, errlen, field, "must be \"legacy\" or \"target\"");
	*out = i;
	return 0;
}
