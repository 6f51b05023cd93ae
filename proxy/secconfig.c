/*
 * Security settings (see secconfig.h): JSON objects under each cluster and
 * at the top level, checked strictly, into plain structs. Nothing here opens
 * a file or a socket except secconfig_password, which the SASL code calls on
 * every (re)authentication so that a rotated password is picked up.
 */
#include "proxy/secconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "routing/cfgjson.h"

const char *const sasl_mech_names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM"};

enum { PASSWORD_MAX = 4096 };

static int failf(char *err, size_t errlen, const char *field, const char *key, const char *what)
{
	char f[256];
	snprintf(f, sizeof(f), "%s.%s", field, key);
	return cfg_fail(err, errlen, f, what);
}

/* An optional non-empty string member copied into *out. */
static int opt_str(const cJSON *o, const char *field, const char *key, char **out, char *err,
                   size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return failf(err, errlen, field, key, "must be a non-empty string");
	if (!(*out = strdup(v->valuestring)))
		return failf(err, errlen, field, key, "out of memory");
	return 0;
}

static int env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int region_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 32 || !strchr(s, '-') || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

int secconfig_region_from_host(const char *host, size_t hostlen, char *out, size_t outlen)
{
	/* labels: ... "kafka" | "kafka-serverless", <region>, "amazonaws", ... */
	size_t i = 0;
	while (i < hostlen) {
		size_t j = i;
		while (j < hostlen && host[j] != '.')
			j++;
		size_t n = j - i;
		int kafka = (n == 5 && strncasecmp(host + i, "kafka", 5) == 0) ||
		            (n == 16 && strncasecmp(host + i, "kafka-serverless", 16) == 0);
		if (kafka && j < hostlen) {
			size_t r = j + 1, re = r;
			while (re < hostlen && host[re] != '.')
				re++;
			if (re < hostlen && hostlen - re - 1 >= 9 &&
			    strncasecmp(host + re + 1, "amazonaws", 9) == 0 &&
			    (hostlen - re - 1 == 9 || host[re + 10] == '.') && re - r < outlen) {
				for (size_t k = r; k < re; k++)
					out[k - r] = (char)tolower((unsigned char)host[k]);
				out[re - r] = '\0';
				return region_ok(out) ? 0 : -1;
			}
		}
		i = j + 1;
	}
	return -1;
}

static int parse_tls(const cJSON *v, const char *field, config_tls **out, char *err, size_t errlen)
{
	if (!cJSON_IsObject(v))
		return cfg_fail(err, errlen, field,
		                "must be an object ({} for TLS with the system trust store)");
	static const char *const keys[] = {"ca_file",         "cert_file",   "key_file",
	                                   "verify_hostname", "server_name", NULL};
	if (cfg_only_keys(v, keys, field, err, errlen))
		return -1;
	config_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return cfg_fail(err, errlen, field, "out of memory");
	*out = t;
	t->verify_hostname = 1;
	if (opt_str(v, field, "ca_file", &t->ca_file, err, errlen) ||
	    opt_str(v, field, "cert_file", &t->cert_file, err, errlen) ||
	    opt_str(v, field, "key_file", &t->key_file, err, errlen) ||
	    opt_str(v, field, "server_name", &t->server_name, err, errlen))
		return -1;
	const cJSON *vh = cJSON_GetObjectItemCaseSensitive(v, "verify_hostname");
	if (vh && !cJSON_IsBool(vh))
		return failf(err, errlen, field, "verify_hostname", "must be true or false");
	if (vh)
		t->verify_hostname = cJSON_IsTrue(vh);
	if (!t->cert_file != !t->key_file)
		return failf(err, errlen, field, t->cert_file ? "key_file" : "cert_file",
		             "required with cert_file and key_file both given (client certificate) "
		             "or neither");
	return 0;
}

