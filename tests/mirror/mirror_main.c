/*
 * mm2mirror: MirrorMaker 2's data path for tests (see mirror.h).
 *
 *   mm2mirror --legacy BS --target BS [--source-alias legacy] [--target-alias target]
 *             [--policy identity|default] [--separator .] [--syncs-location source|target]
 *             [--offset-lag-max 100] [--flush-interval-ms 0] [--checkpoint-interval-ms 0]
 *             [--drop-every N] [--filter-key K] [--pre-existing N] [--map FILE]
 *             [--topic T]... [--group G]...
 *
 * stdout: "READY <checkpoints topic> <offset-syncs topic>" once mirroring
 * runs, then one reply line per stdin command ("OK ..." / "ERR ..."):
 *   wait [ms]       mirror everything legacy holds now; all acknowledged
 *   flush           MM2's commit(): send the delayed offset-syncs
 *   checkpoint      one checkpoint round now
 *   group G | topic T | pause | resume | stats | quit
 * Intervals of 0 mean "only when told", which keeps tests deterministic.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "tests/mirror/mirror.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mm2mirror --legacy BOOTSTRAP --target BOOTSTRAP [options] (see "
	           "tests/mirror/mirror_main.c)\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int add_group(mirror *m, const char *name)
{
	if (m->ngroups == MIRROR_MAX_GROUPS || strlen(name) >= sizeof(m->groups[0].name))
		return -1;
	mirror_group *g = &m->groups[m->ngroups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return 0;
}

static void stats(mirror *m, char *buf, size_t len)
{
	int64_t mirrored = 0, dropped = 0, delayed = 0;
	for (int ti = 0; ti < m->ntopics; ti++)
		for (int pi = 0; pi < m->topics[ti].nparts; pi++) {
			mirror_part *p = &m->topics[ti].parts[pi];
			mirrored += p->mirrored;
			dropped += p->dropped;
			delayed += p->has_delayed;
		}
	snprintf(buf, len,
	         "mirrored=%lld dropped=%lld syncs=%lld delayed=%lld checkpoints=%lld errors=%lld",
	         (long long)mirrored, (long long)dropped, (long long)m->syncs_acked,
	         (long long)delayed, (long long)m->checkpoints_sent,
	         (long long)(m->data_errors + m->internal_errors));
}

/* Serves until nothing is queued on the internal producers. */
static int drain_internal(mirror *m, int64_t deadline)
{
	while (rd_kafka_outq_len(m->internal[0]) || rd_kafka_outq_len(m->internal[1])) {
		if (mono_ms() > deadline)
			return -1;
		mirror_serve(m, 5);
	}
	return 0;
}

