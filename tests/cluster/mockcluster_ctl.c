/*
 * Control commands for the running mock clusters.
 *
 * A command is one line of whitespace-separated words; the first word picks
 * a handler from ctl_commands[], which checks its own arguments and calls the
 * rd_kafka_mock_*() function. Every command answers exactly one line, "OK ..."
 * or "ERR <reason>", so a test can drive the process over a pipe in lock
 * step. Arguments are validated here, before librdkafka sees them, because
 * the mock trusts its caller (a negative partition, for instance, would index
 * outside its partition array).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mockcluster_ctl.h"
#include "mockcluster_backlog.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_MAX_WORDS      8
#define CTL_LINE_MAX       1024
#define CTL_MAX_PARTITIONS 10000

/* A parsed command line; words point into buf. */
struct ctl_args {
	char buf[CTL_LINE_MAX]; /* copy of the line, split in place */
	char *w[CTL_MAX_WORDS]; /* w[0] is the command name */
	int n;                  /* number of words */
};

struct ctl_command {
	const char *name;
	int min_words; /* including the command name */
	int max_words;
	const char *usage;
	enum ctl_next (*run)(const struct ctl_set *set, struct ctl_args *a, char *reply,
	                     size_t replylen);
};

static void ctl_reply(char *reply, size_t replylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ctl_reply(char *reply, size_t replylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply, replylen, fmt, ap);
	va_end(ap);
}

/* Strict integer parse: the whole word, within [min, max]. */
static int ctl_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static struct cluster *ctl_cluster(const struct ctl_set *set, const char *name)
{
	for (size_t i = 0; i < set->cluster_cnt; i++)
		if (!strcmp(set->clusters[i].name, name))
			return &set->clusters[i];
	return NULL;
}

/* Resolve a broker word: 1..N, or "all" (-1, the mock's "every broker")
 * when allow_all is set. */
static int ctl_broker(const struct cluster *c, const char *s, int allow_all, int32_t *id)
{
	long v;

	if (allow_all && !strcmp(s, "all")) {
		*id = -1;
		return 0;
	}
	if (ctl_int(s, 1, c->broker_cnt, &v) != 0)
		return -1;
	*id = (int32_t)v;
	return 0;
}

/* Common prologue: cluster in w[1], broker in w[bi]. Writes ERR on failure. */
static struct cluster *ctl_cluster_broker(const struct ctl_set *set, struct ctl_args *a, int bi,
                                          int allow_all, int32_t *id, char *reply, size_t replylen)
{
	struct cluster *c = ctl_cluster(set, a->w[1]);

	if (!c) {
		ctl_reply(reply, replylen, "ERR unknown cluster '%.64s'", a->w[1]);
		return NULL;
	}
	if (ctl_broker(c, a->w[bi], allow_all, id) != 0) {
		ctl_reply(reply, replylen, "ERR broker must be 1..%d%s", c->broker_cnt,
		          allow_all ? " or all" : "");
		return NULL;
	}
	return c;
}

static enum ctl_next ctl_mock_result(rd_kafka_resp_err_t err, const char *line, char *reply,
                                     size_t replylen)
{
	if (err)
		ctl_reply(reply, replylen, "ERR %s", rd_kafka_err2str(err));
	else
		ctl_reply(reply, replylen, "OK %s", line);
	return CTL_CONTINUE;
}

static enum ctl_next ctl_updown(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                size_t replylen)
{
	char line[64];
	struct cluster *c;
	rd_kafka_resp_err_t err;
	int32_t id;
	int up = !strcmp(a->w[0], "up");

