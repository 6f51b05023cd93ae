/*
 * rdk_client: a librdkafka client for turnout's client matrix. The tests
 * run the same operation once against a mock cluster directly and once
 * through turnout and compare what this program reports, so every
 * operation prints everything it observed as one JSON object on stdout
 * (rdk_out.c) and exits 0, or prints {"error": ...} and exits 1.
 *
 * It is built twice, against Debian's librdkafka 2.0.2 and against 2.15.1
 * (which negotiates flexible Metadata, Produce and Fetch versions).
 *
 *   rdk_client produce   -b BS -t TOPIC -n N [-a ACKS] [-I] [-p PREFIX] [-i MS]
 *   rdk_client consume   -b BS -t TOPIC [-R]
 *   rdk_client group     -b BS -t TOPIC -g GROUP -n N
 *   rdk_client metadata  -b BS [-t TOPIC]...
 *   rdk_client txn       -b BS -t TOPIC -g GROUP -x TXN_ID -n N
 *   rdk_client committed -b BS -t TOPIC -g GROUP
 *   any op: -X property=value (librdkafka), -T timeout_ms (default 40000)
 *
 * produce: N records, key "k<i mod 5>", value PREFIX<i>, with acks ACKS
 *   (0, 1, all) and optionally idempotence; prints each delivery report.
 *   -i MS: one record every MS milliseconds (a steady load to flip under).
 * consume: every record of every partition, from the beginning to the end
 *   (-R: read_committed), with assign(), no group.
 * group: member A subscribes and reads N records, commits; member B joins
 *   until both own partitions, then leaves until A owns all again; prints
 *   the assignment sizes at each step, the records and the committed offsets.
 * metadata: brokers and, for the topics named (all if none), each
 *   partition's leader, replicas and ISR.
 * txn: three transactions of N records: committed (with offsets sent for
 *   GROUP), aborted, committed; then what read_committed and
 *   read_uncommitted consumers see and GROUP's committed offsets.
 * committed: GROUP's committed offsets for every partition of TOPIC.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/clients/rdk.h"
#include "tests/clients/rdk_out.h"

enum { MAX_PROPS = 32, MAX_TOPICS = 16, MAX_PARTS = 64 };

/* acks=0 records count as delivered once written to the socket. The mock
 * answers them anyway; closing before it has read them all and before its
 * answers are read makes the kernel reset the connection, and the mock
 * then drops what it has not read. Real brokers send no answer. */
enum { ACKS0_LINGER_MS = 1000 };

typedef struct opts {
	const char *op, *bootstrap, *topic, *group, *txn_id, *acks, *prefix;
	const char *topics[MAX_TOPICS]; /* metadata filter */
	int ntopics;
	const char *props[MAX_PROPS]; /* -X key=value */
	int nprops;
	int n, idempotent, read_committed;
	int interval_ms; /* produce: pause between records */
	int timeout_ms;
} opts;

static const opts *O; /* for die() */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "rdk_client %s: %s\n", O->op, msg);
	out_open(O->op);
	out_str("error", msg);
	out_close();
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char err[256];
	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
		die("config %s=%s: %s", key, value, err);
}

/* bootstrap.servers, -X properties, then the operation's own settings. */
static rd_kafka_conf_t *conf_new(const opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	set(conf, "bootstrap.servers", o->bootstrap);
	set(conf, "client.id", "rdk_client");
	for (int i = 0; i < o->nprops; i++) {
		char kv[512];
		snprintf(kv, sizeof(kv), "%s", o->props[i]);
		char *eq = strchr(kv, '=');
		if (!eq)
			die("-X wants key=value, got %s", o->props[i]);
		*eq = '\0';
		set(conf, kv, eq + 1);
	}
	return conf;
}

static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[512];
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk)
		die("rd_kafka_new: %s", err);
	return rk;
}

static rd_kafka_conf_t *consumer_conf(const opts *o, const char *group, int read_committed)
{
	rd_kafka_conf_t *conf = conf_new(o);
	set(conf, "group.id", group);
	set(conf, "enable.auto.commit", "false");
	set(conf, "auto.offset.reset", "earliest");
	set(conf, "session.timeout.ms", "6000");
	set(conf, "heartbeat.interval.ms", "500");
	set(conf, "isolation.level", read_committed ? "read_committed" : "read_uncommitted");
	return conf;
}

