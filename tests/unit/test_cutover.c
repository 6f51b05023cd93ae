/* The cutover state machine: the legal path, illegal steps, rollback. */
#include <string.h>

#include "routing/commit_moves.h"
#include "routing/cutover.h"
#include "tests/unit/check.h"

static void cutover_full_flip(void)
{
	cutover c;
	cutover_init(&c, 0);
	CHECK(c.state == CUTOVER_SERVING && c.cluster == 0 && !cutover_busy(&c));
	CHECK(cutover_begin(&c, 1, 1000) == 0);
	CHECK(c.state == CUTOVER_FREEZING && cutover_holds_fetches(&c) && c.cluster == 0);
	/* commits keep the freeze open until they stop for quiet_ms */
	cutover_saw_commit(&c, 1500);
	CHECK(!cutover_freeze_over(&c, 2000, 1000, 10000));
	CHECK(cutover_freeze_over(&c, 2500, 1000, 10000));
	CHECK(cutover_frozen(&c, 2500) == 0 && c.state == CUTOVER_RELEASING);
	CHECK(cutover_fences(&c) && cutover_holds_fetches(&c));
	CHECK(cutover_snapshot_done(&c, 2550) == -1); /* members leave first */
	CHECK(cutover_released(&c, 2550) == 0 && c.state == CUTOVER_SNAPSHOT);
	CHECK(cutover_snapshot_done(&c, 2600) == 0 && c.state == CUTOVER_TRANSLATING);
	CHECK(cutover_translated(&c, 2700) == 0 && c.state == CUTOVER_SEEDING);
	CHECK(c.cluster == 0); /* still served by the old cluster until seeded */
	CHECK(cutover_seeded(&c, 3000) == 0);
	CHECK(c.state == CUTOVER_SERVING && c.cluster == 1 && c.flips == 1);
	CHECK(c.last_pause_ms == 2000 && !cutover_busy(&c));
}

static void cutover_illegal_steps(void)
{
	cutover c;
	cutover_init(&c, 0);
	CHECK(cutover_begin(&c, 0, 1) == -1); /* already there */
	CHECK(cutover_frozen(&c, 1) == -1);
	CHECK(cutover_seeded(&c, 1) == -1);
	CHECK(cutover_fail(&c, "nothing to fail", 1) == -1);
	CHECK(cutover_begin(&c, 1, 1) == 0);
	CHECK(cutover_begin(&c, 1, 2) == -1);   /* one flip at a time */
	CHECK(cutover_translated(&c, 2) == -1); /* no skipping states */
	CHECK(c.state == CUTOVER_FREEZING);
	CHECK(!cutover_freeze_over(&c, 5, 1000, 10000));
	CHECK(cutover_freeze_over(&c, 10001, 1000000, 10000)); /* deadline */
}

static void cutover_rollback(void)
{
	cutover c;
	cutover_init(&c, 0);
	CHECK(cutover_begin(&c, 1, 100) == 0);
	CHECK(cutover_frozen(&c, 200) == 0);
	CHECK(cutover_released(&c, 250) == 0);
	CHECK(cutover_snapshot_done(&c, 300) == 0);
	CHECK(cutover_translated(&c, 400) == 0);
	CHECK(cutover_fail(&c, "target group not empty", 500) == 0);
	CHECK(c.state == CUTOVER_SERVING && c.cluster == 0 && c.to == 0);
	CHECK(c.failures == 1 && c.flips == 0);
	CHECK(strstr(c.reason, "target group not empty (in seeding)") != NULL);
	CHECK(!cutover_holds_fetches(&c) && !cutover_fences(&c));
	/* a later flip starts clean */
	CHECK(cutover_begin(&c, 1, 600) == 0 && c.reason[0] == '\0');
}

/* A repeated commit (kafka-python's auto-commit) does not keep a freeze
 * open; one that moves an offset does. */
static void commit_moves_only_new_offsets(void)
{
	commit_moves m = {0};
	CHECK(commit_moves_note(&m, "orders", 6, 0, 10) == 1);  /* first seen */
	CHECK(commit_moves_note(&m, "orders", 6, 0, 10) == 0);  /* repeated */
	CHECK(commit_moves_note(&m, "orders", 6, 1, 10) == 1);  /* other partition */
	CHECK(commit_moves_note(&m, "ordersX", 6, 0, 10) == 0); /* length says "orders" */
	CHECK(commit_moves_note(&m, "payments", 8, 0, 10) == 1);
	CHECK(commit_moves_note(&m, "orders", 6, 0, 11) == 1); /* moved */
	CHECK(commit_moves_note(&m, "orders", 6, 0, 11) == 0);
	CHECK(m.n == 3);
	commit_moves_free(&m);
	CHECK(m.n == 0 && m.v == NULL);
}

TEST_TABLE(cutover_tests) = {
    {"commit_moves_only_new_offsets", commit_moves_only_new_offsets},
    {"cutover_full_flip", cutover_full_flip},
    {"cutover_illegal_steps", cutover_illegal_steps},
    {"cutover_rollback", cutover_rollback},
    {NULL, NULL},
};