	c = ctl_cluster_broker(set, a, 2, 1, &id, reply, replylen);
	if (!c)
		return CTL_CONTINUE;
	if (up)
		err = rd_kafka_mock_broker_set_up(c->mock, id);
	else
		err = rd_kafka_mock_broker_set_down(c->mock, id);
	snprintf(line, sizeof(line), "%s %s %s", a->w[0], c->name, a->w[2]);
	if (!err && up) {
		/* The mock re-listens with a backlog of 5 on the way up. */
		int raised = backlog_raise(c->ports, (size_t)c->broker_cnt);

		if (raised < 0)
			fprintf(stderr, "mockcluster: backlog raise failed: %s\n", strerror(errno));
		else
			fprintf(stderr,
			        "mockcluster: %s: raised listen backlog "
			        "on %d socket(s)\n",
			        c->name, raised);
	}
	return ctl_mock_result(err, line, reply, replylen);
}

static enum ctl_next ctl_leader(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                size_t replylen)
{
	char line[CTL_LINE_MAX];
	struct cluster *c = ctl_cluster(set, a->w[1]);
	long part;
	int32_t id;

	if (!c) {
		ctl_reply(reply, replylen, "ERR unknown cluster '%.64s'", a->w[1]);
		return CTL_CONTINUE;
	}
	if (!cluster_topic_name_ok(a->w[2])) {
		ctl_reply(reply, replylen, "ERR invalid topic name");
		return CTL_CONTINUE;
	}
	if (ctl_int(a->w[3], 0, CTL_MAX_PARTITIONS - 1, &part) != 0) {
		ctl_reply(reply, replylen, "ERR partition must be 0..%d", CTL_MAX_PARTITIONS - 1);
		return CTL_CONTINUE;
	}
	/* -1 is the mock's "no leader" (LEADER_NOT_AVAILABLE to clients). */
	if (!strcmp(a->w[4], "-1") || !strcmp(a->w[4], "none"))
		id = -1;
	else if (ctl_broker(c, a->w[4], 0, &id) != 0) {
		ctl_reply(reply, replylen, "ERR broker must be 1..%d or none", c->broker_cnt);
		return CTL_CONTINUE;
	}
	snprintf(line, sizeof(line), "leader %s %s %ld %d", c->name, a->w[2], part, (int)id);
	return ctl_mock_result(
	    rd_kafka_mock_partition_set_leader(c->mock, a->w[2], (int32_t)part, id), line, reply,
	    replylen);
}

static enum ctl_next ctl_create(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                size_t replylen)
{
	char line[CTL_LINE_MAX];
	struct cluster *c = ctl_cluster(set, a->w[1]);
	long parts, rf = 0;

	if (!c) {
		ctl_reply(reply, replylen, "ERR unknown cluster '%.64s'", a->w[1]);
		return CTL_CONTINUE;
	}
	if (!cluster_topic_name_ok(a->w[2])) {
		ctl_reply(reply, replylen, "ERR invalid topic name");
		return CTL_CONTINUE;
	}
	if (ctl_int(a->w[3], 1, CTL_MAX_PARTITIONS, &parts) != 0) {
		ctl_reply(reply, replylen, "ERR partitions must be 1..%d", CTL_MAX_PARTITIONS);
		return CTL_CONTINUE;
	}
	if (a->n > 4 && ctl_int(a->w[4], 1, c->broker_cnt, &rf) != 0) {
		ctl_reply(reply, replylen, "ERR replication factor must be 1..%d", c->broker_cnt);
		return CTL_CONTINUE;
	}
	snprintf(line, sizeof(line), "create %s %s %ld", c->name, a->w[2], parts);
	return ctl_mock_result(cluster_topic_create(c, a->w[2], (int)parts, (int)rf), line, reply,
	                       replylen);
}

static enum ctl_next ctl_coordinator(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                     size_t replylen)
{
	char line[CTL_LINE_MAX];
	struct cluster *c;
	int32_t id;

