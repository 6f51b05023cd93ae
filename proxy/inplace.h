/*
 * Broker ids and addresses in Metadata, Produce (v10+) and Fetch (v12+)
 * responses, rewritten where the response lies in the upstream's input
 * buffer: record batches and partition lists are never linearised, copied
 * or decoded into structures.
 */
#ifndef TURNOUT_PROXY_INPLACE_H
#define TURNOUT_PROXY_INPLACE_H

#include <event2/buffer.h>
#include <stdbool.h>

#include "proxy/rewrite.h"

/* Whether inplace_move handles responses of this api/version. */
bool inplace_handles(int16_t api, int16_t version);

/*
 * Moves the response frame (size prefix included) at the front of src, len
 * bytes, to dst, with what rewrite_response would change changed: node ids
 * (fixed size) are mapped where they lie; the Metadata broker list and the
 * NodeEndpoints tagged field are re-encoded with turnout's addresses;
 * everything else moves as libevent chains. The result is byte for byte
 * what decoding and re-encoding would give a well-formed response. On a
 * malformed response returns -1 with err filled and leaves src and dst as
 * they were (except for ids and epochs already rewritten in src).
 */
int inplace_move(int16_t api, int16_t version, int cluster, struct evbuffer *src, size_t len,
                 const rewrite_map *map, struct evbuffer *dst, char *err, size_t errlen);

#endif
