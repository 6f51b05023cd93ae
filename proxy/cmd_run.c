/*
 * `turnout run --config FILE`: loads the configuration and runs the proxy's
 * event loop until SIGTERM/SIGINT; proxy.c owns the life cycle. The
 * configuration may also come from an environment variable and have its
 * cluster bootstraps overridden (config_source.c).
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "proxy/commands.h"
#include "proxy/config_source.h"
#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/reload.h"
#include "proxy/seccheck.h"

static void run_usage(FILE *f)
{
	fprintf(f,
	        "usage: turnout run --config FILE | --config-env VAR\n"
	        "                   [--legacy-bootstrap HOST:PORT,...] [--target-bootstrap ...]\n"
	        "                   [--check [--no-secrets]]\n"
	        "--check validates the configuration and the secrets it names (TLS files,\n"
	        "passwords, AWS credentials) and exits; --no-secrets skips the secrets.\n");
}

int cmd_run(int argc, char **argv)
{
	config_source src = {0};
	int check_only = 0, no_secrets = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check_only = 1;
			continue;
		}
		if (strcmp(argv[i], "--no-secrets") == 0) {
			no_secrets = 1;
			continue;
		}
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			src.path = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--config-env") == 0 && i + 1 < argc) {
			src.env = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--legacy-bootstrap") == 0 && i + 1 < argc) {
			src.bootstrap[CLUSTER_LEGACY] = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--target-bootstrap") == 0 && i + 1 < argc) {
			src.bootstrap[CLUSTER_TARGET] = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			run_usage(stdout);
			return 0;
		}
		fprintf(stderr, "turnout run: unknown argument '%s'\n", argv[i]);
		run_usage(stderr);
		return 2;
	}
	if (!src.path == !src.env || (no_secrets && !check_only)) {
		run_usage(stderr);
		return 2;
	}
	const char *path = src.path ? src.path : src.env;
	char err[512];
	config *cfg = config_source_load(&src, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "turnout: config %s rejected: %s\n", path, err);
		return 1;
	}
	if (check_only) {
		char problems[4096];
		int checked = 0;
		int n = no_secrets ? 0 : seccheck_config(cfg, problems, sizeof(problems), &checked);
		config_free(cfg);
		if (n) {
			fprintf(stderr, "turnout: config %s: %d secret problem(s):\n%s", path, n,
			        problems);
			return 1;
		}
		if (no_secrets)
			printf("turnout: config %s ok (secrets not checked)\n", path);
		else
			printf("turnout: config %s ok, %d secret(s) checked\n", path, checked);
		return 0;
	}
	log_threshold = cfg->log_level;
	struct event_base *base = event_base_new();
	if (!base) {
		log_error("event=init_failed reason=\"no event base\"");
		config_free(cfg);
		return 1;
	}
	proxy px;
	int rc = 1;
	if (proxy_init(&px, base, cfg) == 0 && reload_start(&px, &src) == 0) {
		log_info("event=starting version=%s config=%s", TURNOUT_VERSION, path);
		event_base_dispatch(base);
		rc = 0;
	}
	cfg = px.cfg; /* reloads replace the snapshot */
	proxy_shutdown(&px);
	event_base_free(base);
	config_free(cfg);
	log_info("event=stopped");
	return rc;
}
