/* turnout's configuration file (JSON), parsed and validated into one snapshot. */
#ifndef TURNOUT_PROXY_CONFIG_H
#define TURNOUT_PROXY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/log.h"
#include "proxy/secconfig.h"
#include "routing/routes.h"

typedef struct config_cluster {
	char *bootstrap;   /* "host:port,host:port" */
	config_tls *tls;   /* upstream TLS; NULL = plaintext */
	config_sasl *sasl; /* upstream SASL; NULL = none */
} config_cluster;

struct mirror_config; /* routing/mirror_config.h */

/* "admin": the admin HTTP server (admin.c). */
typedef struct config_admin {
	int enabled;      /* admin.enabled (default 1) */
	char *host;       /* admin.listen host (default 127.0.0.1) */
	int port;         /* admin.listen port (default 9644; 0 = ephemeral) */
	int allow_remote; /* serve more than /healthz and /readyz to non-loopback peers */
	char *token_file; /* bearer token file, or NULL (no token asked) */
} config_admin;

typedef struct config {
	char *listen_host;       /* bootstrap listener address */
	int listen_port;         /* 0 = ephemeral (tests) */
	char *advertised_host;   /* host clients are told to connect to */
	int broker_port_base;    /* virtual broker n listens on base + n; 0 = ephemeral */
	int default_cluster;     /* CLUSTER_LEGACY or CLUSTER_TARGET */
	int32_t max_frame_bytes; /* largest frame accepted from either side */
	int metadata_refresh_ms; /* how often turnout refreshes each cluster's brokers */
	int request_timeout_ms;  /* an upstream silent this long with requests due is closed */
	log_level log_level;
	log_format log_format; /* log.format */
	config_admin admin;
	unsigned char digest[32]; /* SHA-256 of the JSON text parsed */
	config_cluster clusters[CLUSTER_COUNT];
	char *service; /* this sidecar's service name (producer routes); may be NULL */
	routes routes; /* which cluster each group, producer and topic uses */
	config_listen_tls *listen_tls; /* client-facing TLS; NULL = plaintext */
	struct mirror_config *mirror;  /* "mirror" (MM2 offset translation); NULL if absent */
	int cutover_quiet_ms;          /* a flip's freeze ends after this long without a commit */
	int cutover_freeze_max_ms;     /* ... or at the latest after this long */
	char *cutover_control_topic;   /* compacted topic the sidecars coordinate flips on */
	int cutover_control_cluster;   /* the cluster that holds it (CLUSTER_LEGACY default) */
	char *cutover_instance_id; /* this sidecar's name there (POD_NAME, else the host name) */
	int cutover_heartbeat_ms;  /* how often this sidecar's records are written again */
} config;

/* Parses JSON text. On error returns NULL and writes "field: what is wrong". */
config *config_parse(const char *json, char *err, size_t errlen);
config *config_load(const char *path, char *err, size_t errlen);
void config_free(config *c);

#endif
