/*
 * Consumer throughput: every partition of a preloaded topic is assigned
 * from the beginning (no consumer group: the run measures fetching, not
 * rebalancing) and read until each partition reports its end. The clock runs
 * from the first record to the last end-of-partition, so connection set-up
 * is not counted. --expect N fails the run unless exactly N records came.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench/loadgen.h"

/* Partition count of topic, from a Metadata request; -1 on error. */
static int partition_count(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	int n = -1;
	if (!rkt)
		return -1;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 15000);
	if (e)
		fprintf(stderr, "loadgen: metadata: %s\n", rd_kafka_err2str(e));
	else if (md->topic_cnt != 1 || md->topics[0].err)
		fprintf(stderr, "loadgen: topic %s: %s\n", topic,
		        md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "missing");
	else
		n = md->topics[0].partition_cnt;
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return n;
}

int lg_consume(const lg_opts *o)
{
	static const char *const kv[] = {
	    "enable.partition.eof", "true", "enable.auto.commit", "false", "group.id",
	    "turnout-bench",        NULL};
	char err[512];
	rd_kafka_conf_t *conf = lg_conf(o->bootstrap, kv);
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_t *rk = NULL;
	int rc = -1;
	if (!conf)
		return -1;
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "loadgen: consumer: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	int np = partition_count(rk, o->topic);
	if (np < 1)
		goto out;
	parts = rd_kafka_topic_partition_list_new(np);
	for (int p = 0; p < np; p++)
		rd_kafka_topic_partition_list_add(parts, o->topic, p)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
	if (e) {
		fprintf(stderr, "loadgen: assign: %s\n", rd_kafka_err2str(e));
		goto out;
	}
	long msgs = 0, eofs = 0;
	double bytes = 0;
	int64_t first = 0, deadline = lg_now_ns() + (int64_t)120e9;
	while (eofs < np) {
		if (lg_now_ns() > deadline) {
			fprintf(stderr, "loadgen: consume timed out after %ld records\n", msgs);
			goto out;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			eofs++;
		} else if (m->err) {
			fprintf(stderr, "loadgen: consume: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			goto out;
		} else {
			if (!first)
				first = lg_now_ns();
			msgs++;
			bytes += (double)m->len;
		}
		rd_kafka_message_destroy(m);
	}
	double secs = first ? (double)(lg_now_ns() - first) / 1e9 : 0;
	if (o->expect >= 0 && msgs != o->expect) {
		fprintf(stderr, "loadgen: read %ld records, the topic should hold %ld\n", msgs,
		        o->expect);
		goto out;
	}
	if (!msgs || secs <= 0) {
		fprintf(stderr, "loadgen: topic %s is empty\n", o->topic);
		goto out;
	}
	printf("result mode=consume msgs=%ld bytes=%.0f secs=%.3f msgs_s=%.0f mb_s=%.2f\n", msgs,
	       bytes, secs, msgs / secs, bytes / secs / 1e6);
	rc = 0;
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}
