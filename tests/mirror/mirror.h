/*
 * mm2mirror: a test peer that mirrors topics from the legacy to the target
 * cluster the way MirrorMaker 2's MirrorSourceConnector and
 * MirrorCheckpointConnector do, so turnout's offset translation can be tested
 * against MM2's real output without a JVM. It is a client of the mock
 * clusters, not a broker.
 */
#ifndef TURNOUT_TESTS_MIRROR_H
#define TURNOUT_TESTS_MIRROR_H

/* librdkafka 2.15's rdkafka.h declares a "const int" return type, which
 * -Wextra -Werror rejects; the header is not ours to fix. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#endif
#include <librdkafka/rdkafka.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "routing/translate.h"

#define MIRROR_MAX_TOPICS 16
#define MIRROR_MAX_PARTS  64 /* per topic */
#define MIRROR_MAX_GROUPS 32

/* Options, as MM2 settings where there is one. */
typedef struct mirror_opts {
	const char *legacy, *target; /* bootstrap servers */
	const char *source_alias;    /* source.cluster.alias */
	const char *target_alias;    /* target.cluster.alias */
	int default_policy;          /* 1: DefaultReplicationPolicy, 0: Identity */
	const char *separator;       /* replication.policy.separator */
	int syncs_on_target;         /* offset-syncs.topic.location=target */
	long offset_lag_max;         /* offset.lag.max */
	long flush_interval_ms;      /* offset.flush.interval.ms; 0: only on "flush" */
	long checkpoint_interval_ms; /* emit.checkpoints.interval; 0: only on "checkpoint" */
	long drop_every;             /* SMT-like: drop source offsets o with (o+1) % N == 0 */
	const char *filter_key;      /* SMT-like: drop records with this key */
	long pre_existing;           /* records written to each target partition first */
	const char *map_path;        /* ground truth log */
} mirror_opts;

/* MM2's OffsetSyncWriter.PartitionState, plus the delayed sync. */
typedef struct mirror_part {
	int32_t partition;
	int64_t next;           /* next source offset to consume */
	int64_t inflight;       /* produced, not yet acknowledged */
	int64_t prev_up;        /* previousUpstreamOffset */
	int64_t prev_down;      /* previousDownstreamOffset */
	int64_t last_sync_down; /* lastSyncDownstreamOffset */
	int has_delayed;        /* a sync waits for the next commit (flush) */
	int64_t delayed_up, delayed_down;
	translate_history syncs; /* what MM2's checkpoint task knows (syncs sent) */
	uint64_t sync_ids;
	int64_t mirrored, dropped;
} mirror_part;

typedef struct mirror_topic {
	char name[250];   /* on legacy */
	char remote[250]; /* on target */
	int nparts;
	mirror_part parts[MIRROR_MAX_PARTS];
	rd_kafka_topic_t *rkt; /* legacy consumer handle */
} mirror_topic;

/* The last checkpoint emitted per (group, topic, partition). */
typedef struct mirror_last_cp {
	int set;
	int64_t up, down;
} mirror_last_cp;

typedef struct mirror_group {
	char name[256];
	mirror_last_cp last[MIRROR_MAX_TOPICS][MIRROR_MAX_PARTS];
} mirror_group;

typedef struct mirror {
	mirror_opts o;
	rd_kafka_t *consumer;      /* legacy, simple consumer API */
	rd_kafka_queue_t *cq;      /* all legacy partitions */
	rd_kafka_t *data;          /* target producer for mirrored records */
	rd_kafka_t *internal[2];   /* [0] legacy, [1] target: syncs and checkpoints */
	rd_kafka_queue_t *admin_q; /* on consumer: ListConsumerGroupOffsets */
	char syncs_topic[250];
	char checkpoints_topic[250];
	mirror_topic topics[MIRROR_MAX_TOPICS];
	int ntopics;
	mirror_group groups[MIRROR_MAX_GROUPS];
	int ngroups;
	int paused;
	int64_t syncs_sent, syncs_acked, checkpoints_sent, internal_errors, data_errors;
	FILE *map;
} mirror;

/* mirror_records.c: MM2's binary layouts. Return the length, 0 if too small. */
size_t mirror_enc_sync_key(uint8_t *buf, size_t cap, const char *topic, int32_t partition);
size_t mirror_enc_sync_value(uint8_t *buf, size_t cap, int64_t up, int64_t down);
size_t mirror_enc_checkpoint_key(uint8_t *buf, size_t cap, const char *group, const char *topic,
                                 int32_t partition);
size_t mirror_enc_checkpoint_value(uint8_t *buf, size_t cap, int64_t up, int64_t down,
                                   const char *metadata, size_t mlen);

/* mirror_copy.c */
int mirror_copy_start(mirror *m, char *err, size_t errlen);
int mirror_add_topic(mirror *m, const char *name, char *err, size_t errlen);
/* Consumes and produces what is available; returns records handled. */
int mirror_copy_step(mirror *m, int timeout_ms);
/* Sends the delayed syncs (MM2's commit()). */
void mirror_flush_syncs(mirror *m);
/* 1 when everything on legacy up to its current end is mirrored and every
 * sync is acknowledged. */
int mirror_caught_up(mirror *m, const int64_t *ends);
void mirror_serve(mirror *m, int timeout_ms);

/* mirror_checkpoint.c: one round of MirrorCheckpointTask.poll(). Returns the
 * number of checkpoints emitted, -1 on error (err). */
int mirror_checkpoint_round(mirror *m, char *err, size_t errlen);

#endif
