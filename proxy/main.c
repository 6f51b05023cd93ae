/*
 * turnout: a Kafka wire-protocol sidecar proxy. This file only reads the
 * command line and the configuration and runs the event loop; proxy.c owns
 * the life cycle.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "proxy/log.h"
#include "proxy/proxy.h"

#define TURNOUT_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f, "usage: turnout --config FILE\n"
	           "       turnout --version | --help\n"
	           "\n"
	           "Kafka sidecar proxy: applications bootstrap to turnout's listener; turnout\n"
	           "routes their traffic to the legacy or the target cluster.\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("turnout %s\n", TURNOUT_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
			continue;
		}
		fprintf(stderr, "turnout: unknown argument '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if (!path) {
		usage(stderr);
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
	if (proxy_init(&px, base, cfg) == 0) {
		log_info("event=starting version=%s config=%s", TURNOUT_VERSION, path);
		event_base_dispatch(base);
		rc = 0;
	}
	proxy_shutdown(&px);
	event_base_free(base);
	config_free(cfg);
	log_info("event=stopped");
	return rc;
}
