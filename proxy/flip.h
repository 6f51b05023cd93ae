/*
 * The live flip driver: moves one consumer group between clusters while its
 * members keep running (the I/O of routing/cutover.h's states).
 *
 *   reload wants G elsewhere -> flip_begin: FREEZING (fetches of G's topics
 *   held, commits still reach the old cluster) -> quiet or deadline:
 *   RELEASING (G fenced on the old cluster for this sidecar's members; each
 *   of them is made to leave the old group with a LeaveGroup turnout sends
 *   on the member's own coordinator connection, flip_members.c) -> every
 *   member gone: SNAPSHOT (the other sidecars' records on the control
 *   topic say when every sidecar let go, flip_coord.c; then either a peer
 *   seeds and this one follows, or this one does on the engine worker: read
 *   the final commits, translate, judge (routing/flip_plan.h), seed on the
 *   new cluster) -> the
 *   loop applies the outcome: SERVING(to) with the members settling, or
 *   cutover_fail back to SERVING(from).
 *
 * The engine's worker thread only fills a finished job and queues it under a
 * mutex; a 100 ms timer on the event loop applies queued jobs and ends
 * freezes, so group state is only touched on the loop.
 */
#ifndef TURNOUT_PROXY_FLIP_H
#define TURNOUT_PROXY_FLIP_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "proxy/groups.h"
#include "wire/prim.h"

typedef struct proxy proxy;
typedef struct client client;
typedef struct flip_ctl flip_ctl;
struct wire_offset_fetch_req;

/* Starts the translation engine when px->cfg has "mirror" (px->flip stays
 * NULL otherwise). The engine keeps reading px->cfg's settings: that config
 * is then owned by px->flip (see flip_keeps_config). */
int flip_start(proxy *px, char *err, size_t errlen);
/* Stops the engine (its queued jobs end as failures) and frees everything. */
void flip_stop(proxy *px);
/* 1 if cfg must not be freed by a reload: the engine still reads it. */
int flip_keeps_config(const proxy *px, const config *cfg);

/* Why groups cannot be flipped at all in this process; NULL if they can. */
const char *flip_unavailable(const proxy *px);
/* The routes now want g on `want` (!= g->cluster): begins a flip unless one
 * is under way (that one finishes first, then the route is looked at again). */
void flip_begin(proxy *px, group_rt *g, int want);
/* Group requests for g at the old cluster answered locally while fenced. */
int flip_fenced(const group_rt *g);

/* ---- members (flip_members.c) ---- */

/* A group request of member `member` reached g's coordinator through c:
 * the member is recorded; while g is RELEASING, its LeaveGroup goes out now
 * if it has not yet. */
void flip_member_seen(proxy *px, group_rt *g, client *c, wire_str member, wire_str instance);
/* Sends LeaveGroup for every member of g at g's cluster not yet asked;
 * returns how many are still in the old group (asked, no answer yet). A
 * member whose connection has closed is not waited for: it cannot commit,
 * its session at the old coordinator ends by itself, and if it comes back
 * its first request names it and it is asked then. */
size_t flip_release_members(proxy *px, group_rt *g);
/* The members of g that have not left its cluster yet, for a message. */
void flip_members_left_behind(proxy *px, const group_rt *g, char *buf, size_t len);
/* 1 if member is one that left the old cluster in the flip g is settling
 * from: the new coordinator never knew it (route.c answers
 * UNKNOWN_MEMBER_ID so it rejoins and reads the seeded offsets). */
int flip_member_gone(const group_rt *g, wire_str member);
/* The answer from cluster (the whole frame) to a JoinGroup that named no
 * member: the id its coordinator just handed out names a new member there,
 * even when a member of the old cluster had the same id (librdkafka's mock
 * clusters share one process and name members by address), so it is no
 * longer taken for gone. A JoinGroup naming a gone id is refused instead
 * (route.c). */
void flip_saw_join(proxy *px, int cluster, int16_t version, const uint8_t *frame, size_t len);
/* The answer from cluster (the whole frame) to a SyncGroup of g, sent while
 * g settles there through connection client_id: its assignment is what
 * that member must read offsets for (flip_positions.h). */
void flip_saw_sync(group_rt *g, int client_id, int cluster, int16_t version, const uint8_t *frame,
                   size_t len);
/* An OffsetFetch request of g through connection client_id at g's cluster:
 * while settling, the partitions it reads are noted, and the connection
 * counts as back (flip_member_resumed) once it has read all it was
 * assigned. */
void flip_member_offsets(proxy *px, group_rt *g, int client_id, int16_t version,
                         const struct wire_offset_fetch_req *rq);
/* A Heartbeat of g through client_id while settling: 1 when it must be
 * told UNKNOWN_MEMBER_ID because the member kept positions from before the
 * flip (flip_positions.h; logged). */
int flip_member_kept_positions(group_rt *g, int client_id);
/* A member of g read its offsets at the new coordinator through connection
 * client_id: fetches of g's topics are released once every member that
 * left the old cluster has (or at the settle deadline, see flip.c). */
void flip_member_resumed(proxy *px, group_rt *g, int client_id);
/* The connections (still open) that carry g's members at cluster: how many
 * settling waits for. */
int flip_member_connections(proxy *px, const group_rt *g, int cluster);
/* Ends settling (all members back, or the deadline): fetches released. */
void flip_settled(proxy *px, group_rt *g, const char *why);

/* ---- recovery on first sight (flip_recover.c) ---- */

/* g was just seen for the first time by this process: with translation
 * configured it is held (g->recovering) until its commits on both clusters
 * say where it can be served safely, the flip a killed process left
 * unfinished being run here if needed. */
void flip_recover_seen(proxy *px, group_rt *g);
/* On the flip timer: applies g's finished check. */
void flip_recover_tick(proxy *px, group_rt *g);
/* After the engine stopped: frees g's check. */
void flip_recover_free(group_rt *g);

/* ---- read-only view, for status and metrics ---- */

typedef struct flip_partition_view {
	const char *topic; /* on the cluster the flip left */
	int32_t partition;
	int64_t committed; /* final commit on that cluster */
	int64_t offset;    /* translated offset seeded on the other; -1 none */
	const char *method;
	int64_t rereads_max; /* -1 unknown */
} flip_partition_view;

typedef struct flip_view {
	const char *group;
	const char *state; /* cutover_state_name, or "settling" */
	const char *cluster, *to;
	int64_t started_ms, ended_ms; /* wall clock (ms since the epoch) of the
	                                 last flip; 0 none / still running */
	int64_t last_pause_ms;        /* fetches held by the last finished flip */
	unsigned flips, failures;
	const char *last_result; /* "", "ok" or "failed" */
	const char *reason;      /* why the last flip failed; "" */
	size_t members;          /* members seen through this sidecar */
	size_t nparts;           /* the last flip's translation */
	const flip_partition_view *parts;
} flip_view;

typedef void (*flip_view_fn)(void *arg, const flip_view *v);
/* Calls fn once per group this sidecar knows, on the event loop thread;
 * the pointers in v are valid during the call only. */
void flip_snapshot(proxy *px, flip_view_fn fn, void *arg);

#endif
