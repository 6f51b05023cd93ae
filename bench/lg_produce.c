/*
 * Producer throughput and preloading.
 *
 * produce: one message is sent and flushed first so connections and
 * metadata exist before the clock starts; then records are handed to
 * librdkafka as fast as its queue accepts them for --duration seconds, and
 * the run ends when every one of them is acknowledged. Throughput is
 * acknowledged records over that whole time. librdkafka's batching defaults
 * stay as they are (linger.ms 5, batches up to 1 MB), as an application's.
 *
 * preload: exactly --count records, spread evenly over --partitions, for the
 * consume runs. The mock keeps at most 5 MiB per partition, so the caller
 * sizes --count to stay below that and the consume run checks the count.
 *
 * Record values point at one static buffer (no copy by librdkafka), as in
 * rdkafka_performance, so the load generator spends its CPU on the protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/loadgen.h"

typedef struct tally {
	long ok, failed;
	rd_kafka_resp_err_t first_err;
} tally;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	tally *t = opaque;
	if (m->err) {
		if (!t->failed++)
			t->first_err = m->err;
	} else {
		t->ok++;
	}
}

static rd_kafka_t *producer(const lg_opts *o, tally *t)
{
	rd_kafka_conf_t *conf = lg_conf(o->bootstrap, NULL);
	char err[512];
	if (!conf)
		return NULL;
	if (rd_kafka_conf_set(conf, "acks", o->acks, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err))) {
		fprintf(stderr, "loadgen: config: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, t);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "loadgen: producer: %s\n", err);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

/* Hands one record to librdkafka, waiting while its queue is full. */
static int send_one(rd_kafka_t *rk, const char *topic, int32_t partition, void *val, int size)
{
	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_VALUE(val, (size_t)size), RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
		if (!e)
			return 0;
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(e));
			return -1;
		}
		rd_kafka_poll(rk, 1);
	}
}

static int finish(rd_kafka_t *rk, const tally *t, long sent)
{
	rd_kafka_resp_err_t e = rd_kafka_flush(rk, 120000);
	if (e || t->failed || t->ok != sent) {
		fprintf(stderr, "loadgen: %ld of %ld records acknowledged, %ld failed (%s)\n",
		        t->ok, sent, t->failed,
		        rd_kafka_err2str(t->failed ? t->first_err
		                         : e       ? e
		                                   : RD_KAFKA_RESP_ERR__TIMED_OUT));
		return -1;
	}
	return 0;
}

int lg_produce(const lg_opts *o)
{
	tally t = {0};
	char *val = malloc((size_t)o->size);
	rd_kafka_t *rk = val ? producer(o, &t) : NULL;
	int rc = -1;
	if (!rk)
		goto out;
	memset(val, 'x', (size_t)o->size);
	if (send_one(rk, o->topic, RD_KAFKA_PARTITION_UA, val, o->size) || finish(rk, &t, 1))
		goto out;
	long sent = 1;
	int64_t start = lg_now_ns(), stop = start + (int64_t)(o->duration * 1e9);
	while (lg_now_ns() < stop) {
		for (int i = 0; i < 1000; i++, sent++)
			if (send_one(rk, o->topic, RD_KAFKA_PARTITION_UA, val, o->size))
				goto out;
		rd_kafka_poll(rk, 0);
	}
	if (finish(rk, &t, sent))
		goto out;
	double secs = (double)(lg_now_ns() - start) / 1e9;
	long n = t.ok - 1;
	double bytes = (double)n * o->size;
	printf("result mode=produce size=%d acks=%s msgs=%ld bytes=%.0f secs=%.3f msgs_s=%.0f "
	       "mb_s=%.2f\n",
	       o->size, o->acks, n, bytes, secs, n / secs, bytes / secs / 1e6);
	rc = 0;
out:
	if (rk)
		rd_kafka_destroy(rk);
	free(val);
	return rc;
}

int lg_preload(const lg_opts *o)
{
	tally t = {0};
	char *val = malloc((size_t)o->size);
	rd_kafka_t *rk = val ? producer(o, &t) : NULL;
	int rc = -1;
	if (!rk || !o->count)
		goto out;
	memset(val, 'p', (size_t)o->size);
	int64_t start = lg_now_ns();
	for (long i = 0; i < o->count; i++) {
		if (send_one(rk, o->topic, (int32_t)(i % o->partitions), val, o->size))
			goto out;
		if (i % 1000 == 999)
			rd_kafka_poll(rk, 0);
	}
	if (finish(rk, &t, o->count))
		goto out;
	printf("result mode=preload size=%d msgs=%ld partitions=%d secs=%.3f\n", o->size, t.ok,
	       o->partitions, (double)(lg_now_ns() - start) / 1e9);
	rc = 0;
out:
	if (rk)
		rd_kafka_destroy(rk);
	free(val);
	return rc;
}