static void command(mirror *m, char *line)
{
	char *save = NULL, *cmd = strtok_r(line, " \t\r", &save),
	     *arg = strtok_r(NULL, " \t\r", &save);
	char buf[512], err[512] = "";
	if (!cmd)
		return;
	if (!strcmp(cmd, "wait")) {
		long ms = 30000;
		if (arg && parse_long(arg, 1, 600000, &ms)) {
			printf("ERR usage: wait [ms]\n");
			return;
		}
		int64_t ends[MIRROR_MAX_TOPICS * MIRROR_MAX_PARTS];
		int k = 0;
		for (int ti = 0; ti < m->ntopics; ti++)
			for (int pi = 0; pi < m->topics[ti].nparts; pi++) {
				int64_t lo, hi;
				if (rd_kafka_query_watermark_offsets(
				        m->consumer, m->topics[ti].name, pi, &lo, &hi, 10000)) {
					printf("ERR watermarks of %s-%d\n", m->topics[ti].name, pi);
					return;
				}
				ends[k++] = hi;
			}
		int64_t deadline = mono_ms() + ms;
		while (!mirror_caught_up(m, ends)) {
			if (mono_ms() > deadline) {
				stats(m, buf, sizeof(buf));
				printf("ERR not caught up after %ld ms: %s\n", ms, buf);
				return;
			}
			mirror_serve(m, 5);
		}
		if (m->map)
			fflush(m->map);
		stats(m, buf, sizeof(buf));
		printf("OK %s\n", buf);
	} else if (!strcmp(cmd, "flush")) {
		mirror_flush_syncs(m);
		if (drain_internal(m, mono_ms() + 15000)) {
			printf("ERR offset-syncs not acknowledged\n");
			return;
		}
		if (m->map)
			fflush(m->map);
		stats(m, buf, sizeof(buf));
		printf("OK %s\n", buf);
	} else if (!strcmp(cmd, "checkpoint")) {
		int n = mirror_checkpoint_round(m, err, sizeof(err));
		if (n < 0 || drain_internal(m, mono_ms() + 15000)) {
			printf("ERR checkpoint round: %s\n", err[0] ? err : "not acknowledged");
			return;
		}
		if (m->map)
			fflush(m->map);
		printf("OK checkpoints=%d\n", n);
	} else if (!strcmp(cmd, "group") && arg) {
		printf(add_group(m, arg) ? "ERR too many groups\n" : "OK group %s\n", arg);
	} else if (!strcmp(cmd, "topic") && arg) {
		if (mirror_add_topic(m, arg, err, sizeof(err)))
			printf("ERR %s\n", err);
		else
			printf("OK topic %s\n", arg);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		m->paused = !strcmp(cmd, "pause");
		printf("OK %s\n", cmd);
	} else if (!strcmp(cmd, "stats")) {
		stats(m, buf, sizeof(buf));
		printf("OK %s\n", buf);
	} else {
		printf("ERR unknown command or missing argument: %s\n", cmd);
	}
}

