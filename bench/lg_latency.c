/*
 * Latency at a fixed rate. Threads:
 *
 *   main      sends record i at start + i/rate (absolute sleeps, so a slow
 *             send does not shift the schedule); the value carries i and its
 *             scheduled time
 *   delivery  rd_kafka_poll() in a loop: a delivery report is read the
 *             moment librdkafka queues it; produce latency = now - scheduled
 *   consumer  reads the topic from the beginning; end-to-end latency =
 *             now - scheduled (same process, same monotonic clock)
 *   metadata  (with --metadata-topic) times a Metadata request for that
 *             topic every --metadata-interval-ms on its own connections
 *   probe     (with --probe-interval-ms) times an ApiVersions request on a
 *             connection of its own (to --probe-bootstrap if given):
 *             turnout answers ApiVersions itself, so a probe of turnout
 *             says how long its event loop takes to get to a request,
 *             stalls included
 *
 * Latencies count from the scheduled time, not the send call, so a stall
 * anywhere shows up in full (no coordinated omission). Records scheduled
 * during --warmup are sent but not counted. linger.ms is 0 and one
 * request per broker is in flight (max.in.flight 1): the produce latency
 * is the request round trip, and records that arrive meanwhile share the
 * next request, as they would in an idempotent producer's, instead of
 * 10,000 one-record requests a second swamping two CPUs. The consumer's
 * fetch.wait.max.ms is 1 because librdkafka's mock holds an empty Fetch
 * for the whole wait even when records arrive meanwhile; the end-to-end
 * numbers therefore include up to about 1 ms of that wait on every route.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/loadgen.h"

typedef struct run {
	const lg_opts *o;
	int64_t measure_from; /* records scheduled earlier are warm-up */
	atomic_int stop;      /* producer side done; helpers finish */
	lg_samples produce, e2e, metadata, probe;
	atomic_long acked, failed, consumed;
	long expected; /* records the consumer must see */
	int oom;
} run;

typedef struct stamp {
	int64_t scheduled_ns;
	int64_t seq;
} stamp;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	run *r = opaque;
	int64_t now = lg_now_ns();
	if (m->err) {
		atomic_fetch_add(&r->failed, 1);
		return;
	}
	atomic_fetch_add(&r->acked, 1);
	stamp s;
	memcpy(&s, m->payload, sizeof(s));
	if (s.scheduled_ns >= r->measure_from && lg_samples_add(&r->produce, now - s.scheduled_ns))
		r->oom = 1;
}

static void *delivery_thread(void *arg)
{
	void **a = arg;
	rd_kafka_t *rk = a[0];
	run *r = a[1];
	while (!atomic_load(&r->stop) || rd_kafka_outq_len(rk) > 0)
		rd_kafka_poll(rk, 50);
	return NULL;
}

typedef struct consumer_arg {
	run *r;
	rd_kafka_t *rk;
} consumer_arg;

