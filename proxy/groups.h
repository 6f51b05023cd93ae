/*
 * What turnout knows at run time about the consumer groups its clients use:
 * which topics each consumes (from JoinGroup subscriptions and from commits)
 * and on which cluster the group is served right now. The config says where
 * a group should be; this table says where it is, which differs only while
 * a flip is under way (cutover.c moves it).
 */
#ifndef TURNOUT_PROXY_GROUPS_H
#define TURNOUT_PROXY_GROUPS_H

#include <stddef.h>

#include "proxy/flip_positions.h"
#include "routing/commit_moves.h"
#include "routing/cutover.h"

typedef struct proxy proxy;

/* A member of the group seen through this sidecar at the group's cluster
 * (its Heartbeat, SyncGroup, JoinGroup or OffsetCommit named it). A flip
 * makes it leave that cluster's group (flip.c). */
typedef struct groups_member {
	char *id;          /* member id at the coordinator of `cluster` */
	char *instance_id; /* group.instance.id (static membership), or NULL */
	int client;        /* client connection that carried its last request */
	int cluster;
	int leave; /* flip: 0 not asked, 1 LeaveGroup sent, 2 left */
} groups_member;

enum { GROUP_SETTLE_MAX = 64 };

typedef struct group_rt {
	char *id;
	char **topics; /* topics the group is known to consume, sorted */
	size_t ntopics, cap;
	int cluster;                       /* where the group is served now */
	cutover flip;                      /* state of a move between clusters */
	void *flip_io;                     /* cutover I/O of the flip under way (flip.c) */
	void *flip_rec;                    /* the last flip's record, for flip_snapshot (flip.c) */
	int settling;                      /* flipped: fetches stay held until the members that left
	                                      the old cluster have read the seeded offsets at the new
	                                      coordinator (flip.c) */
	int recovering;                    /* first sight: held until its commits are checked
	                                      (flip_recover.c) */
	int resumed;                       /* seen from an earlier process's mid-flip record
	                                      (flip_resume.c) */
	void *recover_io;                  /* that check's job (flip_recover.c) */
	int64_t recover_logged_ms;         /* last `state=waiting` line, and of which */
	unsigned recover_why_hash;         /* reason: repeated ones every 10 s only */
	int begin_after_settle;            /* a reload asked for a flip while settling */
	int64_t settle_ms;                 /* when settling began */
	int settle_need;                   /* members that left the old cluster */
	int settle_seen[GROUP_SETTLE_MAX]; /* connections that read offsets since */
	int nsettle_seen;
	flip_positions positions; /* settling: what each member connection was
	                             assigned and read offsets for */
	groups_member *members;   /* members of this sidecar (see groups_member) */
	size_t nmembers, capmembers;
	char **gone; /* member ids that left the old cluster in the last flip */
	size_t ngone;
	commit_moves commits; /* last offset committed per partition (route.c) */
	int peer_hold;        /* a peer flips the group away from `cluster`: fetches held
	                         (flip_coord_hold) */
	int peer_hold_spent;  /* ... held as long as allowed; not again until it ends */
	int64_t peer_hold_ms; /* when the hold began (monotonic) */
	int coord_said;       /* the judge's last verdict logged, +1 (flip_coord.c) */
	int coord_waiting;    /* ... and how many sidecars it waited for */
} group_rt;

typedef struct groups {
	group_rt **v;
	size_t n, cap;
} groups;

/* The group's entry; created (served where its route says) when create. */
group_rt *groups_get(proxy *px, const char *id, size_t len, int create);
/* Records that g consumes topic; 1 if this was news. */
int groups_learn_topic(group_rt *g, const char *topic, size_t len);
int groups_consumes(const group_rt *g, const char *topic, size_t len);
/* Where group id is served now: its entry's cluster, else its route. */
int groups_cluster(proxy *px, const char *id, size_t len);
void groups_free(groups *gs);

/* A request of member `id` (instance id may be empty) came from connection
 * client at cluster: the member is recorded, or its connection updated. */
groups_member *groups_member_seen(group_rt *g, const char *id, size_t len, const char *inst,
                                  size_t instlen, int client, int cluster);
groups_member *groups_member_find(group_rt *g, const char *id, size_t len);
/* The member left by itself (LeaveGroup passed through) or was left. */
void groups_member_drop(group_rt *g, const char *id, size_t len);
/* How many client connections carry the members at cluster: what settling
 * waits for (a member that rejoined under a new id is listed twice, on one
 * connection). With live, only connections it says are still open. */
int groups_member_clients(const group_rt *g, int cluster, int (*live)(void *ctx, int client),
                          void *ctx);
/* Moves the members of cluster to g->gone (the ids the old cluster knew). */
void groups_members_to_gone(group_rt *g, int cluster);
int groups_is_gone(const group_rt *g, const char *id, size_t len);
/* Takes id off g->gone; 1 if it was there. */
int groups_gone_forget(group_rt *g, const char *id, size_t len);
void groups_gone_clear(group_rt *g);

#endif
