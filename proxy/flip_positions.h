/*
 * Stale positions after a flip: what each member connection was assigned
 * at the new cluster (its SyncGroup answer) and for which of those
 * partitions it has read offsets there since (its OffsetFetch requests).
 *
 * A member that rejoins after a flip must read its offsets at the new
 * coordinator: positions it kept are the old cluster's offsets. Every
 * client drops them when its generation was reset before it prepared the
 * rejoin (UNKNOWN_MEMBER_ID on a Heartbeat, reference §7.1/§7.2). A Java
 * cooperative member that was already rejoining when it was released does
 * not: the reset comes after its join preparation, and the partitions it
 * keeps keep their positions, with no OffsetFetch for them. So, while the
 * group settles (flip_members.c), a member connection counts as back only
 * once it has read offsets for every partition it was assigned, and a
 * Heartbeat from one that has not (some time after its SyncGroup answer)
 * is told UNKNOWN_MEMBER_ID once: it resets its generation, prepares the
 * rejoin with all partitions lost, and reads every offset again.
 *
 * Pure bookkeeping, owned by the group (group_rt.positions); unit tested.
 */
#ifndef TURNOUT_PROXY_FLIP_POSITIONS_H
#define TURNOUT_PROXY_FLIP_POSITIONS_H

#include <stddef.h>
#include <stdint.h>

struct wire_consumer_protocol_assignment;

typedef struct flip_pos_tp {
	char *topic;
	int32_t partition;
	int fetched; /* its offset was read at the new coordinator since */
} flip_pos_tp;

typedef struct flip_pos_conn {
	int client;
	int told;          /* told UNKNOWN_MEMBER_ID for kept positions (once) */
	int64_t synced_ms; /* when the SyncGroup answer came (monotonic) */
	flip_pos_tp *tps;
	size_t ntps;
} flip_pos_conn;

typedef struct flip_positions {
	flip_pos_conn *v;
	size_t n, cap;
} flip_positions;

/* client's SyncGroup answer at the new cluster assigned a's partitions
 * (now_ms: monotonic): they replace what was known of it, none read yet.
 * -1 when out of memory (the connection is then not judged). */
int flip_positions_assigned(flip_positions *fp, int client,
                            const struct wire_consumer_protocol_assignment *a, int64_t now_ms);
/* client read the offset of topic/partition there; partition -1: every
 * partition of topic; topic NULL: every partition (a request for all). */
void flip_positions_fetched(flip_positions *fp, int client, const char *topic, size_t topiclen,
                            int32_t partition);
/* How many partitions client was assigned whose offsets it has not read
 * (0 also when its assignment is not known). */
size_t flip_positions_missing(const flip_positions *fp, int client);
/* A Heartbeat from client at now_ms: 1 (and remembered) when it should be
 * told UNKNOWN_MEMBER_ID: partitions still missing at least grace_ms after
 * its SyncGroup answer, and not told before. */
int flip_positions_refuse(flip_positions *fp, int client, int64_t now_ms, int64_t grace_ms);
/* Forgets everything (the settle ended). */
void flip_positions_clear(flip_positions *fp);

#endif
