/*
 * The sync history and the translation decision.
 *
 * History: one array of 64 syncs per partition, kept the way MirrorMaker 2
 * (3.5.2/3.6 and later) keeps it, so a group that lags behind the newest sync
 * still finds one close behind it. The invariants, with i < j and distinct
 * syncs s[i], s[j]:
 *   A  s[0] is the newest sync;
 *   B  s[i].up <= s[j].up + 2^j - 2^i   (s[j] is not too old for slot j);
 *   C  s[i].up >= s[j].up + 2^max(i-2,0) (distinct entries stay spread out).
 * On a new sync, slot 0 takes it and later slots are repaired from left to
 * right until B holds again, preferring to keep an existing (older) sync when
 * it satisfies B and C. Identity matters (MM2 compares objects), hence ids.
 * Unlike MM2's checkpoint task, turnout applies every sync of the initial
 * read the same way, because it never needs its answers to stay monotonic
 * across its own restarts; it only needs each to be safe.
 *
 * Decision: the newest sync (u, d) at or before the group's offset g gives
 * d if g == u, d + 1 otherwise (MM2's rule: the copy of u is consumed, the
 * rest unknown). g == u + 1 is also exact: every record before g is at or
 * before u, whose copy is at d. Past that, the caller may compare records
 * (verify.c) to move the answer up to the true position.
 */
#include "routing/translate.h"

#include <stddef.h>
#include <string.h>

void translate_history_init(translate_history *h)
{
	memset(h, 0, sizeof(*h));
}

/* B: newer (at slot i) is recent enough relative to older (at slot j > i). */
static int inv_recent(const translate_sync *newer, int i, const translate_sync *older, int j)
{
	if (newer->id == older->id)
		return 1;
	/* Java long arithmetic wraps; a bound past INT64_MAX means "no limit". */
	uint64_t bound = (uint64_t)older->up + (1ULL << j) - (1ULL << i);
	if (bound > (uint64_t)INT64_MAX)
		return 1;
	return newer->up <= (int64_t)bound;
}

/* C: newer (at slot i) is far enough above older. */
static int inv_apart(const translate_sync *newer, int i, const translate_sync *older)
{
	if (newer->id == older->id)
		return 1;
	uint64_t bound = (uint64_t)older->up + (1ULL << (i > 2 ? i - 2 : 0));
	if (bound > (uint64_t)INT64_MAX)
		return 0;
	return newer->up >= (int64_t)bound;
}

void translate_history_apply(translate_history *h, int64_t up, int64_t down, uint64_t id)
{
	translate_sync s = {up, down, id};
	if (h->applied++ == 0 || up < h->slot[0].up) {
		/* first sync, or the source rewound: older syncs describe another log */
		for (int i = 0; i < TRANSLATE_SLOTS; i++)
			h->slot[i] = s;
		return;
	}
	translate_sync before[TRANSLATE_SLOTS];
	memcpy(before, h->slot, sizeof(before));
	h->slot[0] = s;
	translate_sync pick = s; /* what a slot that must change gets */
	int k = 0;               /* next entry of before[] worth keeping */
	for (int cur = 1; cur < TRANSLATE_SLOTS; cur++) {
		const translate_sync *prev = &h->slot[cur - 1];
		int skip;
		do {
			const translate_sync *old = &before[k];
			int recent = inv_recent(prev, cur - 1, old, cur);
			int apart_prev = inv_apart(prev, cur - 1, old);
			int apart_next =
			    cur + 1 >= TRANSLATE_SLOTS || inv_apart(old, cur, &h->slot[cur + 1]);
			int repeated = k + 1 < TRANSLATE_SLOTS && before[k + 1].id == old->id;
			int keep = recent && apart_prev && apart_next;
			if (keep)
				pick = *old;
			/* too close to prev now means too close at every later slot too */
			skip = repeated || !apart_prev;
			if (keep || skip)
				k++;
		} while (k < cur && skip);
		if (inv_recent(prev, cur - 1, &h->slot[cur], cur))
			break; /* B holds here, so it holds for every later slot */
		h->slot[cur] = pick;
	}
}

