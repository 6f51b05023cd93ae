/*
 * turnout: a Kafka wire-protocol sidecar proxy. This file only picks the
 * subcommand; each one lives in its own file (see commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "proxy/commands.h"

typedef struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} command;

/* One line per subcommand; keep sorted by name except `run` first. */
static const command commands[] = {
    {"run", cmd_run, "run the proxy (turnout run --config FILE)"},
    {"check", cmd_check, "dry run: clusters, routes, groups, flips and conflicts (check --help)"},
    {"healthcheck", cmd_healthcheck, "exit 0 if turnout's admin server answers /readyz"},
    {"inject", cmd_inject, "preview the sidecar injection of a manifest (inject -f pod.yaml)"},
    {"inject-webhook", cmd_inject_webhook, "serve the sidecar-injecting admission webhook"},
    {"offsets", cmd_offsets, "preview a group's offset translation (turnout offsets --help)"},
    {"reload", cmd_reload, "make a running turnout reload its configuration (POST /reload)"},
    {"status", cmd_status, "a running turnout's clusters, routes and groups (--json, --watch)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: turnout COMMAND [ARGS]   (turnout --config FILE is turnout run)\n"
	           "       turnout --version | --help\n\n"
	           "Kafka sidecar proxy: applications bootstrap to turnout's listener; turnout\n"
	           "routes their traffic to the legacy or the target cluster.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("turnout %s\n", TURNOUT_VERSION);
		return 0;
	}
	/* `turnout --config FILE`: the proxy, as before subcommands existed. */
	if (name[0] == '-')
		return cmd_run(argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "turnout: unknown command '%s'\n", name);
	usage(stderr);
	return 2;
}
