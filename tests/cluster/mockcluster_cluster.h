#ifndef MOCKCLUSTER_CLUSTER_H
#define MOCKCLUSTER_CLUSTER_H

/* librdkafka 2.15's rdkafka.h declares a "const int" return type, which
 * -Wextra -Werror rejects; the header is not ours to fix. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#endif
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <stddef.h>

#define CLUSTER_MAX_BROKERS 16
#define CLUSTER_NAME_MAX    16

/* One librdkafka mock cluster and the handle whose thread runs it. */
struct cluster {
	char name[CLUSTER_NAME_MAX];               /* "legacy" or "target" */
	rd_kafka_t *rk;                            /* hosts the mock thread, never connects */
	rd_kafka_mock_cluster_t *mock;             /* NULL until started */
	int broker_cnt;                            /* brokers are numbered 1..broker_cnt */
	int ports[CLUSTER_MAX_BROKERS];            /* ports[i] belongs to broker i + 1 */
	char bootstraps[CLUSTER_MAX_BROKERS * 24]; /* "127.0.0.1:p1,..." */
};

/* Start a mock cluster of broker_cnt brokers. On failure writes a reason to
 * err and leaves c stopped. */
int cluster_start(struct cluster *c, const char *name, int broker_cnt, char *err, size_t errlen);

/* Work around mock bugs that break ordinary clients; returns a short
 * description of what was changed ("" if nothing) or NULL on failure. */
const char *cluster_fix_quirks(struct cluster *c);

/* Destroy the mock cluster and its handle. Safe on a stopped cluster. */
void cluster_stop(struct cluster *c);

/* Listen port of broker_id, or -1 if there is no such broker. */
int cluster_broker_port(const struct cluster *c, int broker_id);

/* 1 if name is a legal Kafka topic name. */
int cluster_topic_name_ok(const char *name);

/* Create a topic; rf <= 0 means "as many replicas as brokers, at most 3". */
rd_kafka_resp_err_t cluster_topic_create(struct cluster *c, const char *topic, int partitions,
                                         int rf);

#endif