/* The host of the first bootstrap entry, for the IAM region. */
static int first_host(const char *bootstrap, char *out, size_t outlen)
{
	const char *end = strchr(bootstrap, ',');
	size_t n = end ? (size_t)(end - bootstrap) : strlen(bootstrap);
	const char *colon = NULL;
	for (size_t i = 0; i < n; i++)
		if (bootstrap[i] == ':')
			colon = bootstrap + i;
	if (colon)
		n = (size_t)(colon - bootstrap);
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, bootstrap, n);
	out[n] = '\0';
	return 0;
}

static int parse_sasl(const cJSON *v, const char *field, const char *bootstrap, config_sasl **out,
                      char *err, size_t errlen)
{
	if (!cJSON_IsObject(v))
		return cfg_fail(err, errlen, field, "must be an object");
	if (cJSON_GetObjectItemCaseSensitive(v, "password"))
		return failf(err, errlen, field, "password",
		             "not allowed in the config file: name a file (password_file) or an "
		             "environment variable (password_env) that holds it");
	static const char *const keys[] = {
	    "mechanism", "username", "password_file", "password_env", "region", "profile", NULL};
	if (cfg_only_keys(v, keys, field, err, errlen))
		return -1;
	config_sasl *s = calloc(1, sizeof(*s));
	if (!s)
		return cfg_fail(err, errlen, field, "out of memory");
	*out = s;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "mechanism");
	int found = 0;
	for (int i = 0; cJSON_IsString(m) && i <= SASL_AWS_MSK_IAM; i++)
		if (strcmp(m->valuestring, sasl_mech_names[i]) == 0) {
			s->mechanism = (sasl_mech)i;
			found = 1;
		}
	if (!found)
		return failf(err, errlen, field, "mechanism",
		             "required: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM");
	if (opt_str(v, field, "username", &s->username, err, errlen) ||
	    opt_str(v, field, "password_file", &s->password_file, err, errlen) ||
	    opt_str(v, field, "password_env", &s->password_env, err, errlen) ||
	    opt_str(v, field, "region", &s->region, err, errlen) ||
	    opt_str(v, field, "profile", &s->profile, err, errlen))
		return -1;
	if (s->mechanism == SASL_AWS_MSK_IAM) {
		const char *extra = s->username        ? "username"
		                    : s->password_file ? "password_file"
		                    : s->password_env  ? "password_env"
		                                       : NULL;
		if (extra)
			return failf(err, errlen, field, extra,
			             "not used by AWS_MSK_IAM (credentials come from the AWS "
			             "environment variables or the shared credentials file)");
		if (s->region && !region_ok(s->region))
			return failf(err, errlen, field, "region",
			             "must be an AWS region id like us-east-1");
		if (!s->region) {
			char host[256], region[64];
			if (first_host(bootstrap, host, sizeof(host)) ||
			    secconfig_region_from_host(host, strlen(host), region, sizeof(region)))
				return failf(
				    err, errlen, field, "region",
				    "required: the bootstrap host is not an MSK broker name "
				    "like b-1.x.y.kafka.us-east-1.amazonaws.com");
			if (!(s->region = strdup(region)))
				return failf(err, errlen, field, "region", "out of memory");
		}
		return 0;
	}
	const char *iam = s->region ? "region" : s->profile ? "profile" : NULL;
	if (iam)
		return failf(err, errlen, field, iam, "only used by AWS_MSK_IAM");
	if (!s->username)
		return failf(err, errlen, field, "username", "required for this mechanism");
	if (!s->password_file == !s->password_env)
		return failf(err, errlen, field, "password_file",
		             "exactly one of password_file and password_env is required");
	if (s->password_env && !env_name_ok(s->password_env))
		return failf(err, errlen, field, "password_env",
		             "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
	return 0;
}

int secconfig_parse_cluster(const cJSON *o, const char *field, const char *bootstrap,
                            config_tls **tls, config_sasl **sasl, char *err, size_t errlen)
{
	char f[192];
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tls");
	snprintf(f, sizeof(f), "%s.tls", field);
	if (t && parse_tls(t, f, tls, err, errlen))
		return -1;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "sasl");
	snprintf(f, sizeof(f), "%s.sasl", field);
	if (s && parse_sasl(s, f, bootstrap, sasl, err, errlen))
		return -1;
	return 0;
}

