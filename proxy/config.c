/*
 * Configuration: JSON through cJSON into a plain struct. Validation is strict
 * (unknown keys, wrong types and out-of-range values are errors naming the
 * field) because a typo in a migration config must never silently fall back
 * to a default.
 */
#include "proxy/config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/sha256.h"
#include "routing/mirror_config.h"
#include "routing/routes.h"

static int split_hostport(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return -1;
	/* digits only: strtol alone would take " 80", "+80" and "-0" */
	for (const char *d = colon + 1; *d; d++)
		if (*d < '0' || *d > '9')
			return -1;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p > 65535)
		return -1;
	*host = strndup(s, (size_t)(colon - s));
	*port = (int)p;
	return *host ? 0 : -1;
}

static int get_int(const cJSON *root, const char *key, long lo, long hi, long *out, char *err,
                   size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return cfg_fail(err, errlen, key, "must be an integer");
	/* range first: converting an out-of-range double to long is undefined */
	if (!(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi)) {
		char what[96];
		snprintf(what, sizeof(what), "must be between %ld and %ld", lo, hi);
		return cfg_fail(err, errlen, key, what);
	}
	if (v->valuedouble != (double)(long)v->valuedouble)
		return cfg_fail(err, errlen, key, "must be an integer");
	*out = (long)v->valuedouble;
	return 0;
}

static int get_str(const cJSON *root, const char *key, const char **out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return cfg_fail(err, errlen, key, "must be a non-empty string");
	*out = v->valuestring;
	return 0;
}

static int parse_clusters(const cJSON *root, config *c, char *err, size_t errlen)
{
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(root, "clusters");
	if (!cJSON_IsObject(cl))
		return cfg_fail(err, errlen, "clusters", "required object with legacy and target");
	static const char *const names[] = {"legacy", "target", NULL};
	if (cfg_only_keys(cl, names, "clusters", err, errlen))
		return -1;
	for (int i = 0; i < CLUSTER_COUNT; i++) {
		char field[64];
		snprintf(field, sizeof(field), "clusters.%s", config_cluster_names[i]);
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(cl, config_cluster_names[i]);
		if (!cJSON_IsObject(o))
			return cfg_fail(err, errlen, field, "required object");
		static const char *const keys[] = {"bootstrap", "tls", "sasl", NULL};
		if (cfg_only_keys(o, keys, field, err, errlen))
			return -1;
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bootstrap");
		strncat(field, ".bootstrap", sizeof(field) - strlen(field) - 1);
		if (!cJSON_IsString(b) || !b->valuestring[0])
			return cfg_fail(err, errlen, field,
			                "required \"host:port[,host:port...]\"");
		/* every entry must be host:port; empty entries are skipped as Kafka
		 * clients skip them (an app's own "a:1,b:2," reaches us through
		 * --legacy-bootstrap), but there must be at least one */
		char *copy = strdup(b->valuestring), *save = NULL;
		if (!copy)
			return cfg_fail(err, errlen, field, "out of memory");
		int bad = 0, entries = 0;
		for (char *tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			entries++;
			char *h;
			int p;
			if (split_hostport(tok, &h, &p)) {
				bad = 1;
				continue;
			}
			free(h);
			bad |= p == 0;
		}
		free(copy);
		if (bad || !entries)
			return cfg_fail(err, errlen, field, "every entry must be host:port");
		c->clusters[i].bootstrap = strdup(b->valuestring);
		if (!c->clusters[i].bootstrap)
			return cfg_fail(err, errlen, field, "out of memory");
		field[strlen(field) - strlen(".bootstrap")] = '\0';
		if (secconfig_parse_cluster(o, field, b->valuestring, &c->clusters[i].tls,
		                            &c->clusters[i].sasl, err, errlen))
			return -1;
	}
	return 0;
}

/* "admin": where the admin HTTP server listens and who may use it. */
static int parse_admin(const cJSON *root, config *c, char *err, size_t errlen)
{
	config_admin *a = &c->admin;
	a->enabled = 1;
	a->port = 9644;
	const char *listen = "127.0.0.1:9644", *token = NULL;
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "admin");
	if (o) {
		static const char *const keys[] = {"enabled", "listen", "allow_remote",
		                                   "token_file", NULL};
		if (!cJSON_IsObject(o))
			return cfg_fail(err, errlen, "admin", "must be an object");
		if (cfg_only_keys(o, keys, "admin", err, errlen))
			return -1;
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "enabled");
		const cJSON *rem = cJSON_GetObjectItemCaseSensitive(o, "allow_remote");
		if (en && !cJSON_IsBool(en))
			return cfg_fail(err, errlen, "admin.enabled", "must be true or false");
		if (rem && !cJSON_IsBool(rem))
			return cfg_fail(err, errlen, "admin.allow_remote", "must be true or false");
		a->enabled = !en || cJSON_IsTrue(en);
		a->allow_remote = rem && cJSON_IsTrue(rem);
		char inner[300];
		if (get_str(o, "listen", &listen, inner, sizeof(inner)) ||
		    get_str(o, "token_file", &token, inner, sizeof(inner))) {
			snprintf(err, errlen, "admin.%s", inner);
			return -1;
		}
	}
	if (split_hostport(listen, &a->host, &a->port))
		return cfg_fail(err, errlen, "admin.listen", "must be host:port");
	if (token && !(a->token_file = strdup(token)))
		return cfg_fail(err, errlen, "admin.token_file", "out of memory");
	return 0;
}

