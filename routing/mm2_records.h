/*
 * MirrorMaker 2's checkpoint and offset-sync records: decoders that accept
 * exactly MM2's layout and reject everything else with a reason, and the
 * matching encoders (used by tests and fuzz seeds).
 *
 * Layouts (big-endian, Kafka's old non-flexible "Struct" encoding):
 *   checkpoint key   = group STRING, topic STRING, partition INT32
 *   checkpoint value = version INT16 (= 0), upstreamOffset INT64,
 *                      offset INT64, metadata STRING
 *   offset-sync key  = topic STRING, partition INT32
 *   offset-sync value= upstreamOffset INT64, offset INT64
 * where STRING = INT16 length (>= 0) + UTF-8 bytes.
 */
#ifndef TURNOUT_ROUTING_MM2_RECORDS_H
#define TURNOUT_ROUTING_MM2_RECORDS_H

#include <stddef.h>
#include <stdint.h>

/* Bytes inside the decoded record; valid as long as the record is. */
typedef struct mm2_bytes {
	const char *ptr;
	size_t len;
} mm2_bytes;

typedef struct mm2_checkpoint {
	mm2_bytes group;    /* consumer group id */
	mm2_bytes topic;    /* target-side (renamed) topic */
	int32_t partition;  /* >= 0 */
	int64_t upstream;   /* group's committed offset on the source, >= 0 */
	int64_t downstream; /* MM2's translation on the target, >= 0 */
	mm2_bytes metadata; /* commit metadata copied from the source */
} mm2_checkpoint;

typedef struct mm2_offset_sync {
	mm2_bytes topic;    /* source-side topic */
	int32_t partition;  /* >= 0 */
	int64_t upstream;   /* offset of the mirrored record on the source */
	int64_t downstream; /* offset it was written at on the target */
} mm2_offset_sync;

/*
 * Decode one record. key/val may be NULL (a tombstone). Returns 0, or -1 and
 * points *why at a static reason ("truncated key", "checkpoint version 3",
 * ...). Nothing is allocated; out points into key/val.
 */
int mm2_checkpoint_decode(const void *key, size_t klen, const void *val, size_t vlen,
                          mm2_checkpoint *out, const char **why);
int mm2_offset_sync_decode(const void *key, size_t klen, const void *val, size_t vlen,
                           mm2_offset_sync *out, const char **why);

/* Encoders: write key and value; return 0, or -1 if a buffer is too small or
 * a string is longer than 32767 bytes. klen and vlen get the lengths. */
int mm2_checkpoint_encode(const mm2_checkpoint *cp, uint8_t *key, size_t kcap, size_t *klen,
                          uint8_t *val, size_t vcap, size_t *vlen);
int mm2_offset_sync_encode(const mm2_offset_sync *os, uint8_t *key, size_t kcap, size_t *klen,
                           uint8_t *val, size_t vcap, size_t *vlen);

#endif