int translate_history_check(const translate_history *h)
{
	if (h->applied == 0)
		return 0;
	for (int i = 0; i < TRANSLATE_SLOTS; i++)
		for (int j = i + 1; j < TRANSLATE_SLOTS; j++) {
			const translate_sync *a = &h->slot[i], *b = &h->slot[j];
			if (a->id == b->id)
				continue;
			if (a->up < b->up || !inv_recent(a, i, b, j) || !inv_apart(a, i, b))
				return j;
		}
	return 0;
}

/* Newest sync whose from-offset is <= off; NULL if none. */
static const translate_sync *hist_floor(const translate_history *h, translate_dir dir, int64_t off)
{
	for (int i = 0; i < TRANSLATE_SLOTS; i++) {
		int64_t f = dir == TRANSLATE_FORWARD ? h->slot[i].up : h->slot[i].down;
		if (f <= off)
			return &h->slot[i];
	}
	return NULL;
}

/* Oldest sync whose from-offset is > off; NULL if none. */
static const translate_sync *hist_above(const translate_history *h, translate_dir dir, int64_t off)
{
	for (int i = TRANSLATE_SLOTS - 1; i >= 0; i--) {
		int64_t f = dir == TRANSLATE_FORWARD ? h->slot[i].up : h->slot[i].down;
		if (f > off)
			return &h->slot[i];
	}
	return NULL;
}

static int64_t sync_from(const translate_sync *s, translate_dir dir)
{
	return dir == TRANSLATE_FORWARD ? s->up : s->down;
}

static int64_t sync_to(const translate_sync *s, translate_dir dir)
{
	return dir == TRANSLATE_FORWARD ? s->down : s->up;
}

/* Replaces a non-exact result by the checkpoint when that is further on. */
static void take_checkpoint(const translate_plan *p, translate_result *r)
{
	if (!p->has_checkpoint || r->method == TRANSLATE_EXACT || p->cp.up > p->offset)
		return;
	if (r->method != TRANSLATE_NONE && p->cp.down <= r->offset)
		return;
	r->method = TRANSLATE_CHECKPOINT;
	r->path = TRANSLATE_PATH_CHECKPOINT;
	r->offset = p->cp.down;
	/* MM2's own answer for cp.up may already re-read; how much is unknown */
	r->rereads_max = -1;
	r->note = p->cp.up == p->offset ? "MM2's checkpoint for this very offset"
	                                : "MM2's checkpoint for an older offset of the group";
}

