/*
 * demo_client: the application of `make demo` — a producer that writes
 * numbered records at a steady rate and a consumer group member that reads
 * them, both plain librdkafka clients that only know turnout's address.
 *
 *   demo_client produce -b BOOTSTRAP -t TOPIC [-r RECORDS_PER_SECOND]
 *   demo_client consume -b BOOTSTRAP -t TOPIC -g GROUP
 *   either: -X property=value (librdkafka), repeatable
 *
 * Every event is one stdout line that starts with the CLOCK_MONOTONIC time
 * in milliseconds (the same clock as Python's time.monotonic() on Linux),
 * so demo/demo.py can tell when consumption paused:
 *
 *   <ms> ACK <n> <partition> <offset> <broker>    record n acknowledged
 *   <ms> FAIL <n> <reason>                         record n not acknowledged
 *   <ms> GOT <n> <partition> <offset> <broker>     record n consumed
 *   <ms> ASSIGN <partitions> / REVOKE <partitions> group membership
 *   <ms> ERROR <reason>                            client-level error event
 *   <ms> DONE ...                                  totals, then exit 0
 *
 * <broker> is the broker id the client talked to: a turnout virtual broker
 * id, which the viewer maps to its cluster with turnout's log. Record n has
 * key "k<n>" and value "<n>". SIGTERM or SIGINT stops the client cleanly:
 * the producer flushes what it has queued, the consumer leaves its group.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/clients/rdk.h"

enum { MAX_PROPS = 32, FLUSH_MS = 10000, CLOSE_MS = 5000 };

typedef struct opts {
	const char *op, *bootstrap, *topic, *group;
	const char *props[MAX_PROPS]; /* -X key=value, applied last */
	int nprops;
	int rate; /* records per second (produce) */
} opts;

typedef struct counts {
	int64_t sent, acked, failed, got;
} counts;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr, "usage: demo_client produce -b BOOTSTRAP -t TOPIC [-r PER_SECOND]\n"
	                "       demo_client consume -b BOOTSTRAP -t TOPIC -g GROUP\n"
	                "       either: -X property=value\n");
	exit(2);
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char err[256];
	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "demo_client: %s=%s: %s\n", key, value, err);
		return -1;
	}
	return 0;
}

/* Common settings, then the -X overrides. Returns NULL after saying why. */
static rd_kafka_conf_t *make_conf(const opts *o, const char *const *defaults, void *opaque)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (set(conf, "bootstrap.servers", o->bootstrap) ||
	    set(conf, "client.id", o->group ? o->group : "orders-api"))
		goto fail;
	for (int i = 0; defaults[i]; i += 2)
		if (set(conf, defaults[i], defaults[i + 1]))
			goto fail;
	for (int i = 0; i < o->nprops; i++) {
		char key[256];
		const char *eq = strchr(o->props[i], '=');
		if (!eq || eq == o->props[i] || (size_t)(eq - o->props[i]) >= sizeof(key)) {
			fprintf(stderr, "demo_client: -X %s: want property=value\n", o->props[i]);
			goto fail;
		}
		memcpy(key, o->props[i], (size_t)(eq - o->props[i]));
		key[eq - o->props[i]] = '\0';
		if (set(conf, key, eq + 1))
			goto fail;
	}
	rd_kafka_conf_set_opaque(conf, opaque);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	printf("%" PRId64 " ERROR %s: %s\n", mono_ms(), rd_kafka_err2name(err), reason);
}

/* The record number in a value written by produce(); -1 if it is not one. */
static int64_t record_number(const rd_kafka_message_t *m)
{
	char buf[24];
	if (!m->payload || m->len == 0 || m->len >= sizeof(buf))
		return -1;
	memcpy(buf, m->payload, m->len);
	buf[m->len] = '\0';
	char *end;
	errno = 0;
	long long n = strtoll(buf, &end, 10);
	return errno || *end || n < 1 ? -1 : (int64_t)n;
}