/* Partitions of o->topic, waiting until the topic is known. */
static int partition_count(rd_kafka_t *rk, const char *topic, int64_t deadline)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (!rkt)
		die("topic handle: %s", rd_kafka_err2str(rd_kafka_last_error()));
	int n = -1;
	while (n < 0 && now_ms() < deadline) {
		const struct rd_kafka_metadata *md;
		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && !md->topics[0].err &&
			    md->topics[0].partition_cnt > 0)
				n = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
	}
	rd_kafka_topic_destroy(rkt);
	if (n < 0)
		die("topic %s: no metadata", topic);
	if (n > MAX_PARTS)
		die("topic %s has %d partitions, at most %d supported", topic, n, MAX_PARTS);
	return n;
}

/* ---- produce ---- */

static out_records delivered;
static int delivery_errors;
static char delivery_error[256];

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		if (!delivery_errors++)
			snprintf(delivery_error, sizeof(delivery_error), "%s",
			         rd_kafka_err2str(m->err));
		return;
	}
	out_records_add(&delivered, m->partition, m->offset < 0 ? -1 : m->offset, m->key,
	                m->key_len, m->payload, m->len);
}

static void produce_n(rd_kafka_t *rk, const char *topic, const char *prefix, int n, int interval_ms)
{
	for (int i = 0; i < n; i++) {
		char key[32], value[128];
		snprintf(key, sizeof(key), "k%d", i % 5);
		snprintf(value, sizeof(value), "%s%d", prefix, i);
		for (;;) {
			rd_kafka_resp_err_t err = rd_kafka_producev(
			    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
			    RD_KAFKA_V_VALUE(value, strlen(value)),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				rd_kafka_poll(rk, 50);
				continue;
			}
			if (err)
				die("produce: %s", rd_kafka_err2str(err));
			break;
		}
		rd_kafka_poll(rk, interval_ms);
	}
}

static int cmd_produce(const opts *o)
{
	rd_kafka_conf_t *conf = conf_new(o);
	set(conf, "acks", o->acks);
	set(conf, "linger.ms", "5");
	set(conf, "message.timeout.ms", "30000");
	if (o->idempotent)
		set(conf, "enable.idempotence", "true");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf);
	produce_n(rk, o->topic, o->prefix, o->n, o->interval_ms);
	rd_kafka_resp_err_t err = rd_kafka_flush(rk, o->timeout_ms);
	int left = rd_kafka_outq_len(rk);
	if (!strcmp(o->acks, "0"))
		rd_kafka_poll(rk, ACKS0_LINGER_MS);
	rd_kafka_destroy(rk);
	if (err || left)
		die("flush: %s, %d left", rd_kafka_err2str(err), left);
	if (delivery_errors)
		die("%d delivery errors, first: %s", delivery_errors, delivery_error);
	out_open("produce");
	out_records_print("delivered", &delivered);
	out_close();
	out_records_free(&delivered);
	return 0;
}

/* ---- consume ---- */

