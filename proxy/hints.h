/*
 * KIP-951 leader hints in Produce (v10+) and Fetch (v12+) responses,
 * rewritten where the response lies in the upstream's input buffer: record
 * batches are skipped by their length, never read, copied or linearised.
 */
#ifndef TURNOUT_PROXY_HINTS_H
#define TURNOUT_PROXY_HINTS_H

#include <event2/buffer.h>
#include <stdbool.h>

#include "proxy/rewrite.h"

/* Whether hints_move handles responses of this api/version. */
bool hints_handles(int16_t api, int16_t version);

/*
 * Moves the response frame (size prefix included) at the front of src, len
 * bytes, to dst: CurrentLeader ids are mapped in place and NodeEndpoints is
 * re-encoded with turnout's addresses; everything else moves as libevent
 * chains. On a malformed response returns -1 with err filled and leaves src
 * and dst as they were (ids may already be patched in src).
 */
int hints_move(int16_t api, int16_t version, int cluster, struct evbuffer *src, size_t len,
               const rewrite_map *map, struct evbuffer *dst, char *err, size_t errlen);

#endif
