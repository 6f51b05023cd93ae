/*
 * Where the proxy's configuration comes from: a file (--config) or an
 * environment variable (--config-env, for ECS where the route config comes
 * from the task definition or SSM), with cluster bootstraps given on the
 * command line (--legacy-bootstrap / --target-bootstrap, which the injected
 * Kubernetes sidecar fills from the app's own environment) taking
 * precedence over the text's clusters.<name>.bootstrap.
 */
#ifndef TURNOUT_PROXY_CONFIG_SOURCE_H
#define TURNOUT_PROXY_CONFIG_SOURCE_H

#include <stddef.h>

#include "proxy/config.h"

typedef struct config_source {
	const char *path;                     /* --config FILE, or NULL */
	const char *env;                      /* --config-env VAR, or NULL */
	const char *bootstrap[CLUSTER_COUNT]; /* overrides, NULL keeps the text's */
} config_source;

/* Reads, overrides, then validates with config_parse. NULL with err set. */
config *config_source_load(const config_source *src, char *err, size_t errlen);

/* Deep copy (dst owns its strings; free with config_source_free). 0 or -1. */
int config_source_copy(config_source *dst, const config_source *src);
void config_source_free(config_source *src);

/* Returns text with clusters.<name>.bootstrap set from src (objects created
 * as needed); malloc'd, NULL when out of memory. Text that is not a JSON
 * object is returned unchanged for config_parse to reject with its reason. */
char *config_source_apply(const char *text, const config_source *src);

#endif
