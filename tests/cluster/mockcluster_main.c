/*
 * mockcluster: two independent librdkafka mock Kafka clusters for tests.
 *
 * turnout sits between clients and two clusters ("legacy", the one being
 * migrated away from, and "target"). The integration tests need both, on
 * free ports, controllable while clients are connected. This program starts
 * them, prints where they listen, then takes control commands on stdin:
 *
 *   stdout:  VERSION librdkafka <v>
 *            BOOTSTRAP legacy 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3
 *            BROKER legacy 1 127.0.0.1:p1          (one per broker)
 *            ... same for target ...
 *            READY
 *   stdin:   one command per line (see mockcluster_ctl.c), each answered by
 *            one stdout line "OK ..." or "ERR <reason>".
 *
 * Life time: the process runs until SIGTERM/SIGINT, the "quit" command, or
 * end of file on stdin, so a test harness that dies takes the clusters with
 * it. With --daemon, end of file on stdin is ignored and only a signal or
 * "quit" stops it. Every clean stop exits 0 after destroying the clusters.
 *
 * Two things are adjusted after the mock starts, both explained where they
 * are done: the brokers' listen backlog is raised (mockcluster_backlog.c),
 * and protocol versions the mock advertises but does not implement are
 * withdrawn (cluster_fix_quirks(); --raw-mock skips that).
 *
 * Signals are blocked before librdkafka starts its threads and read from a
 * signalfd in the same poll() as stdin, so shutdown always runs on the main
 * thread, outside any signal handler.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mockcluster_cluster.h"
#include "mockcluster_ctl.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAIN_MAX_TOPICS 64
#define MAIN_LINE_MAX   1024
#define MAIN_REPLY_MAX  2048

/* A topic requested on the command line. */
struct main_topic {
	const char *spec; /* NAME:PARTITIONS[:RF], as given */
	int cluster_mask; /* bit 0: legacy, bit 1: target */
};

/* Command line options. */
struct main_opts {
	int broker_cnt;
	int daemon;   /* ignore EOF on stdin */
	int raw_mock; /* skip cluster_fix_quirks() */
	struct main_topic topics[MAIN_MAX_TOPICS];
	int topic_cnt;
};

/* Partial stdin line carried between reads. */
struct main_input {
	char buf[MAIN_LINE_MAX];
	size_t len;
	int overflow; /* current line is too long; drop it up to '\n' */
};

static const char *const main_cluster_names[] = {"legacy", "target"};
#define MAIN_CLUSTER_CNT 2

static void main_usage(FILE *f)
{
	fprintf(f, "usage: mockcluster [--brokers N] [--topic NAME:PARTS[:RF]]...\n"
	           "                   [--topic-legacy SPEC]... [--topic-target SPEC]...\n"
	           "                   [--daemon] [--raw-mock]\n"
	           "Starts mock clusters 'legacy' and 'target', prints BOOTSTRAP, BROKER\n"
	           "and READY lines, then reads commands on stdin (type 'help').\n"
	           "Exits on SIGTERM/SIGINT, 'quit', or stdin EOF (unless --daemon).\n"
	           "--raw-mock keeps librdkafka's mock exactly as shipped (no\n"
	           "work-arounds for its protocol bugs).\n");
}