/* Every record of topic from the beginning to the end of each partition. */
static void consume_all(const opts *o, const char *topic, int read_committed, out_records *out)
{
	int64_t deadline = now_ms() + o->timeout_ms;
	/* librdkafka 2.0.2 refuses assign() without a group.id; nothing is
	 * committed under it. */
	rd_kafka_conf_t *conf = consumer_conf(o, "rdk_client-assign", read_committed);
	set(conf, "enable.partition.eof", "true");
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, conf);
	int parts = partition_count(rk, topic, deadline);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err)
		die("assign: %s", rd_kafka_err2str(err));
	int eof[MAX_PARTS] = {0}, neof = 0;
	while (neof < parts) {
		if (now_ms() > deadline)
			die("consume: end of %d of %d partitions after %d records", neof, parts,
			    out->n);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (m->partition >= 0 && m->partition < parts && !eof[m->partition]) {
				eof[m->partition] = 1;
				neof++;
			}
		} else if (m->err) {
			/* transient (a broker reconnecting): librdkafka retries */
			fprintf(stderr, "rdk_client consume: %s\n", rd_kafka_message_errstr(m));
		} else {
			out_records_add(out, m->partition, m->offset, m->key, m->key_len,
			                m->payload, m->len);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static int cmd_consume(const opts *o)
{
	out_records recs = {0};
	consume_all(o, o->topic, o->read_committed, &recs);
	out_open("consume");
	out_records_print("records", &recs);
	out_close();
	out_records_free(&recs);
	return 0;
}

/* ---- group ---- */

static int assigned(rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	if (rd_kafka_assignment(rk, &l) || !l)
		return 0;
	int n = l->cnt;
	rd_kafka_topic_partition_list_destroy(l);
	return n;
}

static rd_kafka_t *member_new(const opts *o, const char *name)
{
	rd_kafka_conf_t *conf = consumer_conf(o, o->group, 0);
	set(conf, "client.id", name);
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, o->topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err)
		die("subscribe: %s", rd_kafka_err2str(err));
	return rk;
}

/* One poll; a record goes to out. */
static void member_poll(rd_kafka_t *rk, out_records *out)
{
	rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
	if (!m)
		return;
	if (m->err)
		fprintf(stderr, "rdk_client group: %s\n", rd_kafka_message_errstr(m));
	else
		out_records_add(out, m->partition, m->offset, m->key, m->key_len, m->payload,
		                m->len);
	rd_kafka_message_destroy(m);
}

static void committed_offsets(rd_kafka_t *rk, const char *topic, int parts, int64_t *offs,
                              int timeout_ms)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
	rd_kafka_resp_err_t err = rd_kafka_committed(rk, l, timeout_ms);
	if (err)
		die("committed: %s", rd_kafka_err2str(err));
	for (int i = 0; i < l->cnt; i++)
		offs[l->elems[i].partition] = l->elems[i].err ? -2 : l->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(l);
}

static int cmd_group(const opts *o)
{
	int64_t deadline = now_ms() + o->timeout_ms;
	out_records recs = {0};
	int sizes[4] = {0}; /* A alone, A and B together, A after B left */
	rd_kafka_t *a = member_new(o, "member-a");
	int parts = partition_count(a, o->topic, deadline);
	while (recs.n < o->n || assigned(a) < parts) {
		if (now_ms() > deadline)
			die("member A: %d of %d records, %d of %d partitions", recs.n, o->n,
			    assigned(a), parts);
		member_poll(a, &recs);
	}
	sizes[0] = assigned(a);
	rd_kafka_resp_err_t err = rd_kafka_commit(a, NULL, 0);
	if (err)
		die("commit: %s", rd_kafka_err2str(err));

	rd_kafka_t *b = member_new(o, "member-b");
	deadline = now_ms() + o->timeout_ms;
	for (;;) {
		member_poll(a, &recs);
		member_poll(b, &recs);
		int na = assigned(a), nb = assigned(b);
		if (na > 0 && nb > 0 && na + nb == parts) {
			sizes[1] = na;
			sizes[2] = nb;
			break;
		}
		if (now_ms() > deadline)
			die("second member: assignments %d + %d of %d", na, nb, parts);
	}
	rd_kafka_consumer_close(b);
	rd_kafka_destroy(b);
	deadline = now_ms() + o->timeout_ms;
	while (assigned(a) != parts) {
		if (now_ms() > deadline)
			die("after the second member left: %d of %d partitions", assigned(a),
			    parts);
		member_poll(a, &recs);
	}
	sizes[3] = assigned(a);
	int64_t offs[MAX_PARTS];
	committed_offsets(a, o->topic, parts, offs, 10000);
	rd_kafka_consumer_close(a);
	rd_kafka_destroy(a);

	out_open("group");
	out_records_print("records", &recs);
	out_ints("assignments", sizes, 4);
	out_offsets("committed", offs, parts);
	out_close();
	out_records_free(&recs);
	return 0;
}

/* ---- metadata ---- */

