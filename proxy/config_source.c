/*
 * Configuration sources and command-line overrides. The text is read from
 * the file or environment variable, the bootstrap overrides are written
 * into its JSON (so config.c's strict validation sees and checks them like
 * any other value), and config_parse builds the snapshot.
 */
#include "proxy/config_source.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG (16u << 20)

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		if (len + 1 == cap) {
			char *nb = cap >= MAX_CONFIG ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				snprintf(err, errlen, "%s: larger than 16 MiB", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error", path);
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* parent[key], created as an empty object when absent or not an object. */
static cJSON *object_at(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (cJSON_IsObject(o))
		return o;
	cJSON *n = cJSON_CreateObject();
	if (!n)
		return NULL;
	if (o ? cJSON_ReplaceItemInObjectCaseSensitive(parent, key, n)
	      : cJSON_AddItemToObject(parent, key, n))
		return n;
	cJSON_Delete(n);
	return NULL;
}

char *config_source_apply(const char *text, const config_source *src)
{
	cJSON *root = cJSON_Parse(text);
	/* unchanged when config_parse will reject it anyway: printing would
	 * drop what follows a \u0000 and hide it from config_parse's check */
	if (!cJSON_IsObject(root) || cfg_text_has_nul(text)) {
		cJSON_Delete(root);
		return strdup(text);
	}
	char *out = NULL;
	for (int i = 0; i < CLUSTER_COUNT; i++) {
		if (!src->bootstrap[i])
			continue;
		cJSON *cl = object_at(object_at(root, "clusters"), config_cluster_names[i]);
		cJSON *v = cJSON_CreateString(src->bootstrap[i]);
		int ok = cl && v &&
		         (cJSON_GetObjectItemCaseSensitive(cl, "bootstrap")
		              ? cJSON_ReplaceItemInObjectCaseSensitive(cl, "bootstrap", v)
		              : cJSON_AddItemToObject(cl, "bootstrap", v));
		if (!ok) {
			cJSON_Delete(v);
			goto done;
		}
	}
	out = cJSON_PrintUnformatted(root);
done:
	cJSON_Delete(root);
	return out;
}

static int dup_opt(const char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

int config_source_copy(config_source *dst, const config_source *src)
{
	int rc = dup_opt(&dst->path, src->path) | dup_opt(&dst->env, src->env);
	for (int i = 0; i < CLUSTER_COUNT; i++)
		rc |= dup_opt(&dst->bootstrap[i], src->bootstrap[i]);
	if (rc) {
		config_source_free(dst);
		return -1;
	}
	return 0;
}

void config_source_free(config_source *src)
{
	free((char *)src->path);
	free((char *)src->env);
	for (int i = 0; i < CLUSTER_COUNT; i++)
		free((char *)src->bootstrap[i]);
	memset(src, 0, sizeof(*src));
}

config *config_source_load(const config_source *src, char *err, size_t errlen)
{
	char *text = NULL;
	if (src->env) {
		const char *v = getenv(src->env);
		if (!v || !*v) {
			snprintf(err, errlen, "environment variable %s is not set", src->env);
			return NULL;
		}
		text = strdup(v);
	} else if (src->path) {
		text = read_file(src->path, err, errlen);
		if (!text)
			return NULL;
	} else {
		snprintf(err, errlen, "no configuration given");
		return NULL;
	}
	int overridden = 0;
	for (int i = 0; i < CLUSTER_COUNT; i++)
		overridden |= src->bootstrap[i] != NULL;
	if (text && overridden) {
		char *t = config_source_apply(text, src);
		free(text);
		text = t;
	}
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	config *c = config_parse(text, err, errlen);
	free(text);
	return c;
}