/* "log": the line format (the level stays the top-level log_level). */
static int parse_log(const cJSON *root, config *c, char *err, size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "log");
	c->log_format = LOG_FORMAT_LOGFMT;
	if (!o)
		return 0;
	static const char *const keys[] = {"format", NULL};
	if (!cJSON_IsObject(o))
		return cfg_fail(err, errlen, "log", "must be an object");
	if (cfg_only_keys(o, keys, "log", err, errlen))
		return -1;
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (f && (!cJSON_IsString(f) || log_parse_format(f->valuestring, &c->log_format)))
		return cfg_fail(err, errlen, "log.format", "must be \"logfmt\" or \"json\"");
	return 0;
}

/* An instance id: printable ASCII without spaces or quotes, since it ends
 * up in record keys and log lines. */
static int plain_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* This sidecar's default name on the control topic: POD_NAME (Kubernetes
 * sets it per replica), else the host name. Not the pid: a sidecar restarted
 * in the middle of a flip must recognise its own earlier records, or it
 * would wait for them as for a live peer (flip_recover.c). */
static char *default_instance_id(void)
{
	const char *pod = getenv("POD_NAME");
	if (pod && plain_name(pod, 120))
		return strdup(pod);
	char host[128] = "";
	if (gethostname(host, sizeof(host) - 1) || !plain_name(host, 120))
		snprintf(host, sizeof(host), "turnout");
	host[sizeof(host) - 1] = '\0';
	return strdup(host);
}

/* "cutover": how long a flip waits for a group's last commits (flip.c) and
 * where the sidecars coordinate it (coord.c). */
static int parse_cutover(const cJSON *root, config *c, char *err, size_t errlen)
{
	long quiet = 5000, max = 30000, heartbeat = 2000;
	const char *topic = "__turnout_cutover", *cluster = "legacy", *instance = NULL;
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "cutover");
	static const char *const keys[] = {"quiet_ms",
	                                   "freeze_max_ms",
	                                   "control_topic",
	                                   "control_cluster",
	                                   "instance_id",
	                                   "heartbeat_ms",
	                                   NULL};
	if (o) {
		if (!cJSON_IsObject(o))
			return cfg_fail(err, errlen, "cutover", "must be an object");
		char inner[400];
		if (cfg_only_keys(o, keys, "cutover", err, errlen))
			return -1;
		if (get_int(o, "quiet_ms", 100, 600000, &quiet, inner, sizeof(inner)) ||
		    get_int(o, "freeze_max_ms", 100, 3600000, &max, inner, sizeof(inner)) ||
		    get_int(o, "heartbeat_ms", 100, 60000, &heartbeat, inner, sizeof(inner)) ||
		    get_str(o, "control_topic", &topic, inner, sizeof(inner)) ||
		    get_str(o, "control_cluster", &cluster, inner, sizeof(inner)) ||
		    get_str(o, "instance_id", &instance, inner, sizeof(inner))) {
			snprintf(err, errlen, "cutover.%s", inner);
			return -1;
		}
		if (max < quiet)
			return cfg_fail(err, errlen, "cutover.freeze_max_ms",
			                "must be at least cutover.quiet_ms");
	}
	if (!routes_valid_topic(topic, strlen(topic)))
		return cfg_fail(err, errlen, "cutover.control_topic",
		                "not a valid Kafka topic name");
	if (instance && !plain_name(instance, 120))
		return cfg_fail(err, errlen, "cutover.instance_id",
		                "must be 1 to 120 printable characters without spaces or quotes");
	if (strcmp(cluster, "legacy") == 0)
		c->cutover_control_cluster = CLUSTER_LEGACY;
	else if (strcmp(cluster, "target") == 0)
		c->cutover_control_cluster = CLUSTER_TARGET;
	else
		return cfg_fail(err, errlen, "cutover.control_cluster",
		                "must be \"legacy\" or \"target\"");
	c->cutover_quiet_ms = (int)quiet;
	c->cutover_freeze_max_ms = (int)max;
	c->cutover_heartbeat_ms = (int)heartbeat;
	c->cutover_control_topic = strdup(topic);
	c->cutover_instance_id = instance ? strdup(instance) : default_instance_id();
	if (!c->cutover_control_topic || !c->cutover_instance_id)
		return cfg_fail(err, errlen, "cutover", "out of memory");
	return 0;
}

