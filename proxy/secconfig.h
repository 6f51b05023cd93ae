/*
 * The security part of the configuration: per cluster `tls` and `sasl`, and
 * the client-facing `listen_tls`. Parsed as strictly as the rest of the file.
 * Secrets are never in the file: a password comes from a file or an
 * environment variable named here, AWS keys from the standard AWS places.
 */
#ifndef TURNOUT_PROXY_SECCONFIG_H
#define TURNOUT_PROXY_SECCONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Upstream TLS of one cluster; absent means plaintext. */
typedef struct config_tls {
	char *ca_file;       /* PEM bundle; NULL = the system's trust store */
	char *cert_file;     /* client certificate chain (PEM), with key_file, optional */
	char *key_file;      /* its private key (PEM) */
	int verify_hostname; /* check the broker's name against its certificate */
	char *server_name;   /* name for SNI and verification instead of the broker host */
} config_tls;

typedef enum sasl_mech {
	SASL_PLAIN,
	SASL_SCRAM_SHA_256,
	SASL_SCRAM_SHA_512,
	SASL_AWS_MSK_IAM,
} sasl_mech;

/* Upstream SASL of one cluster; absent means none. */
typedef struct config_sasl {
	sasl_mech mechanism;
	char *username;      /* PLAIN and SCRAM */
	char *password_file; /* PLAIN and SCRAM: exactly one of these two */
	char *password_env;  /* name of the environment variable holding it */
	char *region;        /* AWS_MSK_IAM: given, or taken from an MSK bootstrap host */
	char *profile;       /* AWS_MSK_IAM: shared credentials profile; NULL = default chain */
} config_sasl;

/* Client-facing TLS on the bootstrap and virtual-broker listeners. */
typedef struct config_listen_tls {
	char *cert_file; /* server certificate chain (PEM) */
	char *key_file;  /* its private key (PEM) */
} config_listen_tls;

extern const char *const sasl_mech_names[]; /* "PLAIN", "SCRAM-SHA-256", ... */

/* Parses the optional "tls" and "sasl" members of a cluster object o whose
 * field name is `field` (e.g. "clusters.target"); bootstrap is its already
 * validated bootstrap list (the IAM region may come from it). */
int secconfig_parse_cluster(const cJSON *o, const char *field, const char *bootstrap,
                            config_tls **tls, config_sasl **sasl, char *err, size_t errlen);
/* Parses the optional top-level "listen_tls". */
int secconfig_parse_listen(const cJSON *root, config_listen_tls **out, char *err, size_t errlen);

void secconfig_free_tls(config_tls *t);
void secconfig_free_sasl(config_sasl *s);
void secconfig_free_listen(config_listen_tls *l);

/* Do two snapshots use the same TLS settings? TLS contexts are built once
 * at start, so a reload that changes them needs a restart. */
int secconfig_tls_same(const config_tls *a, const config_tls *b);
int secconfig_listen_same(const config_listen_tls *a, const config_listen_tls *b);

/* The AWS region in an MSK broker name (b-1.c.x.c2.kafka.us-east-1.amazonaws.com),
 * copied into out; -1 if host is not such a name. */
int secconfig_region_from_host(const char *host, size_t hostlen, char *out, size_t outlen);

/* Reads the password a sasl config names (file content without one
 * trailing newline, or the environment variable). Returns a malloc'd string
 * the caller wipes and frees; NULL with a reason (never the secret) in err. */
char *secconfig_password(const config_sasl *s, char *err, size_t errlen);

#endif
