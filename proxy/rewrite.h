/*
 * Response rewriting: every broker id, host and port a response carries is
 * replaced by turnout's virtual broker, so clients only ever see turnout.
 * Pure: the caller supplies the broker map through rewrite_map.
 */
#ifndef TURNOUT_PROXY_REWRITE_H
#define TURNOUT_PROXY_REWRITE_H

#include <stdbool.h>

#include "wire/msg.h"

typedef struct rewrite_map {
	void *ctx;
	/* Virtual id for a real broker of cluster (assigned on first sight). */
	int32_t (*vid)(void *ctx, int cluster, int32_t node_id);
	/* A response told us where a real broker listens. */
	void (*learn)(void *ctx, int cluster, int32_t node_id, wire_str host, int32_t port);
	/* Where clients reach virtual broker vid; 0 on success. */
	int (*advertise)(void *ctx, int32_t vid, wire_str *host, int32_t *port);
} rewrite_map;

/* Whether responses of this api/version carry broker ids or endpoints. */
bool rewrite_needed(int16_t api, int16_t version);

/* Rewrites a decoded response of api/version in place; -1 when a broker
 * has no virtual listener. */
int rewrite_msg(int16_t api, int16_t version, int cluster, void *msg, const rewrite_map *map);

/*
 * Decodes a response body (bytes after the response header), rewrites it and
 * encodes it into out (a zero-copy writer: record batches stay references
 * into body). Bytes after the body that a peer sent are kept. Returns -1 and
 * fills err if the body does not decode.
 */
int rewrite_response(int16_t api, int16_t version, int cluster, const uint8_t *body, size_t len,
                     const rewrite_map *map, wire_wr *out, char *err, size_t errlen);

/*
 * Clients see no leader epochs (see metadata), so the CurrentLeaderEpoch a
 * client puts in a Fetch request is not the broker's: librdkafka 2.x sends 0
 * for an unknown epoch once the broker speaks Metadata v9+, and a broker
 * whose epoch went past 0 would fence every such fetch. Sets each one of a
 * Fetch request (req: the frame after its size) to -1, "do not check", in
 * place. Returns how many were changed, 0 for other apis and versions, -1 if
 * the request does not parse (it is left to the broker to judge).
 */
int rewrite_fetch_epochs(uint8_t *req, size_t len);

#endif