static void *consumer_thread(void *arg)
{
	consumer_arg *c = arg;
	run *r = c->r;
	int64_t give_up = 0;
	for (;;) {
		if (atomic_load(&r->stop)) {
			if (atomic_load(&r->consumed) >= r->expected)
				break;
			if (!give_up)
				give_up = lg_now_ns() + (int64_t)10e9;
			else if (lg_now_ns() > give_up)
				break;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 20);
		if (!m)
			continue;
		int64_t now = lg_now_ns();
		if (!m->err && m->len >= sizeof(stamp)) {
			stamp s;
			memcpy(&s, m->payload, sizeof(s));
			atomic_fetch_add(&r->consumed, 1);
			if (s.scheduled_ns >= r->measure_from &&
			    lg_samples_add(&r->e2e, now - s.scheduled_ns))
				r->oom = 1;
		} else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			fprintf(stderr, "loadgen: consumer: %s\n", rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

typedef struct metadata_arg {
	run *r;
	rd_kafka_t *rk;
	long errors;
} metadata_arg;

static void *metadata_thread(void *arg)
{
	metadata_arg *a = arg;
	run *r = a->r;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(a->rk, r->o->metadata_topic, NULL);
	while (rkt && !atomic_load(&r->stop)) {
		const struct rd_kafka_metadata *md = NULL;
		int64_t t0 = lg_now_ns();
		rd_kafka_resp_err_t e = rd_kafka_metadata(a->rk, 0, rkt, &md, 10000);
		int64_t dt = lg_now_ns() - t0;
		if (e || md->topic_cnt != 1 || md->topics[0].partition_cnt < 1)
			a->errors++;
		else if (t0 >= r->measure_from && lg_samples_add(&r->metadata, dt))
			r->oom = 1;
		if (md)
			rd_kafka_metadata_destroy(md);
		struct timespec ts = {r->o->metadata_interval_ms / 1000,
		                      (r->o->metadata_interval_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	else
		a->errors++;
	return NULL;
}

typedef struct probe_arg {
	run *r;
	int fd;
	long errors;
} probe_arg;

static void *probe_thread(void *arg)
{
	probe_arg *a = arg;
	run *r = a->r;
	int32_t corr = 0;
	struct timespec ts = {r->o->probe_interval_ms / 1000,
	                      (r->o->probe_interval_ms % 1000) * 1000000L};
	while (!atomic_load(&r->stop)) {
		int64_t t0 = lg_now_ns();
		if (lg_call(a->fd, 18 /* ApiVersions */, 0, ++corr, NULL, 0)) {
			a->errors++;
			break;
		}
		if (t0 >= r->measure_from && lg_samples_add(&r->probe, lg_now_ns() - t0))
			r->oom = 1;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static rd_kafka_t *client(rd_kafka_type_t type, const lg_opts *o, const char *const *kv, run *r)
{
	char err[512];
	rd_kafka_conf_t *conf = lg_conf(o->bootstrap, kv);
	if (!conf)
		return NULL;
	if (type == RD_KAFKA_PRODUCER) {
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
		rd_kafka_conf_set_opaque(conf, r);
	}
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "loadgen: %s\n", err);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

/* Assigns every partition of the topic from the beginning. */
static int assign_all(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	int rc = -1;
	if (!rkt)
		return -1;
	if (!rd_kafka_metadata(rk, 0, rkt, &md, 15000) && md->topic_cnt == 1 &&
	    !md->topics[0].err && md->topics[0].partition_cnt > 0) {
		int np = md->topics[0].partition_cnt;
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
		for (int p = 0; p < np; p++)
			rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			    RD_KAFKA_OFFSET_BEGINNING;
		rc = rd_kafka_assign(rk, l) ? -1 : 0;
		rd_kafka_topic_partition_list_destroy(l);
	}
	if (rc)
		fprintf(stderr, "loadgen: cannot assign topic %s\n", topic);
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return rc;
}

int lg_latency(const lg_opts *o)
{
	const char *const pkv[] = {"acks", o->acks, "linger.ms", "0", "max.in.flight", "1", NULL};
	static const char *const ckv[] = {"group.id", "turnout-bench",     "enable.auto.commit",
	                                  "false",    "fetch.wait.max.ms", "1",
	                                  NULL};
	run r = {.o = o};
	metadata_arg ma = {.r = &r};
	probe_arg pa = {.r = &r, .fd = -1};
	consumer_arg ca = {.r = &r};
	rd_kafka_t *prod = NULL;
	pthread_t dt, ct, mt, pt;
	int have_dt = 0, have_ct = 0, have_mt = 0, have_pt = 0, rc = -1;
	char *val = calloc(1, (size_t)o->size);
	if (!val || (size_t)o->size < sizeof(stamp))
		goto out;
	if (!(prod = client(RD_KAFKA_PRODUCER, o, pkv, &r)) ||
	    !(ca.rk = client(RD_KAFKA_CONSUMER, o, ckv, &r)) || assign_all(ca.rk, o->topic))
		goto out;
	if (o->metadata_topic && !(ma.rk = client(RD_KAFKA_PRODUCER, o, NULL, &r)))
		goto out;
	const char *probe_at = o->probe_bootstrap ? o->probe_bootstrap : o->bootstrap;
	if (o->probe_interval_ms && (pa.fd = lg_dial(probe_at)) < 0) {
		fprintf(stderr, "loadgen: probe cannot connect to %s\n", probe_at);
		goto out;
	}
	long total = (long)((o->warmup + o->duration) * o->rate);
	r.expected = total;
	int64_t start = lg_now_ns() + (int64_t)100e6;
	r.measure_from = start + (int64_t)(o->warmup * 1e9);
	void *da[2] = {prod, &r};
	have_dt = !pthread_create(&dt, NULL, delivery_thread, da);
	have_ct = have_dt && !pthread_create(&ct, NULL, consumer_thread, &ca);
	have_mt = have_ct && o->metadata_topic && !pthread_create(&mt, NULL, metadata_thread, &ma);
	have_pt = have_ct && pa.fd >= 0 && !pthread_create(&pt, NULL, probe_thread, &pa);
	if (!have_ct || (o->metadata_topic && !have_mt) || (pa.fd >= 0 && !have_pt)) {
		fprintf(stderr, "loadgen: cannot start threads\n");
		atomic_store(&r.stop, 1);
		goto join;
	}
	for (long i = 0; i < total; i++) {
		stamp s = {start + (int64_t)((double)i * 1e9 / o->rate), i};
		struct timespec ts = {s.scheduled_ns / 1000000000, s.scheduled_ns % 1000000000};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		memcpy(val, &s, sizeof(s));
		rd_kafka_resp_err_t e = rd_kafka_producev(
		    prod, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_VALUE(val, (size_t)o->size),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (e) {
			fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(e));
			atomic_store(&r.stop, 1);
			goto join;
		}
	}
	rd_kafka_flush(prod, 30000);
	atomic_store(&r.stop, 1);
	rc = 0;
join:
	if (have_dt)
		pthread_join(dt, NULL);
	if (have_ct)
		pthread_join(ct, NULL);
	if (have_mt)
		pthread_join(mt, NULL);
	if (have_pt)
		pthread_join(pt, NULL);
	if (rc)
		goto out;
	rc = -1;
	if (atomic_load(&r.acked) != total || atomic_load(&r.failed) ||
	    atomic_load(&r.consumed) != total || ma.errors || pa.errors || r.oom) {
		fprintf(stderr,
		        "loadgen: %ld records scheduled, %ld acknowledged, %ld failed, %ld "
		        "consumed, %ld metadata errors, %ld probe errors%s\n",
		        total, atomic_load(&r.acked), atomic_load(&r.failed),
		        atomic_load(&r.consumed), ma.errors, pa.errors,
		        r.oom ? ", out of memory" : "");
		goto out;
	}
	printf("result mode=latency rate=%d size=%d acks=%s", o->rate, o->size, o->acks);
	lg_samples_print(&r.produce, "produce");
	lg_samples_print(&r.e2e, "e2e");
	if (o->metadata_topic)
		lg_samples_print(&r.metadata, "metadata");
	if (o->probe_interval_ms)
		lg_samples_print(&r.probe, "probe");
	printf("\n");
	rc = 0;
out:
	if (ma.rk)
		rd_kafka_destroy(ma.rk);
	if (ca.rk) {
		rd_kafka_consumer_close(ca.rk);
		rd_kafka_destroy(ca.rk);
	}
	if (prod)
		rd_kafka_destroy(prod);
	lg_samples_free(&r.produce);
	lg_samples_free(&r.e2e);
	lg_samples_free(&r.metadata);
	lg_samples_free(&r.probe);
	if (pa.fd >= 0)
		close(pa.fd);
	free(val);
	return rc;
}