	c = ctl_cluster_broker(set, a, 4, 0, &id, reply, replylen);
	if (!c)
		return CTL_CONTINUE;
	if (strcmp(a->w[2], "group") && strcmp(a->w[2], "transaction")) {
		ctl_reply(reply, replylen, "ERR type must be group or transaction");
		return CTL_CONTINUE;
	}
	snprintf(line, sizeof(line), "coordinator %s %s %s %d", c->name, a->w[2], a->w[3], (int)id);
	return ctl_mock_result(rd_kafka_mock_coordinator_set(c->mock, a->w[2], a->w[3], id), line,
	                       reply, replylen);
}

static enum ctl_next ctl_apiversion(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                    size_t replylen)
{
	char line[128];
	struct cluster *c = ctl_cluster(set, a->w[1]);
	long key, lo, hi;

	if (!c) {
		ctl_reply(reply, replylen, "ERR unknown cluster '%.64s'", a->w[1]);
		return CTL_CONTINUE;
	}
	if (ctl_int(a->w[2], 0, INT16_MAX, &key) != 0 ||
	    ctl_int(a->w[3], -1, INT16_MAX, &lo) != 0 ||
	    ctl_int(a->w[4], -1, INT16_MAX, &hi) != 0) {
		ctl_reply(reply, replylen,
		          "ERR usage: apiversion <cluster> "
		          "<api_key> <min> <max>");
		return CTL_CONTINUE;
	}
	snprintf(line, sizeof(line), "apiversion %s %ld %ld %ld", c->name, key, lo, hi);
	/* The mock rejects api keys it does not know (_INVALID_ARG). */
	return ctl_mock_result(
	    rd_kafka_mock_set_apiversion(c->mock, (int16_t)key, (int16_t)lo, (int16_t)hi), line,
	    reply, replylen);
}

static enum ctl_next ctl_rtt(const struct ctl_set *set, struct ctl_args *a, char *reply,
                             size_t replylen)
{
	char line[128];
	struct cluster *c;
	int32_t id;
	long ms;

	c = ctl_cluster_broker(set, a, 2, 1, &id, reply, replylen);
	if (!c)
		return CTL_CONTINUE;
	if (ctl_int(a->w[3], 0, 600000, &ms) != 0) {
		ctl_reply(reply, replylen, "ERR rtt must be 0..600000 ms");
		return CTL_CONTINUE;
	}
	snprintf(line, sizeof(line), "rtt %s %s %ld", c->name, a->w[2], ms);
	return ctl_mock_result(rd_kafka_mock_broker_set_rtt(c->mock, id, (int)ms), line, reply,
	                       replylen);
}

/* Broker life cycle and controller id: librdkafka 2.15's mock can remove a
 * broker (decommission), hide it from Metadata while it keeps serving
 * (hide), add a removed one back on a new port (add), and name the
 * controller that Metadata reports (the mock otherwise says 0, which is
 * not a broker). */
static enum ctl_next ctl_lifecycle(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                   size_t replylen)
{
#if RD_KAFKA_VERSION >= 0x020f0000
	char line[128];
	struct cluster *c;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	int32_t id;

	c = ctl_cluster_broker(set, a, 2, 0, &id, reply, replylen);
	if (!c)
		return CTL_CONTINUE;
	snprintf(line, sizeof(line), "%s %s %d", a->w[0], c->name, (int)id);
	if (!strcmp(a->w[0], "decommission")) {
		err = rd_kafka_mock_broker_decommission(c->mock, id);
	} else if (!strcmp(a->w[0], "hide")) {
		err = rd_kafka_mock_broker_remove_from_metadata(c->mock, id);
	} else if (!strcmp(a->w[0], "controller")) {
		rd_kafka_mock_set_controller_id(c->mock, id);
	} else {
		int known[2 * CLUSTER_MAX_BROKERS];
		size_t n = 0;
		int port;

		err = rd_kafka_mock_broker_add(c->mock, id);
		if (err)
			return ctl_mock_result(err, line, reply, replylen);
		/* The mock does not say where the new broker listens: it is
		 * the one listening socket that belongs to no known broker. */
		for (size_t i = 0; i < set->cluster_cnt; i++)
			for (int b = 0; b < set->clusters[i].broker_cnt; b++)
				if (&set->clusters[i] != c || b != id - 1)
					known[n++] = set->clusters[i].ports[b];
		port = backlog_find_new(known, n);
		if (port < 0) {
			ctl_reply(reply, replylen, "ERR broker added but its port was not found");
			return CTL_CONTINUE;
		}
		c->ports[id - 1] = port;
		backlog_raise(&port, 1);
		snprintf(line, sizeof(line), "add %s %d 127.0.0.1:%d", c->name, (int)id, port);
	}
	return ctl_mock_result(err, line, reply, replylen);
#else
	(void)set;
	ctl_reply(reply, replylen, "ERR %s needs librdkafka 2.15 or later (this is %s)", a->w[0],
	          rd_kafka_version_str());
	return CTL_CONTINUE;
#endif
}

