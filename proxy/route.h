/*
 * Request routing: for each client request, which cluster answers it.
 *
 *   Metadata          each topic from the cluster view_topic() names; one or
 *                     two upstream requests, merged (merge.c)
 *   FindCoordinator   groups: where the group is served; transactional
 *                     ids: where the producers go
 *   group-keyed       JoinGroup ... OffsetFetch: to the group's cluster; a
 *                     request that reached the other cluster's coordinator
 *                     gets NOT_COORDINATOR (commits and leaves are forwarded
 *                     where they were sent: errors are never injected on
 *                     commits, reference §7.3)
 *   Produce, Fetch,   to the broker the client chose (leaders turnout
 *   ListOffsets       advertised); when routes are mixed, a topic served by
 *                     the other cluster gets NOT_LEADER_OR_FOLLOWER so the
 *                     client refreshes its metadata
 *   InitProducerId    idempotent producers: the producers' cluster
 *   everything else   the broker behind the listener
 */
#ifndef TURNOUT_PROXY_ROUTE_H
#define TURNOUT_PROXY_ROUTE_H

#include "proxy/client.h"

/* The request frame (4 + size bytes) is at the front of in and is consumed
 * (moved upstream or drained). p is NULL for requests without a response.
 * Returns -1 with why when the client must be closed. */
int route_request(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                  int32_t size, char *why, size_t whylen);

/* Answers the Produce request at the front of in NOT_LEADER_OR_FOLLOWER
 * without forwarding it (a sequence gap, producer_flip.h), consuming it. */
int route_refuse_produce(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                         int32_t size, char *why, size_t whylen);

#endif