int main(int argc, char **argv)
{
	static mirror m; /* large (per-partition histories); not on the stack */
	static const struct option longopts[] = {
	    {"legacy", required_argument, NULL, 'l'},
	    {"target", required_argument, NULL, 't'},
	    {"source-alias", required_argument, NULL, 's'},
	    {"target-alias", required_argument, NULL, 'a'},
	    {"policy", required_argument, NULL, 'p'},
	    {"separator", required_argument, NULL, 'S'},
	    {"syncs-location", required_argument, NULL, 'L'},
	    {"offset-lag-max", required_argument, NULL, 'o'},
	    {"flush-interval-ms", required_argument, NULL, 'f'},
	    {"checkpoint-interval-ms", required_argument, NULL, 'c'},
	    {"drop-every", required_argument, NULL, 'd'},
	    {"filter-key", required_argument, NULL, 'k'},
	    {"pre-existing", required_argument, NULL, 'e'},
	    {"map", required_argument, NULL, 'm'},
	    {"topic", required_argument, NULL, 'T'},
	    {"group", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *topics[MIRROR_MAX_TOPICS];
	int ntopics = 0, opt;
	char err[512];
	m.o = (mirror_opts){.source_alias = "legacy",
	                    .target_alias = "target",
	                    .separator = ".",
	                    .offset_lag_max = 100};
	int li = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		int bad = 0;
		switch (opt) {
		case 'l':
			m.o.legacy = optarg;
			break;
		case 't':
			m.o.target = optarg;
			break;
		case 's':
			m.o.source_alias = optarg;
			break;
		case 'a':
			m.o.target_alias = optarg;
			break;
		case 'S':
			m.o.separator = optarg;
			break;
		case 'k':
			m.o.filter_key = optarg;
			break;
		case 'm':
			m.o.map_path = optarg;
			break;
		case 'p':
			bad = strcmp(optarg, "identity") && strcmp(optarg, "default");
			m.o.default_policy = !strcmp(optarg, "default");
			break;
		case 'L':
			bad = strcmp(optarg, "source") && strcmp(optarg, "target");
			m.o.syncs_on_target = !strcmp(optarg, "target");
			break;
		case 'o':
			bad = parse_long(optarg, 1, 1L << 40, &m.o.offset_lag_max);
			break;
		case 'f':
			bad = parse_long(optarg, 0, 3600000, &m.o.flush_interval_ms);
			break;
		case 'c':
			bad = parse_long(optarg, 0, 3600000, &m.o.checkpoint_interval_ms);
			break;
		case 'd':
			bad = parse_long(optarg, 0, 1000000, &m.o.drop_every);
			break;
		case 'e':
			bad = parse_long(optarg, 0, 100000, &m.o.pre_existing);
			break;
		case 'T':
			bad = ntopics == MIRROR_MAX_TOPICS;
			if (!bad)
				topics[ntopics++] = optarg;
			break;
		case 'g':
			bad = add_group(&m, optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "mm2mirror: bad value for --%s: %s\n", longopts[li].name,
			        optarg ? optarg : "");
			usage(stderr);
			return 2;
		}
	}
	if (!m.o.legacy || !m.o.target || optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	int rc = 1;
	if (m.o.map_path && !(m.map = fopen(m.o.map_path, "w"))) {
		fprintf(stderr, "mm2mirror: cannot write %s\n", m.o.map_path);
		goto out;
	}
	if (sigfd < 0 || mirror_copy_start(&m, err, sizeof(err))) {
		fprintf(stderr, "mm2mirror: start: %s\n", err);
		goto out;
	}
	for (int i = 0; i < ntopics; i++)
		if (mirror_add_topic(&m, topics[i], err, sizeof(err))) {
			fprintf(stderr, "mm2mirror: %s\n", err);
			goto out;
		}
	printf("READY %s %s\n", m.checkpoints_topic, m.syncs_topic);

	char line[1024];
	size_t len = 0;
	int64_t next_flush = m.o.flush_interval_ms ? mono_ms() + m.o.flush_interval_ms : 0;
	int64_t next_cp = m.o.checkpoint_interval_ms ? mono_ms() + m.o.checkpoint_interval_ms : 0;
	int64_t next_map_flush = mono_ms() + 100; /* the tests read the map while we run */
	for (;;) {
		struct pollfd pfd[2] = {{.fd = sigfd, .events = POLLIN},
		                        {.fd = STDIN_FILENO, .events = POLLIN}};
		if (poll(pfd, 2, 0) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			rc = 0;
			break;
		}
		if (pfd[1].revents) {
			char c;
			ssize_t n = read(STDIN_FILENO, &c, 1);
			if (n <= 0) {
				rc = 0; /* stdin closed: the test is gone */
				break;
			}
			if (c == '\n') {
				line[len] = '\0';
				len = 0;
				if (!strcmp(line, "quit")) {
					printf("OK bye\n");
					rc = 0;
					break;
				}
				command(&m, line);
			} else if (len + 1 < sizeof(line)) {
				line[len++] = c;
			}
			continue;
		}
		mirror_serve(&m, 10);
		int64_t now = mono_ms();
		if (next_flush && now >= next_flush) {
			mirror_flush_syncs(&m);
			next_flush = now + m.o.flush_interval_ms;
		}
		if (next_cp && now >= next_cp) {
			if (mirror_checkpoint_round(&m, err, sizeof(err)) < 0)
				fprintf(stderr, "mm2mirror: checkpoint round: %s\n", err);
			next_cp = mono_ms() + m.o.checkpoint_interval_ms;
		}
		if (m.map && now >= next_map_flush) {
			fflush(m.map);
			next_map_flush = now + 100;
		}
	}
out:
	if (m.data)
		rd_kafka_flush(m.data, 5000);
	for (int i = 0; i < 2; i++)
		if (m.internal[i])
			rd_kafka_flush(m.internal[i], 5000);
	for (int ti = 0; ti < m.ntopics; ti++) {
		for (int p = 0; p < m.topics[ti].nparts; p++)
			rd_kafka_consume_stop(m.topics[ti].rkt, p);
		rd_kafka_topic_destroy(m.topics[ti].rkt);
	}
	if (m.cq)
		rd_kafka_queue_destroy(m.cq);
	if (m.admin_q)
		rd_kafka_queue_destroy(m.admin_q);
	rd_kafka_t *handles[] = {m.consumer, m.data, m.internal[0], m.internal[1]};
	for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++)
		if (handles[i])
			rd_kafka_destroy(handles[i]);
	if (m.map)
		fclose(m.map);
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}