void translate_plan_make(translate_plan *p, translate_dir dir, const translate_history *h,
                         const translate_checkpoint *cp, int64_t offset, long budget)
{
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->offset = offset;
	translate_result *r = &p->result;
	r->method = TRANSLATE_NONE;
	r->offset = -1;
	r->rereads_max = -1;
	r->mm2_offset = -1;
	if (cp && dir == TRANSLATE_FORWARD) {
		p->has_checkpoint = 1;
		p->cp = *cp;
	}
	if (offset < 0) {
		r->path = TRANSLATE_PATH_NO_COMMIT;
		r->note = "the group has no committed offset for this partition";
		return;
	}
	if (!h || h->applied == 0) {
		r->path = TRANSLATE_PATH_NO_SYNC;
		r->note = "no offset-sync for this partition (not mirrored, or nothing copied yet)";
		take_checkpoint(p, r);
		return;
	}
	const translate_sync *s = hist_floor(h, dir, offset);
	if (!s) {
		r->path = TRANSLATE_PATH_BEFORE_SYNCS;
		r->note = "the group's offset is older than every offset-sync kept";
		take_checkpoint(p, r);
		return;
	}
	const translate_sync *above = hist_above(h, dir, offset);
	if (above) {
		p->has_next = 1;
		p->next = *above;
	}
	int64_t f = sync_from(s, dir), t = sync_to(s, dir);
	p->anchor = *s;
	r->has_anchor = 1;
	r->anchor = *s;
	if (offset == f || offset == f + 1) {
		r->method = TRANSLATE_EXACT;
		r->path = offset == f ? TRANSLATE_PATH_AT_SYNC : TRANSLATE_PATH_AFTER_SYNC;
		r->offset = offset == f ? t : t + 1;
		r->mm2_offset = r->offset;
		r->rereads_max = 0;
		return;
	}
	/* MM2's rule: the anchor's copy is consumed; what follows is unknown */
	r->method = TRANSLATE_CONSERVATIVE;
	r->path = TRANSLATE_PATH_MM2_RULE;
	r->offset = t + 1;
	r->mm2_offset = t + 1;
	r->rereads_max = offset - f - 1;
	take_checkpoint(p, r);
	if (budget <= 0) {
		if (r->method == TRANSLATE_CONSERVATIVE)
			r->note = "verification is off (verify_record_budget 0)";
		return;
	}
	if (offset - f > budget) {
		if (r->method == TRANSLATE_CONSERVATIVE)
			r->note = "more records since the sync than verify_record_budget";
		return;
	}
	p->fetch = 1;
	if (r->method == TRANSLATE_CONSERVATIVE)
		r->note = "MM2's rule (records not compared)";
	p->from_start = f;
	p->from_max = offset - f;
	p->to_start = t;
}

void translate_finish(const translate_plan *p, const verify_outcome *vo, const char *note,
                      translate_result *out)
{
	*out = p->result;
	if (!p->fetch)
		return;
	if (!vo || !vo->ok) {
		/* keep the MM2-rule (or checkpoint) fallback, say why */
		if (out->method == TRANSLATE_CONSERVATIVE)
			out->note = vo ? vo->note : note;
		return;
	}
	int64_t mm2 = p->result.mm2_offset;
	if (vo->exact) {
		out->method = TRANSLATE_EXACT;
		out->path = TRANSLATE_PATH_VERIFIED;
		out->offset = vo->offset;
		out->rereads_max = 0;
		out->note = NULL;
		return;
	}
	/* not proven exact; vo->offset is still safe and >= MM2's answer */
	translate_result v = p->result;
	v.method = TRANSLATE_CONSERVATIVE;
	v.path = vo->offset > mm2 ? TRANSLATE_PATH_PARTIAL : TRANSLATE_PATH_MM2_RULE;
	v.offset = vo->offset > mm2 ? vo->offset : mm2;
	v.rereads_max = vo->pending < p->result.rereads_max ? vo->pending : p->result.rereads_max;
	v.note = vo->note;
	take_checkpoint(p, &v);
	*out = v;
}

const char *translate_method_name(translate_method m)
{
	switch (m) {
	case TRANSLATE_EXACT:
		return "exact";
	case TRANSLATE_CHECKPOINT:
		return "checkpoint";
	case TRANSLATE_CONSERVATIVE:
		return "conservative";
	case TRANSLATE_NONE:
		break;
	}
	return "none";
}

const char *translate_path_name(translate_path p)
{
	static const char *const names[] = {
	    [TRANSLATE_PATH_NO_COMMIT] = "no_commit",       [TRANSLATE_PATH_NO_SYNC] = "no_sync",
	    [TRANSLATE_PATH_BEFORE_SYNCS] = "before_syncs", [TRANSLATE_PATH_AT_SYNC] = "at_sync",
	    [TRANSLATE_PATH_AFTER_SYNC] = "after_sync",     [TRANSLATE_PATH_VERIFIED] = "verified",
	    [TRANSLATE_PATH_PARTIAL] = "partial",           [TRANSLATE_PATH_MM2_RULE] = "mm2_rule",
	    [TRANSLATE_PATH_CHECKPOINT] = "checkpoint",
	};
	if ((unsigned)p < sizeof(names) / sizeof(names[0]) && names[p])
		return names[p];
	return "?";
}
