/*
 * `turnout run --config FILE`: loads the configuration and runs the proxy's
 * event loop until SIGTERM/SIGINT; proxy.c owns the life cycle.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "proxy/commands.h"
#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/reload.h"

static void run_usage(FILE *f)
{
	fprintf(f, "usage: turnout run --config FILE\n");
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
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
	if (!path) {
		run_usage(stderr);
		return 2;
	}
	char err[512];
	config *cfg = config_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "turnout: config %s rejected: %s\n", path, err);
		return 1;
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
	if (proxy_init(&px, base, cfg) == 0 && reload_start(&px, path) == 0) {
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
