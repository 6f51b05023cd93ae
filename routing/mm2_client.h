/*
 * turnout's own Kafka client for one cluster, used while translating: read
 * a range of records (as fingerprints for verify.c), ask a partition's end
 * offset and a topic's partition count, read and write a group's committed
 * offsets. Every call blocks (bounded by a timeout): call from a worker
 * thread only, never from the event loop. One client is used by one thread
 * at a time.
 */
#ifndef TURNOUT_ROUTING_MM2_CLIENT_H
#define TURNOUT_ROUTING_MM2_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "routing/verify.h"

typedef struct mm2_client mm2_client;

mm2_client *mm2_client_new(const config_cluster *cluster, const char *name, char *err,
                           size_t errlen);
void mm2_client_free(mm2_client *c);
/* The last asynchronous error librdkafka reported ("" if none). */
void mm2_client_last_error(mm2_client *c, char *buf, size_t len);

/*
 * Reads records of topic/partition starting at offset start into a malloc'd
 * array (*out, *n). Stops after max records, after `extra` records at or
 * past `bound` (bound < 0: no such stop), or at the partition's end
 * (*at_end = 1). Returns 0, or -1 with err (timeout, offset out of range...).
 */
int mm2_client_read(mm2_client *c, const char *topic, int32_t partition, int64_t start, size_t max,
                    int64_t bound, size_t extra, int timeout_ms, verify_rec **out, size_t *n,
                    int *at_end, char *err, size_t errlen);

/* High watermark (end offset) of a partition. */
int mm2_client_end_offset(mm2_client *c, const char *topic, int32_t partition, int timeout_ms,
                          int64_t *end, char *err, size_t errlen);

/* Number of partitions of topic (0 if the topic does not exist). */
int mm2_client_partitions(mm2_client *c, const char *topic, int timeout_ms, int *count, char *err,
                          size_t errlen);

/*
 * A group's committed offsets for the given partitions (NULL: every partition
 * the broker knows for the group). *out gets a new list; partitions without
 * a commit have offset RD_KAFKA_OFFSET_INVALID (-1001).
 */
int mm2_client_committed(mm2_client *c, const char *group,
                         const rd_kafka_topic_partition_list_t *parts, int timeout_ms,
                         rd_kafka_topic_partition_list_t **out, char *err, size_t errlen);

/* Commits offsets (with metadata) for a group that has no active members
 * (the broker rejects it otherwise). Per-partition errors are in err. */
int mm2_client_commit(mm2_client *c, const char *group,
                      const rd_kafka_topic_partition_list_t *offsets, int timeout_ms, char *err,
                      size_t errlen);

/* A group's state on the cluster as DescribeGroups reports it. */
typedef struct mm2_group_state {
	int unsupported; /* the cluster cannot describe groups (no DescribeGroups) */
	char state[32];  /* "Empty", "Stable", "PreparingRebalance", "Dead", ... */
	int members;
	char who[512]; /* members as client_id@host, comma-separated, truncated */
} mm2_group_state;

/* Describes group; 0 with *out filled (out->unsupported set when the
 * broker lacks the api: out->state is then empty), -1 with err. */
int mm2_client_group_state(mm2_client *c, const char *group, int timeout_ms, mm2_group_state *out,
                           char *err, size_t errlen);

/*
 * Commits offsets as a member of group: joins it subscribed to the offsets'
 * topics, waits for an assignment, commits with that generation, leaves.
 * For brokers that refuse a commit without a generation on a group that
 * ever had members (librdkafka's mock) and cannot say whether the group is
 * empty; never used where DescribeGroups answers.
 */
int mm2_client_commit_as_member(mm2_client *c, const char *group,
                                const rd_kafka_topic_partition_list_t *offsets, int timeout_ms,
                                char *err, size_t errlen);

#endif
