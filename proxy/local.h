/*
 * Answers turnout gives itself instead of forwarding: an error for every
 * part of a request, encoded at the request's version. Used when a request
 * reached the wrong cluster for the current routes (NOT_COORDINATOR for a
 * group served elsewhere, NOT_LEADER_OR_FOLLOWER for a topic served
 * elsewhere); clients treat both as "refresh and retry" (reference §7).
 */
#ifndef TURNOUT_PROXY_LOCAL_H
#define TURNOUT_PROXY_LOCAL_H

#include "wire/arena.h"
#include "wire/header.h"

enum {
	KERR_NOT_LEADER_OR_FOLLOWER = 6,
	KERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
	KERR_NOT_COORDINATOR = 16,
	KERR_UNKNOWN_MEMBER_ID = 25,
	KERR_MEMBER_ID_REQUIRED = 79,
	KERR_FETCH_SESSION_ID_NOT_FOUND = 70,
};

/* req is the decoded request of h's api; writes the whole response frame
 * (size prefix included) to w. Supports JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetFetch, OffsetCommit, DescribeGroups, Produce, Fetch and ListOffsets. */
int local_error(const wire_req_header *h, const void *req, int16_t error, wire_arena *a,
                wire_wr *w);

/* A Fetch response with FETCH_SESSION_ID_NOT_FOUND and no partitions. */
int local_fetch_session_reset(const wire_req_header *h, wire_wr *w);

#endif
