/*
 * proxy/prodseq.c: the sequence rule for a partition whose producer id
 * turnout translates. The regression behind it: a producer flip in which
 * librdkafka 2.15.1, racing its own retry, sent a later batch of a
 * partition to the new cluster before the batch turnout had refused on
 * the old one; the new cluster (which had never seen the producer) took
 * it as the first, and librdkafka then reported the refused records
 * delivered ("implicitly acked") though no cluster had them.
 */
#include "proxy/prodseq.h"

#include <stdint.h>
#include <string.h>

#include "tests/unit/check.h"

enum { LEGACY = 0, TARGET = 1, WAIT = 30000 };

static void test_refused_batch_goes_first(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	/* legacy wrote up to 444; turnout refused [445,450) and [450,455) there */
	prodseq_refused(&q, 445, 0);
	prodseq_refused(&q, 450, 0);
	CHECK(q.has_hole && q.hole == 445);
	/* the later batch reaches the target first: refused, no base taken */
	CHECK(prodseq_check(&q, TARGET, 450, 1000, WAIT, &want) == PRODSEQ_GAP);
	CHECK(want == 445);
	CHECK(!q.has_base[TARGET]);
	/* the refused one comes: it is the target's sequence 0 */
	CHECK(prodseq_check(&q, TARGET, 445, 1100, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 445, 5) == 0);
	CHECK(!q.has_hole && !q.gapping);
	CHECK(prodseq_check(&q, TARGET, 450, 1200, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 450, 5) == 5);
	CHECK(q.next[TARGET] == 455);
	/* a retry of a batch already sent is in order (the cluster dedups) */
	CHECK(prodseq_check(&q, TARGET, 445, 1300, WAIT, &want) == PRODSEQ_SEND);
}

static void test_gap_after_base(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	/* no hole: the first batch there sets the base, whatever it is */
	CHECK(prodseq_check(&q, TARGET, 100, 0, WAIT, &want) == PRODSEQ_SEND && want == -1);
	CHECK(prodseq_sent(&q, TARGET, 100, 10) == 0);
	/* [110,120) refused here (turnout answered it), [120,..) arrives first */
	prodseq_refused(&q, 110, 0);
	CHECK(prodseq_check(&q, TARGET, 120, 10, WAIT, &want) == PRODSEQ_GAP && want == 110);
	CHECK(prodseq_check(&q, TARGET, 110, 20, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 110, 10) == 10);
	CHECK(prodseq_check(&q, TARGET, 120, 30, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 120, 1) == 20);
}

static void test_older_batch_keeps_the_hole(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	prodseq_refused(&q, 50, 0);
	/* an older batch (failed on the old cluster by the broker) comes first */
	CHECK(prodseq_check(&q, TARGET, 40, 0, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 40, 10) == 0);
	CHECK(q.has_hole && q.hole == 50);
	CHECK(prodseq_check(&q, TARGET, 55, 0, WAIT, &want) == PRODSEQ_GAP && want == 50);
	CHECK(prodseq_sent(&q, TARGET, 50, 5) == 10);
	CHECK(!q.has_hole);
}

static void test_gap_given_up(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	/* a hole is waited for from its refusal */
	prodseq_refused(&q, 7, 5000);
	CHECK(prodseq_check(&q, TARGET, 9, 5000, WAIT, &want) == PRODSEQ_GAP);
	CHECK(prodseq_check(&q, TARGET, 9, 5000 + WAIT - 1, WAIT, &want) == PRODSEQ_GAP);
	CHECK(prodseq_check(&q, TARGET, 9, 5000 + WAIT, WAIT, &want) == PRODSEQ_GAVE_UP);
	CHECK(prodseq_sent(&q, TARGET, 9, 1) == 0);
	CHECK(!q.has_hole && !q.gapping);
	/* a gap after the base, from its first refusal */
	CHECK(prodseq_check(&q, TARGET, 12, 90000, WAIT, &want) == PRODSEQ_GAP && want == 10);
	CHECK(prodseq_check(&q, TARGET, 12, 90000 + WAIT - 1, WAIT, &want) == PRODSEQ_GAP);
	CHECK(prodseq_check(&q, TARGET, 12, 90000 + WAIT, WAIT, &want) == PRODSEQ_GAVE_UP);
}

static void test_old_hole_does_not_stall(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	/* refused at a flip whose route came back before the client retried:
	 * the records went to the old cluster again, the hole stays behind */
	prodseq_refused(&q, 20, 1000);
	/* a later flip: the first batch on the target is far past the hole */
	CHECK(prodseq_check(&q, TARGET, 900, 1000 + WAIT, WAIT, &want) == PRODSEQ_GAVE_UP);
	CHECK(prodseq_sent(&q, TARGET, 900, 3) == 0);
	CHECK(!q.has_hole);
	/* a refusal again of the hole's batch keeps it fresh */
	prodseq_refused(&q, 950, 0);
	prodseq_refused(&q, 950, 50000);
	CHECK(prodseq_check(&q, LEGACY, 951, 60000, WAIT, &want) == PRODSEQ_GAP);
}

static void test_wrap_and_forget(void)
{
	prodseq q;
	memset(&q, 0, sizeof(q));
	int32_t want;
	prodseq_refused(&q, INT32_MAX - 1, 0);
	/* sequences wrap at 2^31 - 1 -> 0 in Kafka; here by 32-bit difference */
	CHECK(prodseq_check(&q, TARGET, INT32_MIN, 0, WAIT, &want) == PRODSEQ_GAP);
	CHECK(prodseq_sent(&q, TARGET, INT32_MAX - 1, 2) == 0);
	CHECK(prodseq_check(&q, TARGET, INT32_MIN, 0, WAIT, &want) == PRODSEQ_SEND);
	/* one cluster's base says nothing about the other's */
	CHECK(!q.has_base[LEGACY]);
	prodseq_forget(&q, TARGET);
	CHECK(!q.has_base[TARGET]);
	CHECK(prodseq_check(&q, TARGET, 5, 0, WAIT, &want) == PRODSEQ_SEND);
	CHECK(prodseq_sent(&q, TARGET, 5, 1) == 0);
}

TEST_TABLE(prodseq_tests) = {
    {"prodseq: a batch refused on the old cluster goes first on the new",
     test_refused_batch_goes_first},
    {"prodseq: a gap after the base is refused until filled", test_gap_after_base},
    {"prodseq: an older batch first keeps the hole", test_older_batch_keeps_the_hole},
    {"prodseq: a gap lasting the wait is let through", test_gap_given_up},
    {"prodseq: a hole left by an earlier flip does not stall the next",
     test_old_hole_does_not_stall},
    {"prodseq: wrapping sequences, a forgotten base", test_wrap_and_forget},
    {NULL, NULL},
};
