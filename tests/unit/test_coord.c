/* routing/coord_record: the control-topic records and the flip judge. */
#include <stdlib.h>
#include <string.h>

#include "routing/cfgjson.h"
#include "routing/coord_record.h"
#include "tests/unit/check.h"

enum { NOW = 1000000, BEGAN = 990000, HB = 2000 };

static coord_record rec(const char *inst, coord_state st, int cluster, int members, int64_t ts)
{
	coord_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.group, sizeof(r.group), "orders");
	snprintf(r.instance, sizeof(r.instance), "%s", inst);
	if (st != COORD_SERVING)
		coord_flip_id(CLUSTER_LEGACY, CLUSTER_TARGET, r.flip, sizeof(r.flip));
	r.state = st;
	r.cluster = cluster;
	r.members = members;
	r.since_ms = ts;
	r.ts_ms = ts;
	r.seen_ms = ts; /* as the reader stamps it: the judge reads these */
	r.changed_ms = ts;
	return r;
}

static coord_judgement judge(const coord_record *peers, size_t n, const char *self)
{
	coord_record me = rec(self, COORD_RELEASED, CLUSTER_LEGACY, 2, NOW);
	coord_judgement j;
	coord_judge(peers, n, &me, NOW, BEGAN, HB, &j);
	return j;
}

static void coord_record_round_trip(void)
{
	coord_record r = rec("pod-a", COORD_RELEASED, CLUSTER_LEGACY, 3, 1733600000123LL), d;
	char key[400];
	int klen = coord_record_key(&r, key, sizeof(key));
	CHECK(klen == (int)strlen("orders\npod-a"));
	char *v = coord_record_value(&r);
	CHECK(v != NULL);
	const char *why = "x";
	CHECK(coord_record_decode(key, (size_t)klen, v, strlen(v), &d, &why) == 0);
	CHECK(why == NULL);
	CHECK(!strcmp(d.group, "orders") && !strcmp(d.instance, "pod-a"));
	CHECK(!strcmp(d.flip, "legacy>target") && d.state == COORD_RELEASED);
	CHECK(d.cluster == CLUSTER_LEGACY && d.members == 3 && d.ts_ms == 1733600000123LL);
	free(v);
	/* a group id may hold a newline; the instance id never does */
	snprintf(r.group, sizeof(r.group), "odd\ngroup");
	char *v2 = coord_record_value(&r);
	klen = coord_record_key(&r, key, sizeof(key));
	CHECK(v2 && klen > 0 &&
	      coord_record_decode(key, (size_t)klen, v2, strlen(v2), &d, &why) == 0 &&
	      !strcmp(d.group, "odd\ngroup") && !strcmp(d.instance, "pod-a"));
	free(v2);
	snprintf(r.group, sizeof(r.group), "orders");
	klen = coord_record_key(&r, key, sizeof(key));
	/* tombstone: the key still names the record it deletes */
	CHECK(coord_record_decode(key, (size_t)klen, NULL, 0, &d, &why) == 1);
	CHECK(!strcmp(d.instance, "pod-a"));
	/* the group's topics travel with it, in order */
	CHECK(coord_topics_add(&r, "orders.v1") == 0 && coord_topics_add(&r, "payments") == 0);
	char *v3 = coord_record_value(&r);
	CHECK(v3 && strstr(v3, "\"topics\":[\"orders.v1\",\"payments\"]"));
	CHECK(v3 && coord_record_decode(key, (size_t)klen, v3, strlen(v3), &d, &why) == 0 &&
	      !strcmp(d.topics, "orders.v1\npayments\n"));
	free(v3);
	/* a list that does not fit, or a bad name, leaves none (a partial list
	 * would hold too little) */
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	int full = 0;
	for (int i = 0; i < 20 && !full; i++) {
		big[0] = (char)('a' + i);
		full = coord_topics_add(&r, big) != 0;
	}
	CHECK(full && r.topics[0] == '\0');
	CHECK(coord_topics_add(&r, "bad topic") == -1 && r.topics[0] == '\0');
}

static void coord_record_rejects(void)
{
	const char *key = "orders\npod-a";
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"v\":1}",
	    /* unknown field */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1,\"x\":0}",
	    /* version 2 */
	    "{\"v\":2,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    /* unknown state */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"paused\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    /* the value names another instance than the key */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-b\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    /* negative members, fractional ts, huge ts */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":-1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1.5}",
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1e300}",
	    /* a flip from a cluster to itself, and a flipping state without a flip */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>legacy\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1}",
	    /* topics: not a list, a name that is not a topic, not a string */
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1,\"topics\":\"orders\"}",
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1,\"topics\":[\"a b\"]}",
	    "{\"v\":1,\"group\":\"orders\",\"instance\":\"pod-a\",\"flip\":\"legacy>target\","
	    "\"state\":\"released\",\"cluster\":\"legacy\",\"members\":1,\"since_ms\":1,"
	    "\"ts_ms\":1,\"topics\":[1]}",
	    NULL,
	};
	coord_record d;
	for (size_t i = 0; bad[i]; i++) {
		const char *why = NULL;
		CHECKF(coord_record_decode(key, strlen(key), bad[i], strlen(bad[i]), &d, &why) ==
		               -1 &&
		           why,
		       "accepted: %s", bad[i]);
	}
	const char *why = NULL;
	CHECK(coord_record_decode("orders", 6, "{}", 2, &d, &why) == -1 && why);
	CHECK(coord_record_decode("\npod", 4, NULL, 0, &d, &why) == -1);
	CHECK(coord_record_decode(NULL, 0, NULL, 0, &d, &why) == -1);
}

