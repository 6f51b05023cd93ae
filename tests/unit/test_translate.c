/*
 * Translation rules from tables: MM2's documented behaviour (reference notes
 * §3.1, OffsetSyncStore's javadoc and its test cases) plus turnout's
 * additions (exact at sync + 1, checkpoints, verification), and the record
 * comparison (verify.c) on hand-made sequences.
 */
#include <string.h>

#include "routing/translate.h"
#include "routing/verify.h"
#include "tests/unit/check.h"

static uint64_t ids;

static void hist(translate_history *h, const int64_t (*syncs)[2], size_t n)
{
	translate_history_init(h);
	for (size_t i = 0; i < n; i++)
		translate_history_apply(h, syncs[i][0], syncs[i][1], ++ids);
}

typedef struct rule_case {
	const char *name;
	translate_dir dir;
	int64_t syncs[4][2]; /* (up, down), applied in order; {0,0} ends early if nsyncs */
	size_t nsyncs;
	int has_cp;
	translate_checkpoint cp;
	int64_t offset;
	long budget;
	translate_method method;
	translate_path path;
	int64_t want;        /* answer */
	int64_t mm2;         /* MM2's rule */
	int64_t rereads_max; /* */
	int fetch;           /* the plan asks for records */
} rule_case;

static void test_rules_table(void)
{
	/* clang-format off */
	static const rule_case cases[] = {
	    {"no sync at all", TRANSLATE_FORWARD, {{0}}, 0, 0, {0, 0}, 50, 100, TRANSLATE_NONE,
	     TRANSLATE_PATH_NO_SYNC, -1, -1, -1, 0},
	    {"no committed offset", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0}, -1, 100,
	     TRANSLATE_NONE, TRANSLATE_PATH_NO_COMMIT, -1, -1, -1, 0},
	    {"at the sync: its downstream", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0}, 100, 100,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AT_SYNC, 200, 200, 0, 0},
	    {"one past the sync: exact d+1", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0}, 101, 100,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AFTER_SYNC, 201, 201, 0, 0},
	    {"past the sync, verification off: MM2's d+1", TRANSLATE_FORWARD, {{100, 200}}, 1, 0,
	     {0, 0}, 150, 0, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 201, 201, 49, 0},
	    {"past the sync within budget: fetch", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0},
	     150, 50, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 201, 201, 49, 1},
	    {"past the sync over budget: MM2's d+1", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0},
	     151, 50, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 201, 201, 50, 0},
	    {"older than every sync: MM2 emits -1", TRANSLATE_FORWARD, {{100, 200}}, 1, 0, {0, 0},
	     99, 100, TRANSLATE_NONE, TRANSLATE_PATH_BEFORE_SYNCS, -1, -1, -1, 0},
	    /* OffsetSyncStoreTest.testOffsetTranslation */
	    {"between two syncs: the older one", TRANSLATE_FORWARD, {{100, 200}, {200, 300}}, 2, 0,
	     {0, 0}, 150, 0, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 201, 201, 49, 0},
	    {"at the newer sync", TRANSLATE_FORWARD, {{100, 200}, {200, 300}}, 2, 0, {0, 0}, 200, 0,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AT_SYNC, 300, 300, 0, 0},
	    {"past the newer sync", TRANSLATE_FORWARD, {{100, 200}, {200, 300}}, 2, 0, {0, 0}, 250,
	     0, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 301, 301, 49, 0},
	    /* an upstream rewind discards older syncs */
	    {"after an upstream rewind", TRANSLATE_FORWARD, {{100, 200}, {200, 300}, {50, 400}}, 3,
	     0, {0, 0}, 100, 0, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 401, 401, 49, 0},
	    {"before the rewound sync", TRANSLATE_FORWARD, {{100, 200}, {50, 400}}, 2, 0, {0, 0},
	     49, 0, TRANSLATE_NONE, TRANSLATE_PATH_BEFORE_SYNCS, -1, -1, -1, 0},
	    /* a truncated downstream (MM2 emits a sync) is still a sync */
	    {"downstream truncated", TRANSLATE_FORWARD, {{100, 200}, {110, 5}}, 2, 0, {0, 0}, 110,
	     0, TRANSLATE_EXACT, TRANSLATE_PATH_AT_SYNC, 5, 5, 0, 0},
	    /* checkpoints */
	    {"no sync, checkpoint at or before the group", TRANSLATE_FORWARD, {{0}}, 0, 1, {60, 70},
	     80, 100, TRANSLATE_CHECKPOINT, TRANSLATE_PATH_CHECKPOINT, 70, -1, -1, 0},
	    {"no sync, checkpoint after the group: unusable", TRANSLATE_FORWARD, {{0}}, 0, 1,
	     {90, 70}, 80, 100, TRANSLATE_NONE, TRANSLATE_PATH_NO_SYNC, -1, -1, -1, 0},
	    {"checkpoint further than d+1 wins", TRANSLATE_FORWARD, {{100, 200}}, 1, 1, {140, 260},
	     150, 0, TRANSLATE_CHECKPOINT, TRANSLATE_PATH_CHECKPOINT, 260, 201, -1, 0},
	    {"checkpoint behind d+1 loses", TRANSLATE_FORWARD, {{100, 200}}, 1, 1, {140, 150}, 150,
	     0, TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 201, 201, 49, 0},
	    {"exact beats a checkpoint", TRANSLATE_FORWARD, {{100, 200}}, 1, 1, {100, 250}, 100, 0,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AT_SYNC, 200, 200, 0, 0},
	    {"before every sync, checkpoint usable", TRANSLATE_FORWARD, {{100, 200}}, 1, 1,
	     {90, 195}, 95, 0, TRANSLATE_CHECKPOINT, TRANSLATE_PATH_CHECKPOINT, 195, -1, -1, 0},
	    /* reverse (rollback): from the target offset back to the source */
	    {"reverse at the sync", TRANSLATE_REVERSE, {{100, 200}}, 1, 0, {0, 0}, 200, 0,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AT_SYNC, 100, 100, 0, 0},
	    {"reverse one past", TRANSLATE_REVERSE, {{100, 200}}, 1, 0, {0, 0}, 201, 0,
	     TRANSLATE_EXACT, TRANSLATE_PATH_AFTER_SYNC, 101, 101, 0, 0},
	    {"reverse past: u+1", TRANSLATE_REVERSE, {{100, 200}, {300, 260}}, 2, 0, {0, 0}, 250, 0,
	     TRANSLATE_CONSERVATIVE, TRANSLATE_PATH_MM2_RULE, 101, 101, 49, 0},
	    {"reverse before every sync", TRANSLATE_REVERSE, {{100, 200}}, 1, 0, {0, 0}, 199, 0,
	     TRANSLATE_NONE, TRANSLATE_PATH_BEFORE_SYNCS, -1, -1, -1, 0},
	    {"reverse ignores checkpoints", TRANSLATE_REVERSE, {{0}}, 0, 1, {1, 2}, 10, 0,
	     TRANSLATE_NONE, TRANSLATE_PATH_NO_SYNC, -1, -1, -1, 0},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const rule_case *c = &cases[i];
		translate_history h;
		hist(&h, c->syncs, c->nsyncs);
		translate_plan p;
		translate_plan_make(&p, c->dir, c->nsyncs ? &h : NULL, c->has_cp ? &c->cp : NULL,
		                    c->offset, c->budget);
		const translate_result *r = &p.result;
		CHECKF(r->method == c->method && r->path == c->path && r->offset == c->want &&
		           r->mm2_offset == c->mm2 && r->rereads_max == c->rereads_max &&
		           p.fetch == c->fetch,
		       "%s: method %s path %s offset %lld mm2 %lld rereads %lld fetch %d", c->name,
		       translate_method_name(r->method), translate_path_name(r->path),
		       (long long)r->offset, (long long)r->mm2_offset, (long long)r->rereads_max,
		       p.fetch);
		CHECKF(r->method == TRANSLATE_EXACT || r->note, "%s: no note", c->name);
		/* finishing without a comparison keeps the plan's answer */
		translate_result f;
		translate_finish(&p, NULL, "fetch failed", &f);
		CHECKF(f.offset == r->offset && f.method == r->method, "%s: finish changed it",
		       c->name);
	}
}

