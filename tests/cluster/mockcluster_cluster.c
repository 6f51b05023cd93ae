/*
 * Life cycle of one librdkafka mock cluster.
 *
 * rd_kafka_mock_cluster_new() needs an rd_kafka_t to host the mock broker
 * thread. We give it a producer with no bootstrap.servers, as librdkafka's
 * own test suite does: that handle never opens a connection, it only owns the
 * mock. Each cluster gets its own handle so the two clusters share nothing.
 *
 * The mock numbers its brokers 1..N and lists them in that order in its
 * bootstrap string, so the per-broker ports are read from that string
 * rather than from librdkafka internals.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mockcluster_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fill c->ports from c->bootstraps ("127.0.0.1:p1,127.0.0.1:p2,..."). */
static int cluster_parse_ports(struct cluster *c)
{
	const char *p = c->bootstraps;
	int n = 0;

	while (*p) {
		const char *colon, *comma;
		char *end;
		long port;

		comma = strchr(p, ',');
		if (!comma)
			comma = p + strlen(p);
		colon = memchr(p, ':', (size_t)(comma - p));
		if (!colon || n >= c->broker_cnt)
			return -1;
		port = strtol(colon + 1, &end, 10);
		if (end != comma || port <= 0 || port > 65535)
			return -1;
		c->ports[n++] = (int)port;
		p = *comma ? comma + 1 : comma;
	}
	return n == c->broker_cnt ? 0 : -1;
}

int cluster_start(struct cluster *c, const char *name, int broker_cnt, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = NULL;
	char client_id[64];
	const char *bs;

	memset(c, 0, sizeof(*c));
	if (broker_cnt < 1 || broker_cnt > CLUSTER_MAX_BROKERS) {
		snprintf(err, errlen, "broker count must be 1..%d", CLUSTER_MAX_BROKERS);
		goto fail;
	}
	if (strlen(name) >= sizeof(c->name)) {
		snprintf(err, errlen, "cluster name too long");
		goto fail;
	}
	strcpy(c->name, name);
	c->broker_cnt = broker_cnt;

	conf = rd_kafka_conf_new();
	snprintf(client_id, sizeof(client_id), "mockcluster-%s", name);
	/* log_level 4: keep the mock's warnings and errors, drop the notice
	 * that this handle has no bootstrap.servers (on purpose). */
	if (rd_kafka_conf_set(conf, "client.id", client_id, err, errlen) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "4", err, errlen) != RD_KAFKA_CONF_OK)
		goto fail;

	/* rd_kafka_new() takes ownership of conf only on success. */
	c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (!c->rk)
		goto fail;
	conf = NULL;

	c->mock = rd_kafka_mock_cluster_new(c->rk, broker_cnt);
	if (!c->mock) {
		snprintf(err, errlen, "rd_kafka_mock_cluster_new failed");
		goto fail;
	}

	bs = rd_kafka_mock_cluster_bootstraps(c->mock);
	if (!bs || strlen(bs) >= sizeof(c->bootstraps)) {
		snprintf(err, errlen, "unexpected bootstrap string");
		goto fail;
	}
	strcpy(c->bootstraps, bs);
	if (cluster_parse_ports(c) != 0) {
		snprintf(err, errlen, "cannot parse bootstrap string \"%s\"", bs);
		goto fail;
	}
	return 0;

fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	cluster_stop(c);
	return -1;
}

const char *cluster_fix_quirks(struct cluster *c)
{
	/* From librdkafka 2.1.0 on, the mock advertises LeaveGroup v0..v4 but
	 * its handler still parses the v0..v2 request (one MemberId instead
	 * of the v3 Members array) and writes no Members array in the
	 * response. kafkajs picks v3 and cannot parse the reply, so its
	 * member never leaves and the group waits out the session timeout.
	 * Advertising v0..v2, which the handler does implement, fixes that.
	 * 2.0.2 advertises v0..v1 and is left alone. */
	if (rd_kafka_version() >= 0x020100ff) {
		if (rd_kafka_mock_set_apiversion(c->mock, 13 /* LeaveGroup */, 0, 2) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			return NULL;
		return "LeaveGroup capped at v2";
	}
	return "";
}

void cluster_stop(struct cluster *c)
{
	/* The mock must go before the handle that hosts it. */
	if (c->mock)
		rd_kafka_mock_cluster_destroy(c->mock);
	c->mock = NULL;
	if (c->rk)
		rd_kafka_destroy(c->rk);
	c->rk = NULL;
}

int cluster_broker_port(const struct cluster *c, int broker_id)
{
	if (broker_id < 1 || broker_id > c->broker_cnt)
		return -1;
	return c->ports[broker_id - 1];
}

int cluster_topic_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 249 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

rd_kafka_resp_err_t cluster_topic_create(struct cluster *c, const char *topic, int partitions,
                                         int rf)
{
	if (rf <= 0)
		rf = c->broker_cnt < 3 ? c->broker_cnt : 3;
	return rd_kafka_mock_topic_create(c->mock, topic, partitions, rf);
}