/* ---- produce ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	counts *c = opaque;
	int64_t n = (int64_t)(intptr_t)m->_private;
	if (m->err) {
		c->failed++;
		printf("%" PRId64 " FAIL %" PRId64 " %s\n", mono_ms(), n,
		       rd_kafka_err2name(m->err));
		return;
	}
	c->acked++;
	printf("%" PRId64 " ACK %" PRId64 " %" PRId32 " %" PRId64 " %" PRId32 "\n", mono_ms(), n,
	       m->partition, m->offset, rd_kafka_message_broker_id(m));
}

static int produce(const opts *o)
{
	/* acks=all and no idempotence: a record is acknowledged by the cluster
	 * that holds it, whichever one the route picks; a long message timeout
	 * so a slow flip delays records instead of failing them */
	static const char *const defaults[] = {"acks",
	                                       "all",
	                                       "enable.idempotence",
	                                       "false",
	                                       "linger.ms",
	                                       "5",
	                                       "message.timeout.ms",
	                                       "60000",
	                                       "topic.metadata.refresh.interval.ms",
	                                       "5000",
	                                       NULL};
	counts c = {0};
	char err[256];
	rd_kafka_conf_t *conf = make_conf(o, defaults, &c);
	if (!conf)
		return 1;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "demo_client: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	int64_t every_us = 1000000 / o->rate, next = mono_ms() * 1000;
	while (!stopping) {
		int64_t now = mono_ms() * 1000;
		if (now < next) {
			rd_kafka_poll(rk, (int)((next - now) / 1000) + 1);
			continue;
		}
		next += every_us;
		int64_t n = c.sent + 1;
		char key[24], value[24];
		int klen = snprintf(key, sizeof(key), "k%" PRId64, n);
		int vlen = snprintf(value, sizeof(value), "%" PRId64, n);
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic),
		                              RD_KAFKA_V_KEY(key, (size_t)klen),
		                              RD_KAFKA_V_VALUE(value, (size_t)vlen),
		                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)n),
		                              RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
		       !stopping)
			rd_kafka_poll(rk, 10);
		if (e) {
			if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break; /* stopping */
			fprintf(stderr, "demo_client: produce: %s\n", rd_kafka_err2str(e));
			break;
		}
		c.sent = n;
		rd_kafka_poll(rk, 0);
	}
	printf("%" PRId64 " STOP sent=%" PRId64 "\n", mono_ms(), c.sent);
	rd_kafka_resp_err_t fe = rd_kafka_flush(rk, FLUSH_MS);
	int64_t unacked = c.sent - c.acked - c.failed;
	printf("%" PRId64 " DONE sent=%" PRId64 " acked=%" PRId64 " failed=%" PRId64
	       " unacked=%" PRId64 "\n",
	       mono_ms(), c.sent, c.acked, c.failed, unacked);
	rd_kafka_destroy(rk);
	return fe || unacked ? 1 : 0;
}

/* ---- consume ---- */

static void print_parts(const char *what, const rd_kafka_topic_partition_list_t *parts)
{
	char buf[512];
	size_t of = 0;
	buf[0] = '\0';
	for (int i = 0; i < parts->cnt && of < sizeof(buf); i++)
		of += (size_t)snprintf(buf + of, sizeof(buf) - of, "%s%" PRId32, i ? "," : "",
		                       parts->elems[i].partition);
	printf("%" PRId64 " %s %s\n", mono_ms(), what, parts->cnt ? buf : "-");
}

