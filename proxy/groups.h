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

#include "routing/cutover.h"

typedef struct proxy proxy;

typedef struct group_rt {
	char *id;
	char **topics; /* topics the group is known to consume, sorted */
	size_t ntopics, cap;
	int cluster;   /* where the group is served now */
	cutover flip;  /* state of a move between clusters */
	void *flip_io; /* cutover I/O of the flip under way (flip.c) */
	int settling;  /* flipped: fetches stay held until a member has read the
	                  seeded offsets at the new coordinator (flip.c) */
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

#endif