static void coord_judge_alone_goes(void)
{
	coord_judgement j = judge(NULL, 0, "pod-a");
	CHECK(j.verdict == COORD_GO && j.released == 1 && j.waiting == 0);
}

static void coord_judge_waits_for_serving_peer(void)
{
	coord_record p[] = {rec("pod-b", COORD_SERVING, CLUSTER_LEGACY, 1, NOW - 100)};
	coord_judgement j = judge(p, 1, "pod-a");
	CHECK(j.verdict == COORD_WAIT && j.waiting == 1 && !strcmp(j.peer, "pod-b"));
	/* a freezing peer still has members that commit */
	p[0] = rec("pod-b", COORD_FREEZING, CLUSTER_LEGACY, 1, NOW - 100);
	j = judge(p, 1, "pod-a");
	CHECK(j.verdict == COORD_WAIT && j.waiting == 1);
}

static void coord_judge_ignores_stale_and_idle(void)
{
	coord_record p[] = {
	    rec("pod-b", COORD_SERVING, CLUSTER_LEGACY, 4, NOW - 3 * HB - 1), /* no heartbeat */
	    rec("pod-c", COORD_SERVING, CLUSTER_LEGACY, 0, NOW - 10),         /* idle */
	};
	coord_judgement j = judge(p, 2, "pod-a");
	CHECK(j.verdict == COORD_GO && j.stale == 1 && j.waiting == 0);
}

static void coord_judge_lowest_released_seeds(void)
{
	coord_record p[] = {rec("pod-a", COORD_RELEASED, CLUSTER_LEGACY, 1, NOW - 50)};
	coord_judgement j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_WAIT && j.released == 2 && j.waiting == 0);
	CHECK(!strcmp(j.peer, "pod-a"));
	p[0] = rec("pod-c", COORD_RELEASED, CLUSTER_LEGACY, 1, NOW - 50);
	j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_GO && !strcmp(j.peer, "pod-b"));
}

static void coord_judge_peer_seeded_is_done(void)
{
	coord_record p[] = {rec("pod-a", COORD_SEEDED, CLUSTER_TARGET, 2, NOW - 100)};
	coord_judgement j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_DONE && !strcmp(j.peer, "pod-a"));
	/* seeded in this flip and gone quiet since: still done */
	p[0].seen_ms = BEGAN + 10;
	p[0].changed_ms = BEGAN + 10;
	j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_DONE);
	/* a peer already serving the group on target */
	p[0] = rec("pod-a", COORD_SERVING, CLUSTER_TARGET, 2, NOW - 100);
	j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_DONE);
	/* ... but not one that merely knows the group there, with no member */
	p[0].members = 0;
	j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_GO);
}

static void coord_judge_peer_failure_fails(void)
{
	coord_record p[] = {
	    rec("pod-c", COORD_RELEASED, CLUSTER_LEGACY, 1, NOW - 10),
	    rec("pod-a", COORD_FAILED, CLUSTER_LEGACY, 2, NOW - 100),
	};
	coord_judgement j = judge(p, 2, "pod-b");
	CHECK(j.verdict == COORD_FAIL && !strcmp(j.peer, "pod-a"));
	/* a failure from before this flip began is an old attempt: that sidecar
	 * is serving the old cluster with members, so it is waited for */
	p[1].changed_ms = BEGAN - 1;
	j = judge(p, 2, "pod-b");
	CHECK(j.verdict == COORD_WAIT && j.waiting == 1 && !strcmp(j.peer, "pod-a"));
}

/* The writer's clock is not the judge's: a peer whose clock runs an hour
 * behind (or ahead) is live while its records keep arriving. */
static void coord_judge_ignores_the_writers_clock(void)
{
	coord_record p[] = {rec("pod-a", COORD_SERVING, CLUSTER_LEGACY, 2, NOW)};
	p[0].ts_ms = p[0].since_ms = NOW - 3600000;
	coord_judgement j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_WAIT && j.waiting == 1 && j.stale == 0);
	p[0].ts_ms = p[0].since_ms = NOW + 3600000;
	p[0].seen_ms = NOW - 4 * HB; /* no record for four heartbeats: gone */
	j = judge(p, 1, "pod-b");
	CHECK(j.verdict == COORD_GO && j.stale == 1);
}

