/*
 * Record batches (magic 2) inside a Produce request's records field: walk
 * them and rewrite the idempotence fields in place (producer id, epoch,
 * base sequence), recomputing the CRC-32C the broker checks. Pure byte
 * work, no sockets: used by producer_flip.c, unit tested and fuzzed.
 *
 *   offset  0 baseOffset int64       21 attributes int16  (CRC covers 21..end)
 *           8 batchLength int32      43 producerId int64
 *          16 magic int8             51 producerEpoch int16
 *          17 crc uint32             53 baseSequence int32, 57 record count
 */
#ifndef TURNOUT_PROXY_RECBATCH_H
#define TURNOUT_PROXY_RECBATCH_H

#include <stddef.h>
#include <stdint.h>

enum { RECBATCH_HEADER = 61 };

typedef struct recbatch_ids {
	int64_t producer_id; /* -1: not idempotent */
	int16_t epoch;
	int32_t base_sequence;
	int32_t count; /* records in the batch */
	int transactional;
} recbatch_ids;

uint32_t recbatch_crc32c(const uint8_t *p, size_t n);

/* Reads the ids of the first batch of p[0..len). 0 on success, -1 when p
 * does not start with a whole magic-2 batch header. */
int recbatch_first(const uint8_t *p, size_t len, recbatch_ids *out);

/*
 * Calls fn for each whole magic-2 batch in p[0..len); fn may change *ids
 * (producer_id, epoch, base_sequence); a changed batch is written back and
 * its CRC recomputed. Returns the number of batches, -1 if the bytes are
 * not a sequence of whole batches, or fn's non-zero return.
 */
typedef int (*recbatch_fn)(void *arg, recbatch_ids *ids);
int recbatch_rewrite(uint8_t *p, size_t len, recbatch_fn fn, void *arg);

/* The same walk, read-only: fn sees each batch's ids, nothing is written. */
typedef int (*recbatch_look_fn)(void *arg, const recbatch_ids *ids);
int recbatch_each(const uint8_t *p, size_t len, recbatch_look_fn fn, void *arg);

#endif
