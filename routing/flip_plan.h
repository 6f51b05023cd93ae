/*
 * What a flip may do with a translation: the pure judgement between
 * TRANSLATING and SEEDING (proxy/flip.c does the I/O). A partition of a
 * topic the group consumes that has no answer (method none) stops the flip:
 * seeding the rest would leave that partition to auto.offset.reset on the
 * new cluster, which is a guess. The summary is what the flip logs.
 */
#ifndef TURNOUT_ROUTING_FLIP_PLAN_H
#define TURNOUT_ROUTING_FLIP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "routing/xlate.h"

typedef struct flip_summary {
	size_t parts, exact, checkpoint, conservative, none;
	int64_t rereads_max; /* sum of the known per-partition bounds */
	int rereads_unknown; /* some answer has no bound (checkpoint) */
} flip_summary;

/*
 * Summarises r into s. Returns 0 when every partition of a topic in
 * topics[0..ntopics) (the group's "from"-side topic names) has an answer;
 * else -1 with why naming the first partition without one.
 */
int flip_plan_check(const xlate_group_result *r, char *const *topics, size_t ntopics,
                    flip_summary *s, char *why, size_t whylen);

/*
 * A process seeing a group for the first time (proxy/flip_recover.c): where
 * may it serve the group routed to cluster X, given how many partitions
 * have a commit on X (here) and on the other cluster (other); -1 means
 * the count could not be read.
 */
typedef enum {
	FLIP_RECOVER_SERVE,  /* other has none: the group never moved */
	FLIP_RECOVER_REJOIN, /* X has commits: serve X, members re-read them */
	FLIP_RECOVER_FLIP,   /* X has none, other has: run the flip from other */
	FLIP_RECOVER_RETRY,  /* cannot tell yet: keep holding, ask again */
} flip_recover_decision;

flip_recover_decision flip_recover_decide(long here, long other);

#endif
