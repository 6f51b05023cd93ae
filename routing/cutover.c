/* The cutover state machine (see cutover.h): one function per transition. */
#include "routing/cutover.h"

#include <stdio.h>
#include <string.h>

const char *cutover_state_name(cutover_state s)
{
	switch (s) {
	case CUTOVER_SERVING:
		return "serving";
	case CUTOVER_FREEZING:
		return "freezing";
	case CUTOVER_RELEASING:
		return "releasing";
	case CUTOVER_SNAPSHOT:
		return "snapshot";
	case CUTOVER_TRANSLATING:
		return "translating";
	case CUTOVER_SEEDING:
		return "seeding";
	}
	return "?";
}

void cutover_init(cutover *c, int cluster)
{
	memset(c, 0, sizeof(*c));
	c->state = CUTOVER_SERVING;
	c->cluster = cluster;
	c->to = cluster;
}

static int step(cutover *c, cutover_state from, cutover_state to, int64_t now_ms)
{
	if (c->state != from)
		return -1;
	c->state = to;
	c->state_ms = now_ms;
	return 0;
}

int cutover_begin(cutover *c, int to, int64_t now_ms)
{
	if (c->state != CUTOVER_SERVING || to == c->cluster)
		return -1;
	c->to = to;
	c->began_ms = now_ms;
	c->last_commit_ms = 0;
	c->reason[0] = '\0';
	return step(c, CUTOVER_SERVING, CUTOVER_FREEZING, now_ms);
}

int cutover_frozen(cutover *c, int64_t now_ms)
{
	return step(c, CUTOVER_FREEZING, CUTOVER_RELEASING, now_ms);
}

int cutover_released(cutover *c, int64_t now_ms)
{
	return step(c, CUTOVER_RELEASING, CUTOVER_SNAPSHOT, now_ms);
}

int cutover_snapshot_done(cutover *c, int64_t now_ms)
{
	return step(c, CUTOVER_SNAPSHOT, CUTOVER_TRANSLATING, now_ms);
}

int cutover_translated(cutover *c, int64_t now_ms)
{
	return step(c, CUTOVER_TRANSLATING, CUTOVER_SEEDING, now_ms);
}

int cutover_seeded(cutover *c, int64_t now_ms)
{
	if (step(c, CUTOVER_SEEDING, CUTOVER_SERVING, now_ms))
		return -1;
	c->cluster = c->to;
	c->last_pause_ms = now_ms - c->began_ms;
	c->flips++;
	return 0;
}

int cutover_fail(cutover *c, const char *reason, int64_t now_ms)
{
	if (c->state == CUTOVER_SERVING)
		return -1;
	snprintf(c->reason, sizeof(c->reason), "%s (in %s)", reason, cutover_state_name(c->state));
	c->state = CUTOVER_SERVING;
	c->state_ms = now_ms;
	c->to = c->cluster;
	c->failures++;
	return 0;
}

void cutover_saw_commit(cutover *c, int64_t now_ms)
{
	if (c->state == CUTOVER_FREEZING)
		c->last_commit_ms = now_ms;
}

int cutover_freeze_over(const cutover *c, int64_t now_ms, int64_t quiet_ms, int64_t max_ms)
{
	if (c->state != CUTOVER_FREEZING)
		return 0;
	int64_t last = c->last_commit_ms > c->state_ms ? c->last_commit_ms : c->state_ms;
	return now_ms - last >= quiet_ms || now_ms - c->state_ms >= max_ms;
}

int cutover_holds_fetches(const cutover *c)
{
	return c->state != CUTOVER_SERVING;
}

int cutover_busy(const cutover *c)
{
	return c->state != CUTOVER_SERVING;
}

int cutover_fences(const cutover *c)
{
	return c->state == CUTOVER_RELEASING || c->state == CUTOVER_SNAPSHOT ||
	       c->state == CUTOVER_TRANSLATING || c->state == CUTOVER_SEEDING;
}