static int main_parse_opts(int argc, char **argv, struct main_opts *o)
{
	static const struct option longopts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"topic", required_argument, NULL, 't'},
	    {"topic-legacy", required_argument, NULL, 'L'},
	    {"topic-target", required_argument, NULL, 'T'},
	    {"daemon", no_argument, NULL, 'd'},
	    {"raw-mock", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->broker_cnt = 3;
	while ((opt = getopt_long(argc, argv, "b:t:dh", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'b':
			o->broker_cnt = (int)strtol(optarg, &end, 10);
			if (*end || o->broker_cnt < 1 || o->broker_cnt > CLUSTER_MAX_BROKERS) {
				fprintf(stderr,
				        "mockcluster: --brokers must be "
				        "1..%d\n",
				        CLUSTER_MAX_BROKERS);
				return -1;
			}
			break;
		case 't':
		case 'L':
		case 'T':
			if (o->topic_cnt == MAIN_MAX_TOPICS) {
				fprintf(stderr, "mockcluster: too many topics\n");
				return -1;
			}
			o->topics[o->topic_cnt].spec = optarg;
			o->topics[o->topic_cnt].cluster_mask = opt == 't' ? 3 : opt == 'L' ? 1 : 2;
			o->topic_cnt++;
			break;
		case 'd':
			o->daemon = 1;
			break;
		case 'r':
			o->raw_mock = 1;
			break;
		case 'h':
			main_usage(stdout);
			exit(0);
		default:
			main_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return -1;
	}
	return 0;
}

/* Create the topic of one NAME:PARTITIONS[:RF] spec on cluster c. */
static int main_create_topic(struct cluster *c, const char *spec)
{
	char name[256];
	const char *colon = strchr(spec, ':');
	char *end;
	long parts, rf = 0;
	rd_kafka_resp_err_t err;

	if (!colon || (size_t)(colon - spec) >= sizeof(name))
		goto bad;
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	if (!cluster_topic_name_ok(name))
		goto bad;
	parts = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || parts < 1 || parts > 10000)
		goto bad;
	if (*end == ':') {
		const char *rfs = end + 1;

		rf = strtol(rfs, &end, 10);
		if (end == rfs || rf < 1 || rf > c->broker_cnt)
			goto bad;
	}
	if (*end)
		goto bad;

	err = cluster_topic_create(c, name, (int)parts, (int)rf);
	if (err) {
		fprintf(stderr, "mockcluster: %s: creating topic %s: %s\n", c->name, name,
		        rd_kafka_err2str(err));
		return -1;
	}
	return 0;

bad:
	fprintf(stderr,
	        "mockcluster: bad topic spec '%s' (want NAME:PARTS[:RF], "
	        "RF <= brokers)\n",
	        spec);
	return -1;
}

static int main_announce(const struct cluster *clusters, size_t cnt)
{
	if (printf("VERSION librdkafka %s\n", rd_kafka_version_str()) < 0)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		const struct cluster *c = &clusters[i];

		if (printf("BOOTSTRAP %s %s\n", c->name, c->bootstraps) < 0)
			return -1;
		for (int b = 1; b <= c->broker_cnt; b++)
			if (printf("BROKER %s %d 127.0.0.1:%d\n", c->name, b,
			           cluster_broker_port(c, b)) < 0)
				return -1;
	}
	if (printf("READY\n") < 0 || fflush(stdout) != 0)
		return -1;
	return 0;
}

/* Run one complete input line; returns CTL_QUIT, or -1 if stdout is gone. */
static int main_run_line(const struct ctl_set *set, const char *line)
{
	char reply[MAIN_REPLY_MAX];
	enum ctl_next next;

	next = ctl_exec(set, line, reply, sizeof(reply));
	if (printf("%s\n", reply) < 0 || fflush(stdout) != 0)
		return -1;
	return (int)next;
}

/* Consume newly read bytes: run every complete line. The reply to a line
 * that did not fit in the buffer is an ERR, sent once its end arrives. */
static int main_feed(const struct ctl_set *set, struct main_input *in, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int r;

		if (data[i] != '\n') {
			if (in->len + 1 < sizeof(in->buf))
				in->buf[in->len++] = data[i];
			else
				in->overflow = 1;
			continue;
		}
		in->buf[in->len] = '\0';
		if (in->overflow) {
			if (printf("ERR line too long\n") < 0 || fflush(stdout) != 0)
				return -1;
			r = CTL_CONTINUE;
		} else if (strspn(in->buf, " \t\r") == in->len) {
			r = CTL_CONTINUE; /* blank lines are not commands */
		} else {
			r = main_run_line(set, in->buf);
		}
		in->len = 0;
		in->overflow = 0;
		if (r != CTL_CONTINUE)
			return r;
	}
	return CTL_CONTINUE;
}

/* Serve stdin and signals until it is time to stop. Returns 0 on a clean
 * stop, -1 on an I/O error. */