static int wanted(const opts *o, const char *topic)
{
	if (!o->ntopics)
		return 1;
	for (int i = 0; i < o->ntopics; i++)
		if (!strcmp(o->topics[i], topic))
			return 1;
	return 0;
}

static int cmp_broker(const void *x, const void *y)
{
	const struct rd_kafka_metadata_broker *a = x, *b = y;
	return (a->id > b->id) - (a->id < b->id);
}

static int cmd_metadata(const opts *o)
{
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf_new(o));
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, o->timeout_ms);
	if (err)
		die("metadata: %s", rd_kafka_err2str(err));
	struct rd_kafka_metadata_broker *bs = calloc((size_t)md->broker_cnt + 1, sizeof(*bs));
	if (!bs)
		die("out of memory");
	memcpy(bs, md->brokers, sizeof(*bs) * (size_t)md->broker_cnt);
	qsort(bs, (size_t)md->broker_cnt, sizeof(*bs), cmp_broker);

	out_open("metadata");
	out_begin("brokers", '[');
	for (int i = 0; i < md->broker_cnt; i++) {
		out_elem_sep();
		printf("[%d,", bs[i].id);
		out_string(bs[i].host);
		printf(",%d]", bs[i].port);
	}
	out_end(']');
	out_begin("topics", '{');
	for (int t = 0; t < md->topic_cnt; t++) {
		const struct rd_kafka_metadata_topic *mt = &md->topics[t];
		if (!wanted(o, mt->topic))
			continue;
		out_elem_sep();
		out_string(mt->topic);
		printf(":{\"error\":%d,\"partitions\":[", mt->err);
		for (int p = 0; p < mt->partition_cnt; p++) {
			const struct rd_kafka_metadata_partition *mp = &mt->partitions[p];
			printf("%s[%d,%d,[", p ? "," : "", mp->id, mp->leader);
			for (int r = 0; r < mp->replica_cnt; r++)
				printf("%s%d", r ? "," : "", mp->replicas[r]);
			printf("],[");
			for (int r = 0; r < mp->isr_cnt; r++)
				printf("%s%d", r ? "," : "", mp->isrs[r]);
			printf("]]");
		}
		printf("]}");
	}
	out_end('}');
	out_close();
	free(bs);
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return 0;
}

/* ---- transactions ---- */

static void txn_check(rd_kafka_error_t *e, const char *what)
{
	if (!e)
		return;
	char msg[256];
	snprintf(msg, sizeof(msg), "%s", rd_kafka_error_string(e));
	rd_kafka_error_destroy(e);
	die("%s: %s", what, msg);
}

/* One transaction of n records "<prefix><i>"; offsets sent for the group
 * (partition 0 at offset n) when send_offsets is set. */
static void txn_one(const opts *o, rd_kafka_t *rk, const char *prefix, int commit, int send_offsets)
{
	txn_check(rd_kafka_begin_transaction(rk), "begin_transaction");
	produce_n(rk, o->topic, prefix, o->n, 0);
	if (send_offsets) {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, o->topic, 0)->offset = o->n;
		rd_kafka_consumer_group_metadata_t *cg =
		    rd_kafka_consumer_group_metadata_new(o->group);
		rd_kafka_error_t *e =
		    rd_kafka_send_offsets_to_transaction(rk, l, cg, o->timeout_ms);
		rd_kafka_consumer_group_metadata_destroy(cg);
		rd_kafka_topic_partition_list_destroy(l);
		txn_check(e, "send_offsets_to_transaction");
	}
	if (commit) {
		txn_check(rd_kafka_commit_transaction(rk, o->timeout_ms), "commit_transaction");
		return;
	}
	/* Let the records reach the log first, so the abort has something
	 * for read_committed consumers to skip. */
	rd_kafka_resp_err_t err = rd_kafka_flush(rk, o->timeout_ms);
	if (err)
		die("flush before abort: %s", rd_kafka_err2str(err));
	txn_check(rd_kafka_abort_transaction(rk, o->timeout_ms), "abort_transaction");
}

