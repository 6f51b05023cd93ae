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

#endif