int secconfig_parse_listen(const cJSON *root, config_listen_tls **out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "listen_tls");
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return cfg_fail(err, errlen, "listen_tls", "must be an object");
	static const char *const keys[] = {"cert_file", "key_file", NULL};
	if (cfg_only_keys(v, keys, "listen_tls", err, errlen))
		return -1;
	config_listen_tls *l = calloc(1, sizeof(*l));
	if (!l)
		return cfg_fail(err, errlen, "listen_tls", "out of memory");
	*out = l;
	if (opt_str(v, "listen_tls", "cert_file", &l->cert_file, err, errlen) ||
	    opt_str(v, "listen_tls", "key_file", &l->key_file, err, errlen))
		return -1;
	if (!l->cert_file || !l->key_file)
		return failf(err, errlen, "listen_tls", l->cert_file ? "key_file" : "cert_file",
		             "required (PEM file)");
	return 0;
}

void secconfig_free_tls(config_tls *t)
{
	if (!t)
		return;
	free(t->ca_file);
	free(t->cert_file);
	free(t->key_file);
	free(t->server_name);
	free(t);
}

void secconfig_free_sasl(config_sasl *s)
{
	if (!s)
		return;
	free(s->username);
	free(s->password_file);
	free(s->password_env);
	free(s->region);
	free(s->profile);
	free(s);
}

void secconfig_free_listen(config_listen_tls *l)
{
	if (!l)
		return;
	free(l->cert_file);
	free(l->key_file);
	free(l);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int secconfig_tls_same(const config_tls *a, const config_tls *b)
{
	if (!a || !b)
		return !a && !b;
	return same(a->ca_file, b->ca_file) && same(a->cert_file, b->cert_file) &&
	       same(a->key_file, b->key_file) && same(a->server_name, b->server_name) &&
	       a->verify_hostname == b->verify_hostname;
}

int secconfig_listen_same(const config_listen_tls *a, const config_listen_tls *b)
{
	if (!a || !b)
		return !a && !b;
	return same(a->cert_file, b->cert_file) && same(a->key_file, b->key_file);
}

char *secconfig_password(const config_sasl *s, char *err, size_t errlen)
{
	if (s->password_env) {
		const char *v = getenv(s->password_env);
		if (!v || !*v) {
			snprintf(err, errlen, "environment variable %s (password_env) is not set",
			         s->password_env);
			return NULL;
		}
		char *p = strdup(v);
		if (!p)
			snprintf(err, errlen, "out of memory");
		return p;
	}
	FILE *f = s->password_file ? fopen(s->password_file, "rb") : NULL;
	if (!f) {
		snprintf(err, errlen, "password_file %s: %s",
		         s->password_file ? s->password_file : "?", strerror(errno));
		return NULL;
	}
	char *p = malloc(PASSWORD_MAX + 1);
	size_t n = p ? fread(p, 1, PASSWORD_MAX + 1, f) : 0;
	int bad = !p || ferror(f);
	fclose(f);
	if (!bad && n > PASSWORD_MAX) {
		snprintf(err, errlen, "password_file %s: longer than %d bytes", s->password_file,
		         PASSWORD_MAX);
		bad = 2;
	}
	if (!bad) {
		if (n && p[n - 1] == '\n')
			n--;
		if (n && p[n - 1] == '\r')
			n--;
		p[n] = '\0';
		if (n == 0 || strlen(p) != n) {
			snprintf(err, errlen, "password_file %s: empty or contains a NUL byte",
			         s->password_file);
			bad = 2;
		}
	}
	if (bad) {
		if (bad == 1)
			snprintf(err, errlen, "password_file %s: read error", s->password_file);
		if (p) {
			OPENSSL_cleanse(p, PASSWORD_MAX + 1);
			free(p);
		}
		return NULL;
	}
	return p;
}
