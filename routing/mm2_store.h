/*
 * What turnout knows from MirrorMaker 2: per source partition the sync
 * history, per (group, target topic, partition) the latest checkpoint, and
 * counts of records applied and skipped.
 *
 * Threads: the two reader threads (mm2_reader.c) write; translation workers
 * and the proxy's event loop read. One mutex guards everything. Writers hold
 * it while applying one decoded record (a few hundred ns: at most one
 * 64-slot array repair); readers hold it only to copy a history (1.5 KB) or
 * a checkpoint out. Nothing returned points into the store, so a reader never
 * sees a half-applied record and never holds the lock while doing I/O. The
 * event loop may call the getters here; the wait is bounded by one record's
 * application.
 */
#ifndef TURNOUT_ROUTING_MM2_STORE_H
#define TURNOUT_ROUTING_MM2_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "routing/mm2_records.h"
#include "routing/translate.h"

typedef struct mm2_store mm2_store;

typedef struct mm2_store_counts {
	uint64_t syncs;           /* offset-sync records applied */
	uint64_t checkpoints;     /* checkpoint records applied */
	uint64_t bad_syncs;       /* offset-sync records skipped as malformed */
	uint64_t bad_checkpoints; /* checkpoint records skipped as malformed */
	uint64_t sync_partitions; /* source partitions with a history */
	uint64_t checkpoint_keys; /* (group, topic, partition) with a checkpoint */
} mm2_store_counts;

mm2_store *mm2_store_new(void);
void mm2_store_free(mm2_store *s);

/* Writers. Return 0, or -1 when out of memory (the record is dropped). */
int mm2_store_add_sync(mm2_store *s, const mm2_offset_sync *os);
int mm2_store_add_checkpoint(mm2_store *s, const mm2_checkpoint *cp);
void mm2_store_count_bad(mm2_store *s, int is_checkpoint);

/* Readers: copy out. Return 1 if found, 0 if not. */
int mm2_store_history(mm2_store *s, const char *topic, int32_t partition, translate_history *out);
/* meta gets the commit metadata (truncated to metalen - 1 bytes, NUL-terminated). */
int mm2_store_checkpoint(mm2_store *s, const char *group, const char *topic, int32_t partition,
                         translate_checkpoint *out, char *meta, size_t metalen);
/* The distinct source topics that have syncs, as a malloc'd array of
 * malloc'd strings (free with mm2_store_free_names). Returns -1 on OOM. */
int mm2_store_sync_topics(mm2_store *s, char ***names, size_t *n);
/* The distinct (target-side) topics with a checkpoint for group, the same way. */
int mm2_store_checkpoint_topics(mm2_store *s, const char *group, char ***names, size_t *n);
void mm2_store_free_names(char **names, size_t n);
void mm2_store_counts_get(mm2_store *s, mm2_store_counts *out);

#endif
