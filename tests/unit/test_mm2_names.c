/* MM2 topic naming (reference notes §1.1, §2.1, §4) and the "mirror" config. */
#include <string.h>

#include "proxy/config.h"
#include "routing/mirror_config.h"
#include "routing/mm2_names.h"
#include "tests/unit/check.h"

typedef struct names_case {
	const char *src, *dst, *sep;
	mirror_policy policy;
	int internal_sep;
	mirror_syncs_location loc;
	const char *checkpoints, *syncs;
	mm2_side syncs_side;
	const char *topic, *remote; /* remote NULL: must fail */
} names_case;

static void test_names_table(void)
{
	static const names_case cases[] = {
	    /* MM2 defaults */
	    {"legacy", "target", ".", MIRROR_POLICY_DEFAULT, 1, MIRROR_SYNCS_ON_SOURCE,
	     "legacy.checkpoints.internal", "mm2-offset-syncs.target.internal", MM2_SIDE_SOURCE,
	     "orders", "legacy.orders"},
	    /* offset-syncs on the target are named after the source alias */
	    {"legacy", "target", ".", MIRROR_POLICY_DEFAULT, 1, MIRROR_SYNCS_ON_TARGET,
	     "legacy.checkpoints.internal", "mm2-offset-syncs.legacy.internal", MM2_SIDE_TARGET,
	     "orders", "legacy.orders"},
	    /* KIP-690 separator, applied to internal topics too (the default) */
	    {"src", "dst", "__", MIRROR_POLICY_DEFAULT, 1, MIRROR_SYNCS_ON_SOURCE,
	     "src__checkpoints__internal", "mm2-offset-syncs__dst__internal", MM2_SIDE_SOURCE,
	     "orders", "src__orders"},
	    /* KIP-949: internal topics keep "." */
	    {"src", "dst", "__", MIRROR_POLICY_DEFAULT, 0, MIRROR_SYNCS_ON_SOURCE,
	     "src.checkpoints.internal", "mm2-offset-syncs.dst.internal", MM2_SIDE_SOURCE, "orders",
	     "src__orders"},
	    /* identity keeps topic names, not internal names */
	    {"legacy", "target", ".", MIRROR_POLICY_IDENTITY, 1, MIRROR_SYNCS_ON_SOURCE,
	     "legacy.checkpoints.internal", "mm2-offset-syncs.target.internal", MM2_SIDE_SOURCE,
	     "orders", "orders"},
	    /* the AWS sample (CustomMM2ReplicationPolicy behaves as identity here) */
	    {"msksource", "mskdest", ".", MIRROR_POLICY_IDENTITY, 1, MIRROR_SYNCS_ON_SOURCE,
	     "msksource.checkpoints.internal", "mm2-offset-syncs.mskdest.internal", MM2_SIDE_SOURCE,
	     "ExampleTopic", "ExampleTopic"},
	    /* a topic that came from the target goes back under its own name */
	    {"legacy", "target", ".", MIRROR_POLICY_DEFAULT, 1, MIRROR_SYNCS_ON_SOURCE,
	     "legacy.checkpoints.internal", "mm2-offset-syncs.target.internal", MM2_SIDE_SOURCE,
	     "target.orders", "orders"},
	    /* 243 + "legacy." is longer than 249 */
	    {"legacy", "target", ".", MIRROR_POLICY_DEFAULT, 1, MIRROR_SYNCS_ON_SOURCE,
	     "legacy.checkpoints.internal", "mm2-offset-syncs.target.internal", MM2_SIDE_SOURCE,
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	     NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const names_case *c = &cases[i];
		mirror_config mc;
		mirror_config_defaults(&mc);
		mc.source_alias = (char *)c->src;
		mc.target_alias = (char *)c->dst;
		mc.separator = (char *)c->sep;
		mc.policy = c->policy;
		mc.internal_separator_enabled = c->internal_sep;
		mc.syncs_location = c->loc;
		char buf[MM2_TOPIC_MAX + 1], back[MM2_TOPIC_MAX + 1];
		CHECKF(mm2_names_checkpoints_topic(&mc, buf, sizeof(buf)) == 0 &&
		           strcmp(buf, c->checkpoints) == 0,
		       "case %zu: checkpoints %s", i, buf);
		CHECKF(mm2_names_offset_syncs_topic(&mc, buf, sizeof(buf)) == 0 &&
		           strcmp(buf, c->syncs) == 0,
		       "case %zu: syncs %s", i, buf);
		CHECK(mm2_names_offset_syncs_side(&mc) == c->syncs_side);
		int rc = mm2_names_remote_topic(&mc, c->topic, buf, sizeof(buf));
		if (!c->remote) {
			CHECKF(rc == -1, "case %zu: too long accepted", i);
			continue;
		}
		CHECKF(rc == 0 && strcmp(buf, c->remote) == 0, "case %zu: remote %s", i, buf);
		/* and back */
		CHECKF(mm2_names_source_topic(&mc, buf, back, sizeof(back)) == 0 &&
		           strcmp(back, c->topic) == 0,
		       "case %zu: source of %s is %s", i, buf, back);
	}
}

static void test_names_overrides(void)
{
	mirror_config mc;
	mirror_config_defaults(&mc);
	mc.source_alias = "a";
	mc.target_alias = "b";
	mc.checkpoints_topic = "replicator.cp";
	mc.offset_syncs_topic = "replicator.os";
	char buf[300];
	CHECK(mm2_names_checkpoints_topic(&mc, buf, sizeof(buf)) == 0 &&
	      strcmp(buf, "replicator.cp") == 0);
	CHECK(mm2_names_offset_syncs_topic(&mc, buf, sizeof(buf)) == 0 &&
	      strcmp(buf, "replicator.os") == 0);
	/* a buffer too small fails rather than truncating */
	CHECK(mm2_names_checkpoints_topic(&mc, buf, 5) == -1);
	/* default policy: a target topic without the source prefix maps to the
	 * target-alias topic on the source only if that one maps back */
	mc.separator = ".";
	CHECK(mm2_names_source_topic(&mc, "orders", buf, sizeof(buf)) == 0 &&
	      strcmp(buf, "b.orders") == 0);
	CHECK(mm2_names_source_topic(&mc, "a.", buf, sizeof(buf)) == 0 && strcmp(buf, "b.a.") == 0);
}

#define CLUSTERS                                                                                   \
	"\"clusters\": {\"legacy\": {\"bootstrap\": \"a:1\"}, \"target\": {\"bootstrap\": "        \
	"\"c:3\"}}"

static void test_mirror_config_valid(void)
{
	char err[256] = "";
	config *c = config_parse(
	    "{" CLUSTERS ", \"mirror\": {\"source_alias\": \"legacy\", \"target_alias\": \"msk\", "
	    "\"replication_policy\": \"identity\", \"separator\": \"__\", "
	    "\"internal_topic_separator_enabled\": false, \"offset_syncs_topic_location\": "
	    "\"target\", \"verify_record_budget\": 0, \"use_checkpoints\": false, "
	    "\"ready_timeout_ms\": 500, \"fetch_timeout_ms\": 700}}",
	    err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (!c)
		return;
	const mirror_config *m = c->mirror;
	CHECK(m && strcmp(m->source_alias, "legacy") == 0 && strcmp(m->target_alias, "msk") == 0);
	CHECK(m->policy == MIRROR_POLICY_IDENTITY && strcmp(m->separator, "__") == 0);
	CHECK(!m->internal_separator_enabled && m->syncs_location == MIRROR_SYNCS_ON_TARGET);
	CHECK(m->verify_record_budget == 0 && !m->use_checkpoints);
	CHECK(m->ready_timeout_ms == 500 && m->fetch_timeout_ms == 700);
	config_free(c);
	/* defaults */
	c = config_parse("{" CLUSTERS ", \"mirror\": {\"source_alias\": \"s\", \"target_alias\": "
	                 "\"t\"}}",
	                 err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (!c)
		return;
	m = c->mirror;
	CHECK(m->policy == MIRROR_POLICY_DEFAULT && strcmp(m->separator, ".") == 0);
	CHECK(m->internal_separator_enabled && m->syncs_location == MIRROR_SYNCS_ON_SOURCE);
	CHECK(m->verify_record_budget == 10000 && m->use_checkpoints);
	CHECK(!m->checkpoints_topic && !m->offset_syncs_topic);
	config_free(c);
	/* no mirror object: no translation */
	c = config_parse("{" CLUSTERS "}", err, sizeof(err));
	CHECK(c && c->mirror == NULL);
	config_free(c);
}

static void test_mirror_config_errors(void)
{
	static const struct {
		const char *mirror, *want;
	} cases[] = {
	    {"[]", "mirror: must be an object"},
	    {"{}", "mirror.source_alias: required"},
	    {"{\"source_alias\": \"s\"}", "mirror.target_alias: required"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"s\"}",
	     "mirror.target_alias: must differ"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"sourc_alias\": 1}",
	     "mirror.sourc_alias: unknown key"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"source_alias\": \"u\"}",
	     "mirror.source_alias: repeated key"},
	    {"{\"source_alias\": \"a b\", \"target_alias\": \"t\"}",
	     "mirror.source_alias: may contain only"},
	    {"{\"source_alias\": \"\", \"target_alias\": \"t\"}",
	     "mirror.source_alias: must be a non-empty string"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"replication_policy\": "
	     "\"custom\"}",
	     "mirror.replication_policy: must be \"default\" or \"identity\""},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"offset_syncs_topic_location\": "
	     "\"both\"}",
	     "mirror.offset_syncs_topic_location: must be \"source\" or \"target\""},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"use_checkpoints\": 1}",
	     "mirror.use_checkpoints: must be true or false"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"verify_record_budget\": -1}",
	     "mirror.verify_record_budget: must be between 0 and"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"verify_record_budget\": 1.5}",
	     "mirror.verify_record_budget: must be an integer"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"ready_timeout_ms\": 5}",
	     "mirror.ready_timeout_ms: must be between"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"checkpoints_topic\": \"a/b\"}",
	     "mirror.checkpoints_topic: may contain only"},
	    {"{\"source_alias\": \"s\", \"target_alias\": \"t\", \"separator\": "
	     "\"0123456789012345678901234567890123\"}",
	     "mirror.separator: longer than 32"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[1024], err[256] = "";
		snprintf(json, sizeof(json), "{" CLUSTERS ", \"mirror\": %s}", cases[i].mirror);
		config *c = config_parse(json, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, cases[i].want), "case %zu: got \"%s\", want \"%s\"",
		       i, err, cases[i].want);
		config_free(c);
	}
}

TEST_TABLE(mm2_names_tests) = {
    {"mm2 topic names per policy and separator options", test_names_table},
    {"mm2 topic name overrides and inverse", test_names_overrides},
    {"mirror config valid and defaults", test_mirror_config_valid},
    {"mirror config errors name the field", test_mirror_config_errors},
    {NULL, NULL},
};