static void test_plan_fetch_fields(void)
{
	const int64_t s[][2] = {{100, 200}, {160, 250}};
	translate_history h;
	hist(&h, s, 2);
	translate_plan p;
	translate_plan_make(&p, TRANSLATE_FORWARD, &h, NULL, 130, 1000);
	CHECK(p.fetch && p.from_start == 100 && p.from_max == 30 && p.to_start == 200);
	CHECK(p.has_next && p.next.up == 160 && p.next.down == 250);
	translate_plan_make(&p, TRANSLATE_REVERSE, &h, NULL, 230, 1000);
	CHECK(p.fetch && p.from_start == 200 && p.from_max == 30 && p.to_start == 100);
	CHECK(p.has_next && p.next.down == 250);
	translate_plan_make(&p, TRANSLATE_FORWARD, &h, NULL, 170, 1000);
	CHECK(p.fetch && !p.has_next && p.from_start == 160);
}

/* MM2's OffsetSyncStoreTest.testPastOffsetTranslation, in spirit: after
 * syncs every 10 offsets up to 1000, a group far behind still finds a sync
 * behind it, at most about 8 times its distance from the newest sync away
 * (B bounds the gap below slot i by 2^i, C keeps slot i at least 2^(i-3)
 * from the newest). */
static void test_history_keeps_old_syncs(void)
{
	translate_history h;
	translate_history_init(&h);
	for (int64_t u = 0; u <= 1000; u += 10) {
		translate_history_apply(&h, u, u * 2, ++ids);
		CHECK(translate_history_check(&h) == 0);
	}
	CHECK(h.slot[0].up == 1000);
	CHECK(h.slot[TRANSLATE_SLOTS - 1].up == 0); /* invariant D: the first sync */
	for (int64_t g = 0; g <= 1000; g += 7) {
		translate_plan p;
		translate_plan_make(&p, TRANSLATE_FORWARD, &h, NULL, g, 0);
		CHECK(p.result.method != TRANSLATE_NONE);
		int64_t u = p.anchor.up;
		CHECKF(u <= g && g - u <= 8 * (1000 - g) + 10, "g %lld anchored at %lld",
		       (long long)g, (long long)u);
	}
}

