/* routing/flip_plan: what a flip may do with a translation. */
#include <string.h>

#include "routing/flip_plan.h"
#include "tests/unit/check.h"

static xlate_partition part(const char *topic, int32_t p, int64_t committed, translate_method m,
                            int64_t offset, int64_t rereads)
{
	xlate_partition x;
	memset(&x, 0, sizeof(x));
	x.topic = (char *)topic;
	x.partition = p;
	x.committed = committed;
	x.r.method = m;
	x.r.path = m == TRANSLATE_NONE ? TRANSLATE_PATH_NO_SYNC : TRANSLATE_PATH_VERIFIED;
	x.r.offset = offset;
	x.r.rereads_max = rereads;
	return x;
}

static void flip_plan_all_answered(void)
{
	xlate_partition v[3] = {
	    part("orders", 0, 100, TRANSLATE_EXACT, 90, 0),
	    part("orders", 1, 50, TRANSLATE_CONSERVATIVE, 40, 7),
	    part("orders", 2, 10, TRANSLATE_CHECKPOINT, 9, -1),
	};
	xlate_group_result r = {.group = "g", .n = 3, .parts = v};
	char *topics[] = {"orders"};
	flip_summary s;
	char why[300] = "";
	CHECK(flip_plan_check(&r, topics, 1, &s, why, sizeof(why)) == 0);
	CHECK(s.parts == 3 && s.exact == 1 && s.conservative == 1 && s.checkpoint == 1);
	CHECK(s.none == 0);
	CHECK(s.rereads_max == 7);     /* the known bounds add up */
	CHECK(s.rereads_unknown == 1); /* a checkpoint has none */
	CHECK(why[0] == '\0');
}

static void flip_plan_missing_answer_stops(void)
{
	xlate_partition v[2] = {
	    part("orders", 0, 100, TRANSLATE_EXACT, 90, 0),
	    part("orders", 1, 55, TRANSLATE_NONE, -1, -1),
	};
	xlate_group_result r = {.group = "g", .n = 2, .parts = v};
	char *topics[] = {"orders"};
	flip_summary s;
	char why[300] = "";
	CHECK(flip_plan_check(&r, topics, 1, &s, why, sizeof(why)) == -1);
	CHECK(s.none == 1 && s.exact == 1);
	CHECK(strstr(why, "orders-1") && strstr(why, "committed 55") &&
	      strstr(why, "auto.offset.reset"));
}

static void flip_plan_ignores_what_is_not_consumed(void)
{
	/* no answer for a topic the group does not consume any more, and for a
	 * partition it never committed: nothing would be guessed */
	xlate_partition v[2] = {
	    part("old-topic", 0, 12, TRANSLATE_NONE, -1, -1),
	    part("orders", 3, -1, TRANSLATE_NONE, -1, -1),
	};
	xlate_group_result r = {.group = "g", .n = 2, .parts = v};
	char *topics[] = {"orders"};
	flip_summary s;
	char why[300] = "";
	CHECK(flip_plan_check(&r, topics, 1, &s, why, sizeof(why)) == 0);
	CHECK(s.parts == 2 && s.none == 2 && s.rereads_max == 0 && !s.rereads_unknown);
}

static void flip_plan_empty_result(void)
{
	xlate_group_result r = {.group = "g", .n = 0, .parts = NULL};
	flip_summary s;
	char why[300] = "";
	CHECK(flip_plan_check(&r, NULL, 0, &s, why, sizeof(why)) == 0);
	CHECK(s.parts == 0 && s.rereads_max == 0);
}

static void flip_recover_decisions(void)
{
	/* a group that never moved (on either cluster) */
	CHECK(flip_recover_decide(3, 0) == FLIP_RECOVER_SERVE);
	CHECK(flip_recover_decide(0, 0) == FLIP_RECOVER_SERVE);
	/* the seed happened (or a flip finished): serve X, members re-read */
	CHECK(flip_recover_decide(3, 3) == FLIP_RECOVER_REJOIN);
	CHECK(flip_recover_decide(3, -1) == FLIP_RECOVER_REJOIN);
	/* killed before the seed: the flip runs here */
	CHECK(flip_recover_decide(0, 2) == FLIP_RECOVER_FLIP);
	/* cannot tell: hold */
	CHECK(flip_recover_decide(-1, 2) == FLIP_RECOVER_RETRY);
	CHECK(flip_recover_decide(-1, 0) == FLIP_RECOVER_RETRY);
	CHECK(flip_recover_decide(0, -1) == FLIP_RECOVER_RETRY);
}

TEST_TABLE(flip_plan_tests) = {
    {"flip_plan_all_answered", flip_plan_all_answered},
    {"flip_plan_missing_answer_stops", flip_plan_missing_answer_stops},
    {"flip_plan_ignores_what_is_not_consumed", flip_plan_ignores_what_is_not_consumed},
    {"flip_plan_empty_result", flip_plan_empty_result},
    {"flip_recover_decisions", flip_recover_decisions},
    {NULL, NULL},
};