/* Eager or cooperative, whichever the assignor negotiated: print what
 * changed and apply it. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	(void)opaque;
	int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		print_parts("ASSIGN", parts);
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			re = rd_kafka_assign(rk, parts);
	} else {
		print_parts("REVOKE", parts);
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			re = rd_kafka_assign(rk, NULL);
	}
	if (e) {
		printf("%" PRId64 " ERROR rebalance: %s\n", mono_ms(), rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (re) {
		printf("%" PRId64 " ERROR rebalance: %s\n", mono_ms(), rd_kafka_err2str(re));
	}
}

/* Leaves the group (final commit, LeaveGroup) but gives up after CLOSE_MS:
 * when the demo stops everything at once the coordinator may already be
 * gone, and a plain rd_kafka_consumer_close() would wait for it. 1 if the
 * close completed. */
static int close_bounded(rd_kafka_t *rk)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	if (!q)
		return 0;
	rd_kafka_error_t *e = rd_kafka_consumer_close_queue(rk, q);
	int64_t deadline = mono_ms() + CLOSE_MS;
	if (e) {
		printf("%" PRId64 " ERROR close: %s\n", mono_ms(), rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else {
		/* serves the final revoke through on_rebalance */
		while (!rd_kafka_consumer_closed(rk) && mono_ms() < deadline)
			rd_kafka_queue_poll_callback(q, 100);
	}
	int closed = !e && rd_kafka_consumer_closed(rk);
	rd_kafka_queue_destroy(q);
	return closed;
}

static int consume(const opts *o)
{
	/* commits every 500 ms so a flip has recent offsets to translate */
	static const char *const defaults[] = {"auto.offset.reset",
	                                       "earliest",
	                                       "enable.auto.commit",
	                                       "true",
	                                       "auto.commit.interval.ms",
	                                       "500",
	                                       "session.timeout.ms",
	                                       "10000",
	                                       "heartbeat.interval.ms",
	                                       "1000",
	                                       "topic.metadata.refresh.interval.ms",
	                                       "2000",
	                                       NULL};
	counts c = {0};
	char err[256];
	rd_kafka_conf_t *conf = make_conf(o, defaults, &c);
	if (!conf || set(conf, "group.id", o->group)) {
		if (conf)
			rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "demo_client: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	int rc = 1;
	if (!sub)
		goto out;
	rd_kafka_topic_partition_list_add(sub, o->topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t se = rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (se) {
		fprintf(stderr, "demo_client: subscribe: %s\n", rd_kafka_err2str(se));
		goto out;
	}
	while (!stopping) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				printf("%" PRId64 " ERROR %s: %s\n", mono_ms(),
				       rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
		} else {
			c.got++;
			printf("%" PRId64 " GOT %" PRId64 " %" PRId32 " %" PRId64 " %" PRId32 "\n",
			       mono_ms(), record_number(m), m->partition, m->offset,
			       rd_kafka_message_broker_id(m));
		}
		rd_kafka_message_destroy(m);
	}
	rc = 0;
out:;
	int closed = close_bounded(rk);
	printf("%" PRId64 " DONE got=%" PRId64 " close=%s\n", mono_ms(), c.got,
	       closed ? "ok" : "timed_out");
	rd_kafka_destroy_flags(rk, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	return rc;
}

int main(int argc, char **argv)
{
	opts o = {.rate = 50};
	if (argc < 2)
		usage();
	o.op = argv[1];
	int opt;
	optind = 2;
	while ((opt = getopt(argc, argv, "b:t:g:r:X:")) != -1) {
		switch (opt) {
		case 'b':
			o.bootstrap = optarg;
			break;
		case 't':
			o.topic = optarg;
			break;
		case 'g':
			o.group = optarg;
			break;
		case 'r':
			o.rate = atoi(optarg);
			break;
		case 'X':
			if (o.nprops == MAX_PROPS)
				usage();
			o.props[o.nprops++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (!o.bootstrap || !o.topic || o.rate < 1 || o.rate > 100000)
		usage();
	/* whole lines reach the file the viewer reads, one at a time */
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(o.op, "produce"))
		return produce(&o);
	if (!strcmp(o.op, "consume") && o.group)
		return consume(&o);
	usage();
}
