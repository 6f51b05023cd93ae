/*
 * A background reader of one MM2 internal topic (checkpoints or
 * offset-syncs): a librdkafka consumer with a manual assignment of partition
 * 0 from the beginning (MM2 writes only partition 0), no consumer group, and
 * a thread that decodes every record into the shared mm2_store.
 */
#ifndef TURNOUT_ROUTING_MM2_READER_H
#define TURNOUT_ROUTING_MM2_READER_H

#include <stddef.h>

#include "proxy/config.h"
#include "routing/mm2_store.h"

typedef enum mm2_reader_kind { MM2_READER_CHECKPOINTS, MM2_READER_OFFSET_SYNCS } mm2_reader_kind;

typedef struct mm2_reader mm2_reader;

/* Starts reading topic on cluster (cluster_name for messages). Returns NULL
 * and writes err if the client or thread cannot be created. */
mm2_reader *mm2_reader_start(mm2_reader_kind kind, const char *topic, const config_cluster *cluster,
                             const char *cluster_name, mm2_store *store, char *err, size_t errlen);
/* 1 once the topic has been read to its end at least once. Any thread. */
int mm2_reader_ready(mm2_reader *r);
/* What a reader has done so far, for metrics and status. Any thread. */
typedef struct mm2_reader_progress {
	const char *kind;       /* "checkpoints" or "offset_syncs" (static) */
	char topic[256];        /* */
	char cluster[32];       /* "legacy" or "target" */
	int ready;              /* read to the end at least once */
	long long applied;      /* records applied */
	long long bad;          /* records skipped as malformed */
	long long position;     /* next offset to read */
	long long newest_ms;    /* newest record timestamp read (ms since the epoch); -1 none */
	long long caught_up_ms; /* when it last reached the end (wall clock ms); -1 never */
} mm2_reader_progress;
void mm2_reader_progress_get(mm2_reader *r, mm2_reader_progress *out);
/* One line for an operator: topic, cluster, progress and the last error. */
void mm2_reader_describe(mm2_reader *r, char *buf, size_t len);
/* Stops the thread, closes the client, frees r. NULL is fine. */
void mm2_reader_stop(mm2_reader *r);

#endif
