/*
 * The sequence rule turnout keeps for one partition of an idempotent
 * producer whose id it translates on a cluster (producer_flip.c). Pure
 * bookkeeping, no sockets: unit tested.
 *
 * A Kafka leader accepts a batch only at the sequence after the last one
 * it wrote, and clients rely on it: librdkafka takes the success of a
 * later batch as proof that every earlier one was written ("implicit
 * ack") and reports them delivered. A cluster that sees the producer for
 * the first time cannot know that sequence, so turnout keeps it:
 *
 *   hole   the lowest client sequence turnout itself refused
 *          (NOT_LEADER_OR_FOLLOWER: a Produce that reached the cluster the
 *          route left, or a batch refused here) and that has not been
 *          forwarded since: the client will send it again.
 *   base   the client sequence that maps to 0 on the cluster (the first
 *          batch forwarded there), next the client sequence after the
 *          last batch forwarded there.
 *
 * A batch starting after the hole (before a first batch went there) or
 * after next is a gap: it is refused with NOT_LEADER_OR_FOLLOWER (the
 * client retries it, earlier records first) instead of being written
 * ahead of records the client still holds. A gap that lasts wait_ms (a
 * hole: wait_ms after its refusal) is let through: the client gave those
 * records up, or sent them elsewhere (the route came back before it
 * retried).
 */
#ifndef TURNOUT_PROXY_PRODSEQ_H
#define TURNOUT_PROXY_PRODSEQ_H

#include <stdint.h>

#include "proxy/config.h"

typedef struct prodseq {
	int32_t base[CLUSTER_COUNT]; /* client sequence that maps to 0 there */
	int32_t next[CLUSTER_COUNT]; /* client sequence after the last batch sent there */
	uint8_t has_base[CLUSTER_COUNT];
	uint8_t has_hole;
	uint8_t gapping; /* batches are being refused as a gap, since gap_ms */
	int32_t hole;    /* lowest sequence refused by turnout, not sent since */
	int64_t hole_ms; /* when a batch at or before the hole was last refused */
	int64_t gap_ms;
} prodseq;

typedef enum {
	PRODSEQ_SEND,    /* in order: forward */
	PRODSEQ_GAP,     /* earlier records are still with the client: refuse */
	PRODSEQ_GAVE_UP, /* a gap older than wait_ms: forward anyway */
} prodseq_verdict;

/* Whether the batch starting at client sequence seq may go to cluster k at
 * now_ms. *expected: the sequence a batch there should start at (the hole
 * or next; -1 if any). */
prodseq_verdict prodseq_check(prodseq *q, int k, int32_t seq, int64_t now_ms, int64_t wait_ms,
                              int32_t *expected);

/* The batch [seq, seq + count) goes to k: returns the sequence to write
 * there (seq - base; negative for a batch older than the first one there). */
int32_t prodseq_sent(prodseq *q, int k, int32_t seq, int32_t count);

/* turnout answered the batch starting at seq itself, at now_ms, without
 * writing it. */
void prodseq_refused(prodseq *q, int32_t seq, int64_t now_ms);

/* k's id is replaced by a fresh one: its first batch sets a new base. */
void prodseq_forget(prodseq *q, int k);

#endif