static int main_loop(const struct ctl_set *set, int sigfd, int daemon)
{
	struct main_input in = {.len = 0, .overflow = 0};
	int stdin_open = 1;

	for (;;) {
		struct pollfd pfd[2] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		char data[512];
		ssize_t n;
		int r;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("mockcluster: poll");
			return -1;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				fprintf(stderr, "mockcluster: signal %u, stopping\n", si.ssi_signo);
			return 0;
		}
		if (!pfd[1].revents)
			continue;

		n = read(STDIN_FILENO, data, sizeof(data));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			perror("mockcluster: read stdin");
			return -1;
		}
		if (n == 0) {
			/* A last line without '\n' still counts. */
			if (in.len > 0 || in.overflow) {
				r = main_feed(set, &in, "\n", 1);
				if (r < 0)
					return -1;
				if (r == CTL_QUIT)
					return 0;
			}
			if (!daemon)
				return 0;
			stdin_open = 0;
			continue;
		}
		r = main_feed(set, &in, data, (size_t)n);
		if (r < 0)
			return -1;
		if (r == CTL_QUIT)
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct cluster clusters[MAIN_CLUSTER_CNT];
	struct ctl_set set = {.clusters = clusters, .cluster_cnt = 0};
	struct main_opts opts;
	char err[512];
	sigset_t sigs;
	int sigfd = -1;
	int raised;
	int rc = 1;

	if (main_parse_opts(argc, argv, &opts) != 0)
		return 2;
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return 1;

	/* Block before librdkafka creates threads so they inherit the mask
	 * and the signals stay pending for the signalfd. A vanished reader
	 * of stdout must show up as a write error, not kill us. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("mockcluster: signals");
		goto fail;
	}
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sigfd < 0) {
		perror("mockcluster: signalfd");
		goto fail;
	}

	for (int i = 0; i < MAIN_CLUSTER_CNT; i++) {
		if (cluster_start(&clusters[i], main_cluster_names[i], opts.broker_cnt, err,
		                  sizeof(err)) != 0) {
			fprintf(stderr, "mockcluster: %s: %s\n", main_cluster_names[i], err);
			goto fail;
		}
		set.cluster_cnt++;
		if (!opts.raw_mock) {
			const char *fixed = cluster_fix_quirks(&clusters[i]);

			if (!fixed) {
				fprintf(stderr,
				        "mockcluster: %s: mock work-around "
				        "failed\n",
				        clusters[i].name);
				goto fail;
			}
			if (*fixed)
				fprintf(stderr, "mockcluster: %s: %s\n", clusters[i].name, fixed);
		}
	}

	for (int t = 0; t < opts.topic_cnt; t++)
		for (int i = 0; i < MAIN_CLUSTER_CNT; i++)
			if ((opts.topics[t].cluster_mask & (1 << i)) &&
			    main_create_topic(&clusters[i], opts.topics[t].spec))
				goto fail;

	raised = ctl_raise_backlog(&set);
	if (raised != opts.broker_cnt * MAIN_CLUSTER_CNT) {
		fprintf(stderr,
		        "mockcluster: raised listen backlog on %d of %d "
		        "broker sockets%s%s\n",
		        raised, opts.broker_cnt * MAIN_CLUSTER_CNT, raised < 0 ? ": " : "",
		        raised < 0 ? strerror(errno) : "");
		goto fail;
	}
	fprintf(stderr,
	        "mockcluster: raised listen backlog to %d on %d broker "
	        "sockets\n",
	        SOMAXCONN, raised);

	if (main_announce(clusters, set.cluster_cnt) != 0) {
		perror("mockcluster: stdout");
		goto fail;
	}
	if (main_loop(&set, sigfd, opts.daemon) == 0)
		rc = 0;

fail:
	while (set.cluster_cnt > 0)
		cluster_stop(&clusters[--set.cluster_cnt]);
	if (rd_kafka_wait_destroyed(5000) != 0) {
		fprintf(stderr, "mockcluster: librdkafka handles not destroyed\n");
		rc = 1;
	}
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}