/* Clients are told host:port for this broker instead of its own listener:
 * lets a TLS/SASL test front (tests/peer/secfront.py) sit before each broker.
 * The broker keeps listening where it did. Modern flavor only: Debian's
 * librdkafka 2.0.2 has no rd_kafka_mock_broker_set_host_port. */
static enum ctl_next ctl_advertise(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                   size_t replylen)
{
	char line[CTL_LINE_MAX];
	struct cluster *c;
	int32_t id;
	long port;

	c = ctl_cluster_broker(set, a, 2, 0, &id, reply, replylen);
	if (!c)
		return CTL_CONTINUE;
	if (strlen(a->w[3]) > 100 ||
	    strspn(a->w[3], "abcdefghijklmnopqrstuvwxyz"
	                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(a->w[3])) {
		ctl_reply(reply, replylen, "ERR host must be a host name or IPv4 address");
		return CTL_CONTINUE;
	}
	if (ctl_int(a->w[4], 1, 65535, &port) != 0) {
		ctl_reply(reply, replylen, "ERR port must be 1..65535");
		return CTL_CONTINUE;
	}
#if RD_KAFKA_VERSION >= 0x020f0000
	rd_kafka_mock_broker_set_host_port(c->mock, id, a->w[3], (int)port);
	snprintf(line, sizeof(line), "advertise %s %d %s %ld", c->name, (int)id, a->w[3], port);
	ctl_reply(reply, replylen, "OK %s", line);
#else
	(void)line;
	ctl_reply(reply, replylen, "ERR advertise needs librdkafka 2.15 or later (this is %s)",
	          rd_kafka_version_str());
#endif
	return CTL_CONTINUE;
}

static enum ctl_next ctl_bootstrap(const struct ctl_set *set, struct ctl_args *a, char *reply,
                                   size_t replylen)
{
	struct cluster *c = ctl_cluster(set, a->w[1]);

	if (!c)
		ctl_reply(reply, replylen, "ERR unknown cluster '%.64s'", a->w[1]);
	else
		ctl_reply(reply, replylen, "OK %s", c->bootstraps);
	return CTL_CONTINUE;
}

static enum ctl_next ctl_ping(const struct ctl_set *set, struct ctl_args *a, char *reply,
                              size_t replylen)
{
	(void)set;
	(void)a;
	ctl_reply(reply, replylen, "OK pong");
	return CTL_CONTINUE;
}

static enum ctl_next ctl_quit(const struct ctl_set *set, struct ctl_args *a, char *reply,
                              size_t replylen)
{
	(void)set;
	(void)a;
	ctl_reply(reply, replylen, "OK bye");
	return CTL_QUIT;
}

static enum ctl_next ctl_help(const struct ctl_set *set, struct ctl_args *a, char *reply,
                              size_t replylen);

static const struct ctl_command ctl_commands[] = {
    {"down", 3, 3, "down <cluster> <broker|all>", ctl_updown},
    {"up", 3, 3, "up <cluster> <broker|all>", ctl_updown},
    {"leader", 5, 5, "leader <cluster> <topic> <partition> <broker|none>", ctl_leader},
    {"create", 4, 5, "create <cluster> <topic> <partitions> [rf]", ctl_create},
    {"coordinator", 5, 5, "coordinator <cluster> group|transaction <key> <broker>",
     ctl_coordinator},
    {"apiversion", 5, 5, "apiversion <cluster> <api_key> <min> <max>", ctl_apiversion},
    {"rtt", 4, 4, "rtt <cluster> <broker|all> <ms>", ctl_rtt},
    {"decommission", 3, 3, "decommission <cluster> <broker> (2.15+)", ctl_lifecycle},
    {"hide", 3, 3, "hide <cluster> <broker> (2.15+: gone from Metadata, still serving)",
     ctl_lifecycle},
    {"add", 3, 3, "add <cluster> <broker> (2.15+: a decommissioned broker, new port)",
     ctl_lifecycle},
    {"controller", 3, 3, "controller <cluster> <broker> (2.15+)", ctl_lifecycle},
    {"advertise", 5, 5, "advertise <cluster> <broker> <host> <port>", ctl_advertise},
    {"bootstrap", 2, 2, "bootstrap <cluster>", ctl_bootstrap},
    {"ping", 1, 1, "ping", ctl_ping},
    {"help", 1, 1, "help", ctl_help},
    {"quit", 1, 1, "quit", ctl_quit},
};

#define CTL_COMMAND_CNT (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

static enum ctl_next ctl_help(const struct ctl_set *set, struct ctl_args *a, char *reply,
                              size_t replylen)
{
	size_t of;

	(void)set;
	(void)a;
	of = (size_t)snprintf(reply, replylen, "OK");
	for (size_t i = 0; i < CTL_COMMAND_CNT && of < replylen; i++)
		of += (size_t)snprintf(reply + of, replylen - of, "%s%s", i ? "; " : " ",
		                       ctl_commands[i].usage);
	return CTL_CONTINUE;
}

/* Split line into words. Returns -1 if it is too long or has too many. */
static int ctl_split(const char *line, struct ctl_args *a)
{
	char *save = NULL;
	char *tok;

	if (strlen(line) >= sizeof(a->buf))
		return -1;
	strcpy(a->buf, line);
	a->n = 0;
	for (tok = strtok_r(a->buf, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (a->n == CTL_MAX_WORDS)
			return -1;
		a->w[a->n++] = tok;
	}
	return 0;
}

enum ctl_next ctl_exec(const struct ctl_set *set, const char *line, char *reply, size_t replylen)
{
	struct ctl_args a;

	if (ctl_split(line, &a) != 0) {
		ctl_reply(reply, replylen, "ERR line too long or too many words");
		return CTL_CONTINUE;
	}
	if (a.n == 0) {
		ctl_reply(reply, replylen, "ERR empty command");
		return CTL_CONTINUE;
	}
	for (size_t i = 0; i < CTL_COMMAND_CNT; i++) {
		const struct ctl_command *cmd = &ctl_commands[i];

		if (strcmp(cmd->name, a.w[0]))
			continue;
		if (a.n < cmd->min_words || a.n > cmd->max_words) {
			ctl_reply(reply, replylen, "ERR usage: %s", cmd->usage);
			return CTL_CONTINUE;
		}
		return cmd->run(set, &a, reply, replylen);
	}
	ctl_reply(reply, replylen, "ERR unknown command '%.64s'", a.w[0]);
	return CTL_CONTINUE;
}

int ctl_raise_backlog(const struct ctl_set *set)
{
	int total = 0;

	for (size_t i = 0; i < set->cluster_cnt; i++) {
		const struct cluster *c = &set->clusters[i];
		int r = backlog_raise(c->ports, (size_t)c->broker_cnt);

		if (r < 0)
			return -1;
		total += r;
	}
	return total;
}