static int cmd_txn(const opts *o)
{
	rd_kafka_conf_t *conf = conf_new(o);
	set(conf, "transactional.id", o->txn_id);
	set(conf, "linger.ms", "5");
	set(conf, "transaction.timeout.ms", "60000");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf);
	txn_check(rd_kafka_init_transactions(rk, o->timeout_ms), "init_transactions");
	txn_one(o, rk, "c", 1, 1);
	txn_one(o, rk, "a", 0, 0);
	txn_one(o, rk, "d", 1, 0);
	rd_kafka_destroy(rk);
	out_records_free(&delivered); /* aborted records report errors or not by version */

	out_records committed = {0}, all = {0};
	consume_all(o, o->topic, 1, &committed);
	consume_all(o, o->topic, 0, &all);
	int64_t deadline = now_ms() + o->timeout_ms;
	rd_kafka_t *c = client_new(RD_KAFKA_CONSUMER, consumer_conf(o, o->group, 0));
	int parts = partition_count(c, o->topic, deadline);
	int64_t offs[MAX_PARTS];
	committed_offsets(c, o->topic, parts, offs, 10000);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);

	out_open("txn");
	out_records_print("read_committed", &committed);
	out_records_print("read_uncommitted", &all);
	out_offsets("group_offsets", offs, parts);
	out_close();
	out_records_free(&committed);
	out_records_free(&all);
	return 0;
}

static int cmd_committed(const opts *o)
{
	int64_t deadline = now_ms() + o->timeout_ms;
	rd_kafka_t *c = client_new(RD_KAFKA_CONSUMER, consumer_conf(o, o->group, 0));
	int parts = partition_count(c, o->topic, deadline);
	int64_t offs[MAX_PARTS];
	committed_offsets(c, o->topic, parts, offs, o->timeout_ms);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	out_open("committed");
	out_offsets("committed", offs, parts);
	out_close();
	return 0;
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*run)(const opts *o);
	int need_topic, need_group, need_n;
} cmds[] = {
    {"produce", cmd_produce, 1, 0, 1}, {"consume", cmd_consume, 1, 0, 0},
    {"group", cmd_group, 1, 1, 1},     {"metadata", cmd_metadata, 0, 0, 0},
    {"txn", cmd_txn, 1, 1, 1},         {"committed", cmd_committed, 1, 1, 0},
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: rdk_client produce|consume|group|metadata|txn|committed -b BOOTSTRAP\n"
	        "       [-t TOPIC]... [-g GROUP] [-n N] [-a ACKS] [-I] [-p PREFIX] [-R]\n"
	        "       [-x TXN_ID] [-X prop=value]... [-T timeout_ms]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	opts o = {.acks = "all", .prefix = "v", .timeout_ms = 40000};
	if (argc < 2)
		usage();
	o.op = argv[1];
	O = &o;
	int opt;
	optind = 2;
	while ((opt = getopt(argc, argv, "b:t:g:n:a:Ip:Rx:X:T:i:")) != -1) {
		switch (opt) {
		case 'b':
			o.bootstrap = optarg;
			break;
		case 't':
			if (o.ntopics == MAX_TOPICS)
				usage();
			o.topics[o.ntopics++] = optarg;
			o.topic = o.topics[0];
			break;
		case 'g':
			o.group = optarg;
			break;
		case 'n':
			o.n = atoi(optarg);
			break;
		case 'a':
			o.acks = optarg;
			break;
		case 'I':
			o.idempotent = 1;
			break;
		case 'p':
			o.prefix = optarg;
			break;
		case 'R':
			o.read_committed = 1;
			break;
		case 'x':
			o.txn_id = optarg;
			break;
		case 'X':
			if (o.nprops == MAX_PROPS)
				usage();
			o.props[o.nprops++] = optarg;
			break;
		case 'T':
			o.timeout_ms = atoi(optarg);
			break;
		case 'i':
			o.interval_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o.bootstrap)
		usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, o.op))
			continue;
		if ((cmds[i].need_topic && !o.topic) || (cmds[i].need_group && !o.group) ||
		    (cmds[i].need_n && o.n <= 0) || (!strcmp(o.op, "txn") && !o.txn_id))
			usage();
		return cmds[i].run(&o);
	}
	usage();
}