config *config_parse(const char *json, char *err, size_t errlen)
{
	config *c = calloc(1, sizeof(*c));
	cJSON *root = cJSON_Parse(json);
	if (!c)
		goto fail;
	if (root && cfg_text_has_nul(json)) {
		cfg_fail(err, errlen, "(a string)",
		         "\\u0000 is not allowed (turnout would cut it there)");
		goto fail;
	}
	if (!root) {
		snprintf(err, errlen, "not valid JSON near: %.40s",
		         cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "?");
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		cfg_fail(err, errlen, "(top level)", "must be an object");
		goto fail;
	}
	/* "$schema" names the JSON Schema (schema/turnout.schema.json) for
	 * editors; turnout ignores it, and only at the top level. */
	static const char *const keys[] = {"$schema",
	                                   "listen",
	                                   "advertised_host",
	                                   "broker_port_base",
	                                   "default_cluster",
	                                   "max_frame_bytes",
	                                   "metadata_refresh_ms",
	                                   "request_timeout_ms",
	                                   "log_level",
	                                   "clusters",
	                                   "mirror",
	                                   "service",
	                                   "routes",
	                                   "listen_tls",
	                                   "admin",
	                                   "log",
	                                   "cutover",
	                                   NULL};
	if (cfg_only_keys(root, keys, "", err, errlen))
		goto fail;
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "$schema");
	if (schema && !cJSON_IsString(schema)) {
		cfg_fail(err, errlen, "$schema", "must be a string (the schema's path or URL)");
		goto fail;
	}
	const char *listen = "127.0.0.1:9092", *adv = NULL, *def = "legacy", *level = "info",
	           *service = NULL;
	long port_base = 0, max_frame = 100 << 20, refresh = 60000, req_timeout = 60000;
	if (get_str(root, "listen", &listen, err, errlen) ||
	    get_str(root, "advertised_host", &adv, err, errlen) ||
	    get_str(root, "default_cluster", &def, err, errlen) ||
	    get_str(root, "log_level", &level, err, errlen) ||
	    get_str(root, "service", &service, err, errlen) ||
	    get_int(root, "broker_port_base", 0, 65000, &port_base, err, errlen) ||
	    get_int(root, "max_frame_bytes", 1024, 1L << 30, &max_frame, err, errlen) ||
	    get_int(root, "metadata_refresh_ms", 1000, 3600000, &refresh, err, errlen) ||
	    get_int(root, "request_timeout_ms", 100, 3600000, &req_timeout, err, errlen))
		goto fail;
	if (split_hostport(listen, &c->listen_host, &c->listen_port)) {
		cfg_fail(err, errlen, "listen", "must be host:port");
		goto fail;
	}
	c->advertised_host = strdup(adv ? adv : c->listen_host);
	c->broker_port_base = (int)port_base;
	c->max_frame_bytes = (int32_t)max_frame;
	c->metadata_refresh_ms = (int)refresh;
	c->request_timeout_ms = (int)req_timeout;
	if (strcmp(def, "legacy") == 0) {
		c->default_cluster = CLUSTER_LEGACY;
	} else if (strcmp(def, "target") == 0) {
		c->default_cluster = CLUSTER_TARGET;
	} else {
		cfg_fail(err, errlen, "default_cluster", "must be \"legacy\" or \"target\"");
		goto fail;
	}
	if (log_parse_level(level, &c->log_level)) {
		cfg_fail(err, errlen, "log_level", "must be error, warn, info or debug");
		goto fail;
	}
	if (!c->advertised_host || parse_clusters(root, c, err, errlen) ||
	    parse_admin(root, c, err, errlen) || parse_log(root, c, err, errlen) ||
	    parse_cutover(root, c, err, errlen) ||
	    secconfig_parse_listen(root, &c->listen_tls, err, errlen))
		goto fail;
	if (service && !(c->service = strdup(service))) {
		cfg_fail(err, errlen, "service", "out of memory");
		goto fail;
	}
	if (routes_parse(cJSON_GetObjectItemCaseSensitive(root, "routes"), c->service,
	                 c->default_cluster, &c->routes, err, errlen))
		goto fail;
	const cJSON *mirror = cJSON_GetObjectItemCaseSensitive(root, "mirror");
	if (mirror) {
		if (!(c->mirror = malloc(sizeof(*c->mirror)))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (mirror_config_parse(mirror, c->mirror, err, errlen))
			goto fail;
	}
	sha256(json, strlen(json), c->digest);
	cJSON_Delete(root);
	return c;
fail:
	if (!c)
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(root);
	config_free(c);
	return NULL;
}

config *config_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (16u << 20)) {
				snprintf(err, errlen, "%s: larger than 16 MiB", path);
				goto fail;
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	config *c = config_parse(buf, err, errlen);
	free(buf);
	return c;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

void config_free(config *c)
{
	if (!c)
		return;
	free(c->listen_host);
	free(c->advertised_host);
	for (int i = 0; i < CLUSTER_COUNT; i++) {
		free(c->clusters[i].bootstrap);
		secconfig_free_tls(c->clusters[i].tls);
		secconfig_free_sasl(c->clusters[i].sasl);
	}
	secconfig_free_listen(c->listen_tls);
	mirror_config_clear(c->mirror);
	free(c->mirror);
	free(c->service);
	free(c->admin.host);
	free(c->admin.token_file);
	free(c->cutover_control_topic);
	free(c->cutover_instance_id);
	routes_free(&c->routes);
	free(c);
}