/* ---- verify.c ---- */

/* Records identified by a small number: same number, same fingerprint. */
static verify_rec R(int64_t off, int id)
{
	verify_rec r;
	memset(&r, 0, sizeof(r));
	r.offset = off;
	r.ts = 1000 + id;
	r.digest[0] = (uint8_t)id;
	r.digest[1] = (uint8_t)(id >> 8);
	return r;
}

typedef struct vcase {
	const char *name;
	int from_ids[16]; /* from[i] = R(fs + i, id); 0 ends */
	int to_ids[16];   /* to[i] = R(ts + i, id); 0 ends; negative: foreign record */
	int64_t g;        /* from offset */
	int to_at_end;
	int has_next;
	int64_t next_to;
	int ok, exact;
	int64_t offset, pending;
} vcase;

/* from offsets start at 100, to offsets at 500; g is a from offset. */
static void test_verify_table(void)
{
	/* clang-format off */
	static const vcase cases[] = {
	    {"all copied, stops at the copy of g", {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, 104, 1, 0,
	     0, 1, 1, 504, 0},
	    {"a dropped record before g", {1, 2, 3, 4, 5, 6}, {1, 2, 4, 5, 6}, 104, 1, 0, 0, 1, 1,
	     503, 0},
	    {"g itself dropped", {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 6}, 104, 1, 0, 0, 1, 1, 504, 0},
	    {"target ends exactly at g", {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4}, 104, 1, 0, 0, 1, 1, 504,
	     0},
	    {"mirror behind: target ends before g", {1, 2, 3, 4, 5, 6}, {1, 2}, 104, 1, 0, 0, 1, 0,
	     502, 2},
	    {"read stopped before g (budget)", {1, 2, 3, 4, 5, 6}, {1, 2}, 104, 0, 0, 0, 1, 0, 502,
	     2},
	    {"foreign record before g", {1, 2, 3, 4, 5, 6}, {1, 2, -9, 3, 4, 5}, 104, 1, 0, 0, 1, 0,
	     502, 2},
	    {"foreign record after every record before g", {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, -9, 5},
	     104, 1, 0, 0, 1, 1, 504, 0},
	    {"identical records are ambiguous", {1, 2, 3, 2, 5, 6}, {1, 2, 3, 2, 5, 6}, 104, 1, 0, 0,
	     1, 0, 501, 3},
	    {"re-copied after a restart", {1, 2, 3, 4, 5, 6}, {1, 2, 3, 2, 3, 4}, 104, 1, 0, 0, 1, 0,
	     503, 1},
	    {"upper sync anchors beyond the lookahead", {1, 2, 3, 4}, {1, 2, 3, 4, -7, -8}, 104, 1, 1,
	     504, 1, 1, 504, 0},
	    {"anchor gone from the source", {0}, {1, 2}, 104, 1, 0, 0, 0, 0, 501, 0},
	    {"anchor gone from the target", {1, 2}, {0}, 102, 1, 0, 0, 0, 0, 501, 0},
	    {"anchor differs", {1, 2, 3}, {7, 2, 3}, 102, 1, 0, 0, 0, 0, 501, 0},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const vcase *c = &cases[i];
		verify_rec from[16], to[16];
		size_t nf = 0, nt = 0;
		for (; nf < 16 && c->from_ids[nf]; nf++)
			from[nf] = R(100 + (int64_t)nf, c->from_ids[nf]);
		for (; nt < 16 && c->to_ids[nt]; nt++)
			to[nt] = R(500 + (int64_t)nt,
			           c->to_ids[nt] > 0 ? c->to_ids[nt] : 900 - c->to_ids[nt]);
		verify_input in = {.anchor_from = 100,
		                   .anchor_to = 500,
		                   .g = c->g,
		                   .has_next = c->has_next,
		                   .next_to = c->next_to,
		                   .from = from,
		                   .nfrom = nf,
		                   .from_complete = 1,
		                   .to = to,
		                   .nto = nt,
		                   .to_at_end = c->to_at_end};
		verify_outcome o;
		CHECK(verify_scan(&in, &o) == 0);
		CHECKF(o.ok == c->ok && o.exact == c->exact && o.offset == c->offset &&
		           o.pending == c->pending,
		       "%s: ok %d exact %d offset %lld pending %lld (%s)", c->name, o.ok, o.exact,
		       (long long)o.offset, (long long)o.pending, o.note ? o.note : "");
		CHECKF(o.exact || o.note, "%s: no note", c->name);
	}
}

/* verify + finish: exact answers replace MM2's rule; partial ones improve it. */
static void test_finish_with_verification(void)
{
	const int64_t s[][2] = {{100, 500}};
	translate_history h;
	hist(&h, s, 1);
	translate_plan p;
	translate_plan_make(&p, TRANSLATE_FORWARD, &h, NULL, 104, 100);
	CHECK(p.fetch);
	verify_outcome o = {.ok = 1, .exact = 1, .offset = 504, .pending = 0};
	translate_result r;
	translate_finish(&p, &o, NULL, &r);
	CHECK(r.method == TRANSLATE_EXACT && r.path == TRANSLATE_PATH_VERIFIED && r.offset == 504 &&
	      r.rereads_max == 0 && r.mm2_offset == 501);
	o = (verify_outcome){.ok = 1, .exact = 0, .offset = 502, .pending = 2, .note = "behind"};
	translate_finish(&p, &o, NULL, &r);
	CHECK(r.method == TRANSLATE_CONSERVATIVE && r.path == TRANSLATE_PATH_PARTIAL &&
	      r.offset == 502 && r.rereads_max == 2 && strcmp(r.note, "behind") == 0);
	o = (verify_outcome){.ok = 0, .offset = 501, .note = "anchor gone"};
	translate_finish(&p, &o, NULL, &r);
	CHECK(r.method == TRANSLATE_CONSERVATIVE && r.offset == 501 && r.rereads_max == 3 &&
	      strcmp(r.note, "anchor gone") == 0);
	/* a checkpoint further than a partial answer still wins */
	translate_checkpoint cp = {103, 503};
	translate_plan_make(&p, TRANSLATE_FORWARD, &h, &cp, 104, 100);
	o = (verify_outcome){.ok = 1, .exact = 0, .offset = 502, .pending = 2, .note = "x"};
	translate_finish(&p, &o, NULL, &r);
	CHECK(r.method == TRANSLATE_CHECKPOINT && r.offset == 503);
}

TEST_TABLE(translate_tests) = {
    {"translate rules table (MM2 edge cases)", test_rules_table},
    {"translate plan fetch ranges", test_plan_fetch_fields},
    {"translate history keeps older syncs for lagging groups", test_history_keeps_old_syncs},
    {"verify record comparison table", test_verify_table},
    {"translate finish with verification", test_finish_with_verification},
    {NULL, NULL},
};
