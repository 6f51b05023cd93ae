/*
 * The cutover state machine of one consumer group moving between clusters.
 * Pure: it holds state and timestamps and says what is allowed; the proxy
 * (proxy/flip.c) does the I/O each state asks for and reports back through
 * one function per transition.
 *
 *   SERVING(from) --begin--> FREEZING --frozen--> RELEASING --released-->
 *   SNAPSHOT --snapshot_done--> TRANSLATING --translated--> SEEDING
 *   --seeded--> SERVING(to)
 *
 *   FREEZING: the group's topics are not fetched on `from` any more (fetches
 *             get NOT_LEADER_OR_FOLLOWER, positions stay) while the members'
 *             last commits land on `from`; done when no commit came for a
 *             quiet period, or at the freeze deadline.
 *   RELEASING: the group is fenced on `from` for this sidecar's members
 *             (their group requests are answered here, "retry later") and
 *             each of them is made to leave `from`'s group (LeaveGroup).
 *   SNAPSHOT: wait until every sidecar let go (control topic, and where
 *             the broker describes groups, `from`'s group is empty), then
 *             read its committed offsets: the final ones (or follow the
 *             sidecar that did, straight to SERVING(to)).
 *   TRANSLATING: map them to `to` offsets (MM2 data; never ahead).
 *   SEEDING:  commit them to the group on `to` (only accepted by the broker
 *             while that group is empty; never moves an offset backwards).
 *   SERVING(to): group-keyed requests and the group's topics go to `to`;
 *             members find the new coordinator, are told they are unknown
 *             there, rejoin and fetch the seeded offsets.
 *
 * Any failure before SERVING(to) goes back to SERVING(from) with a reason:
 * nothing was written on `to` that a member could have consumed from.
 */
#ifndef TURNOUT_ROUTING_CUTOVER_H
#define TURNOUT_ROUTING_CUTOVER_H

#include <stdint.h>

typedef enum {
	CUTOVER_SERVING,
	CUTOVER_FREEZING,
	CUTOVER_RELEASING,
	CUTOVER_SNAPSHOT,
	CUTOVER_TRANSLATING,
	CUTOVER_SEEDING,
} cutover_state;

typedef struct cutover {
	cutover_state state;
	int cluster;              /* where the group is served (from, until it moves) */
	int to;                   /* destination while a flip is under way */
	int64_t began_ms;         /* when the flip began */
	int64_t state_ms;         /* when the current state was entered */
	int64_t last_commit_ms;   /* newest commit seen while FREEZING */
	int64_t last_pause_ms;    /* duration of the last finished flip */
	unsigned flips, failures; /* finished and rolled-back flips */
	char reason[256];         /* why the last flip failed; empty if none */
} cutover;

const char *cutover_state_name(cutover_state s);
void cutover_init(cutover *c, int cluster);

/* Each returns 0, or -1 when the transition is not allowed from the current
 * state (the caller has a bug or a stale event; nothing changes). */
int cutover_begin(cutover *c, int to, int64_t now_ms);
int cutover_frozen(cutover *c, int64_t now_ms);
int cutover_released(cutover *c, int64_t now_ms);
int cutover_snapshot_done(cutover *c, int64_t now_ms);
int cutover_translated(cutover *c, int64_t now_ms);
int cutover_seeded(cutover *c, int64_t now_ms);
/* Back to SERVING(from) with reason; -1 when no flip is under way. */
int cutover_fail(cutover *c, const char *reason, int64_t now_ms);

/* A commit for the group arrived (FREEZING waits for them to stop). */
void cutover_saw_commit(cutover *c, int64_t now_ms);
/* FREEZING is over: quiet_ms without a commit (counted from the freeze's
 * start too), or max_ms since it began. */
int cutover_freeze_over(const cutover *c, int64_t now_ms, int64_t quiet_ms, int64_t max_ms);
/* Fetches of the group's topics are held on the old cluster. */
int cutover_holds_fetches(const cutover *c);
int cutover_busy(const cutover *c); /* a flip is under way */
/* The group is fenced on the old cluster (RELEASING to SEEDING): its
 * members are leaving it, its offsets are read and must not change. */
int cutover_fences(const cutover *c);

#endif
