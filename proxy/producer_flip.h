/*
 * Flipping producers: what turnout does so that a producer route change
 * (routes.producers, per service and per topic) moves an application's
 * producers live without loss, duplicates or errors it would see.
 *
 *   drain     at the reload, Produce requests already in flight to the
 *             cluster a route leaves are marked; Produce requests on
 *             connections to the cluster it joins wait (the client is not
 *             read) until every marked one has been answered, at most
 *             request_timeout_ms. Requests for a moved topic that reach
 *             the old leader get NOT_LEADER_OR_FOLLOWER (route.c), so the
 *             client refreshes metadata and retries on the new leader.
 *   producer  an idempotent producer keeps the id and epoch it got from
 *   ids       one cluster's InitProducerId (turnout notes which cluster
 *             issued each id). Where it produces to the other cluster,
 *             turnout gets an id of that cluster with its own
 *             InitProducerId and rewrites each batch's producer id, epoch
 *             and base sequence (rebased to 0 per partition, CRC
 *             recomputed), so the new cluster sees a well-formed new
 *             producer and keeps de-duplicating retries; the client never
 *             re-initialises and never sees OUT_OF_ORDER_SEQUENCE or
 *             UNKNOWN_PRODUCER_ID. A partition that comes back (rollback)
 *             is translated to a fresh id of the cluster it returns to.
 *
 * Transactional producers are not translated: they move between
 * transactions (prodflip_txn; README, "Flipping producers"). All state
 * lives on the event loop.
 */
#ifndef TURNOUT_PROXY_PRODUCER_FLIP_H
#define TURNOUT_PROXY_PRODUCER_FLIP_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "wire/header.h"

typedef struct proxy proxy;
typedef struct client client;
typedef struct prodflip prodflip;

int prodflip_start(proxy *px);
void prodflip_stop(proxy *px);

/* An InitProducerId answer (frame with size prefix) a client asked cluster
 * for: the id it names was issued by cluster. */
void prodflip_saw_init(proxy *px, int cluster, int16_t version, const uint8_t *frame, size_t len);

/* A Produce request (size bytes after the prefix) at the front of in.
 * 0: go on (its batches may have been rewritten in place); 1: held, the
 * client is not read until turnout resumes it and the request is handled
 * again; 2: a batch starts after records the client still holds (a
 * sequence gap, prodseq.h): answer NOT_LEADER_OR_FOLLOWER, untouched;
 * -1 with why: close the client. */
int prodflip_produce(client *c, const wire_req_header *h, struct evbuffer *in, int32_t size,
                     char *why, size_t whylen);

/*
 * Transactions are never split and never translated: a transaction open
 * at the flip finishes (EndTxn) where it began; a new one (its first
 * AddPartitionsToTxn / AddOffsetsToTxn) reaching the cluster the
 * producers left gets NOT_COORDINATOR, so the client finds the
 * coordinator where they go now. 1: answered (frame consumed), 0: go on,
 * -1 with why: close the client.
 */
typedef struct pending pending;
int prodflip_txn(client *c, const wire_req_header *h, pending *p, struct evbuffer *in, int32_t size,
                 char *why, size_t whylen);

/* An InitProducerId request at the front of in: an epoch bump of an id
 * another cluster issued becomes a first initialisation here (rewritten
 * in place). */
void prodflip_init_request(client *c, const wire_req_header *h, struct evbuffer *in, int32_t size);

/* turnout answered this Produce request itself (NOT_LEADER_OR_FOLLOWER),
 * writing none of its batches: each is a hole its partition's sequence
 * must not skip on the cluster the producer writes to next. */
typedef struct wire_produce_req wire_produce_req;
void prodflip_refused(proxy *px, const wire_produce_req *rq);

/* A reload replaced old with px->cfg: start draining where routes moved. */
void prodflip_reloaded(proxy *px, const config *old);
/* A Produce marked by prodflip_reloaded was answered or dropped. */
void prodflip_barrier_done(proxy *px);

/* Counters for logs and tests. */
typedef struct prodflip_stats {
	unsigned long ids_issued;     /* InitProducerId answers seen */
	unsigned long ids_mapped;     /* ids turnout got for a client's producer */
	unsigned long batches_mapped; /* batches rewritten */
	unsigned long drains;         /* route changes that waited for requests */
	unsigned long held;           /* Produce requests held (drain or id) */
	unsigned long behind_base;    /* a batch older than its partition's first */
	unsigned long gaps;           /* requests refused for a sequence gap */
} prodflip_stats;
void prodflip_get_stats(const proxy *px, prodflip_stats *out);

#endif