static void coord_judge_other_group_and_self_ignored(void)
{
	coord_record p[] = {
	    rec("pod-b", COORD_SERVING, CLUSTER_LEGACY, 3, NOW),
	    rec("pod-a", COORD_SERVING, CLUSTER_LEGACY, 3, NOW), /* self's echo */
	};
	snprintf(p[0].group, sizeof(p[0].group), "payments");
	coord_judgement j = judge(p, 2, "pod-a");
	CHECK(j.verdict == COORD_GO && j.waiting == 0);
}

/* A restarted sidecar seeds only once no live peer may still commit on the
 * old cluster: serving or freezing there with members. */
static void coord_peers_flipping_counts_live_flips_away(void)
{
	coord_record p[] = {
	    rec("pod-c", COORD_FREEZING, CLUSTER_LEGACY, 2, NOW),          /* counts */
	    rec("pod-d", COORD_RELEASED, CLUSTER_LEGACY, 0, NOW),          /* counts */
	    rec("pod-e", COORD_FREEZING, CLUSTER_LEGACY, 2, NOW - 4 * HB), /* stale */
	    rec("pod-f", COORD_SEEDED, CLUSTER_TARGET, 2, NOW),            /* done */
	    rec("pod-g", COORD_FAILED, CLUSTER_LEGACY, 2, NOW),            /* gave up */
	    rec("pod-h", COORD_SERVING, CLUSTER_LEGACY, 3, NOW),           /* no flip */
	    rec("pod-a", COORD_FREEZING, CLUSTER_LEGACY, 3, NOW),          /* self */
	};
	char first[COORD_INSTANCE_MAX];
	CHECK(coord_peers_flipping(p, 7, "pod-a", CLUSTER_LEGACY, NOW, HB, first, sizeof(first)) ==
	      2);
	CHECK(!strcmp(first, "pod-c"));
	CHECK(coord_peers_flipping(p + 2, 5, "pod-a", CLUSTER_LEGACY, NOW, HB, first,
	                           sizeof(first)) == 0);
	CHECK(first[0] == '\0');
	/* on target, the peer that seeded is still settling: its members are
	 * rejoining there one by one */
	CHECK(coord_peers_flipping(p, 7, "pod-x", CLUSTER_TARGET, NOW, HB, first, sizeof(first)) ==
	      1);
	CHECK(!strcmp(first, "pod-f"));
	/* settled (serving on target) or stale: nothing to wait for */
	coord_record done[] = {rec("pod-f", COORD_SERVING, CLUSTER_TARGET, 2, NOW),
	                       rec("pod-g", COORD_SEEDED, CLUSTER_TARGET, 2, NOW - 4 * HB)};
	CHECK(coord_peers_flipping(done, 2, "pod-x", CLUSTER_TARGET, NOW, HB, first,
	                           sizeof(first)) == 0);
	/* the reverse flip, seen from a sidecar back on target */
	coord_record back = rec("pod-c", COORD_FREEZING, CLUSTER_TARGET, 1, NOW);
	coord_flip_id(CLUSTER_TARGET, CLUSTER_LEGACY, back.flip, sizeof(back.flip));
	CHECK(coord_peers_flipping(&back, 1, "pod-a", CLUSTER_TARGET, NOW, HB, first,
	                           sizeof(first)) == 1);
	/* a record on the cluster whose flip names another move is not this one */
	coord_record odd = rec("pod-c", COORD_FREEZING, CLUSTER_TARGET, 1, NOW);
	CHECK(coord_peers_flipping(&odd, 1, "pod-a", CLUSTER_TARGET, NOW, HB, first,
	                           sizeof(first)) == 0);
}

TEST_TABLE(coord_tests) = {
    {"coord_record_round_trip", coord_record_round_trip},
    {"coord_record_rejects", coord_record_rejects},
    {"coord_judge_alone_goes", coord_judge_alone_goes},
    {"coord_judge_waits_for_serving_peer", coord_judge_waits_for_serving_peer},
    {"coord_judge_ignores_stale_and_idle", coord_judge_ignores_stale_and_idle},
    {"coord_judge_lowest_released_seeds", coord_judge_lowest_released_seeds},
    {"coord_judge_peer_seeded_is_done", coord_judge_peer_seeded_is_done},
    {"coord_judge_peer_failure_fails", coord_judge_peer_failure_fails},
    {"coord_judge_ignores_the_writers_clock", coord_judge_ignores_the_writers_clock},
    {"coord_judge_other_group_and_self_ignored", coord_judge_other_group_and_self_ignored},
    {"coord_peers_flipping_counts_live_flips_away", coord_peers_flipping_counts_live_flips_away},
    {NULL, NULL},
};
