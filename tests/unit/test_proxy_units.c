/* Config validation, response rewriting and the ApiVersions offer. */
#include <stdlib.h>
#include <string.h>

#include "proxy/apiversions.h"
#include "proxy/config.h"
#include "proxy/flip_positions.h"
#include "proxy/groups.h"
#include "proxy/rewrite.h"
#include "tests/unit/check.h"
#include "wire/api.h"
#include "wire/header.h"
#include "wire_msgs.h"

#define GOOD_CLUSTERS                                                                              \
	"\"clusters\": {\"legacy\": {\"bootstrap\": \"a:1,b:2\"}, \"target\": {\"bootstrap\": "    \
	"\"c:3\"}}"

static void test_config_valid(void)
{
	char err[256] = "";
	config *c =
	    config_parse("{\"listen\": \"127.0.0.1:9093\", \"default_cluster\": \"target\", "
	                 "\"max_frame_bytes\": 2048, " GOOD_CLUSTERS "}",
	                 err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (!c)
		return;
	CHECK(strcmp(c->listen_host, "127.0.0.1") == 0 && c->listen_port == 9093);
	CHECK(c->default_cluster == CLUSTER_TARGET && c->max_frame_bytes == 2048);
	CHECK(strcmp(c->clusters[CLUSTER_LEGACY].bootstrap, "a:1,b:2") == 0);
	CHECK(strcmp(c->advertised_host, "127.0.0.1") == 0);
	config_free(c);
	/* an escaped backslash before "u0000" is not a NUL */
	c = config_parse("{\"service\": \"a\\\\u0000\", " GOOD_CLUSTERS "}", err, sizeof(err));
	CHECKF(c != NULL && strcmp(c->service, "a\\u0000") == 0, "%s", err);
	config_free(c);
	/* empty bootstrap entries are skipped, as Kafka clients skip them */
	c = config_parse("{\"clusters\": {\"legacy\": {\"bootstrap\": \",a:1,,b:2,\"}, "
	                 "\"target\": {\"bootstrap\": \"c:3\"}}}",
	                 err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	config_free(c);
}

/* Editors want "$schema" at the top of the file; only there is it allowed. */
static void test_config_schema_key(void)
{
	char err[256] = "";
	config *c = config_parse("{\"$schema\": \"./turnout.schema.json\", " GOOD_CLUSTERS "}", err,
	                         sizeof(err));
	CHECKF(c != NULL, "%s", err);
	config_free(c);
	static const struct {
		const char *json, *want;
	} bad[] = {
	    {"{\"$schema\": 1, " GOOD_CLUSTERS "}", "$schema: must be a string"},
	    {"{\"log\": {\"$schema\": \"x\"}, " GOOD_CLUSTERS "}", "log.$schema: unknown key"},
	    {"{\"clusters\": {\"$schema\": \"x\", \"legacy\": {\"bootstrap\": \"a:1\"}, "
	     "\"target\": {\"bootstrap\": \"c:1\"}}}",
	     "clusters.$schema: unknown key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = config_parse(bad[i].json, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, bad[i].want), "case %zu: got \"%s\", want \"%s\"",
		       i, err, bad[i].want);
		config_free(c);
	}
}

static void test_config_errors(void)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{", "not valid JSON"},
	    {"[]", "must be an object"},
	    {"{\"clusters\": {}}", "clusters.legacy: required object"},
	    {"{\"lissten\": \"x:1\", " GOOD_CLUSTERS "}", "lissten: unknown key"},
	    {"{\"listen\": \"nohost\", " GOOD_CLUSTERS "}", "listen: must be host:port"},
	    {"{\"listen\": 5, " GOOD_CLUSTERS "}", "listen: must be a non-empty string"},
	    {"{\"max_frame_bytes\": 2048.5, " GOOD_CLUSTERS "}",
	     "max_frame_bytes: must be an integer"},
	    {"{\"max_frame_bytes\": 10, " GOOD_CLUSTERS "}", "max_frame_bytes: must be between"},
	    {"{\"default_cluster\": \"msk\", " GOOD_CLUSTERS "}", "default_cluster: must be"},
	    {"{\"log_level\": \"loud\", " GOOD_CLUSTERS "}", "log_level: must be"},
	    {"{\"clusters\": {\"legacy\": {\"bootstrap\": \"a:1\"}, \"target\": {\"bootstrap\": "
	     "\"c\"}}}",
	     "clusters.target.bootstrap: every entry must be host:port"},
	    {"{\"listen\": \"a:1\", \"listen\": \"b:2\", " GOOD_CLUSTERS "}",
	     "listen: repeated key"},
	    {"{\"log\": {\"format\": \"json\", \"format\": \"json\"}, " GOOD_CLUSTERS "}",
	     "log.format: repeated key"},
	    {"{\"log_level\": \"info\\u0000x\", " GOOD_CLUSTERS "}", "\\u0000 is not allowed"},
	    {"{\"listen\\u0000x\": \"a:1\", " GOOD_CLUSTERS "}", "\\u0000 is not allowed"},
	    {"{\"listen\": \"h:+80\", " GOOD_CLUSTERS "}", "listen: must be host:port"},
	    {"{\"listen\": \"h: 80\", " GOOD_CLUSTERS "}", "listen: must be host:port"},
	    {"{\"listen\": \"h:\", " GOOD_CLUSTERS "}", "listen: must be host:port"},
	    {"{\"clusters\": {\"legacy\": {\"bootstrap\": \",\"}, \"target\": "
	     "{\"bootstrap\": \"c:1\"}}}",
	     "clusters.legacy.bootstrap: every entry must be host:port"},
	    {"{\"clusters\": {\"legacy\": {\"bootstrap\": \"a:1\", \"tls\": 1}, \"target\": "
	     "{\"bootstrap\": \"c:1\"}}}",
	     "clusters.legacy.tls: must be an object"},
	    {"{\"clusters\": {\"legacy\": {\"bootstrap\": \"a:1\"}, \"target\": {\"bootstrap\": "
	     "\"c:1\"}, \"third\": {}}}",
	     "clusters.third: unknown key"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		config *c = config_parse(cases[i].json, err, sizeof(err));
		CHECKF(c == NULL && strstr(err, cases[i].want), "case %zu: got \"%s\", want \"%s\"",
		       i, err, cases[i].want);
		config_free(c);
	}
}

/* A map that puts cluster c's broker n at virtual id 10*(c+1)+n, port 9000+vid. */
static int learned;
static int32_t t_vid(void *ctx, int cluster, int32_t id)
{
	(void)ctx;
	return 10 * (cluster + 1) + id;
}
static void t_learn(void *ctx, int cluster, int32_t id, wire_str host, int32_t port)
{
	(void)ctx;
	(void)cluster;
	(void)id;
	learned += wire_str_eqc(host, "real") && port == 7000;
}
static int t_adv(void *ctx, int32_t vid, wire_str *host, int32_t *port)
{
	(void)ctx;
	*host = wire_str_c("127.0.0.1");
	*port = 9000 + vid;
	return 0;
}
static const rewrite_map tmap = {NULL, t_vid, t_learn, t_adv};

static void test_rewrite_metadata(void)
{
	wire_metadata_resp m;
	wire_metadata_resp_init(&m);
	wire_metadata_resp_broker b[2];
	for (int i = 0; i < 2; i++) {
		wire_metadata_resp_broker_init(&b[i]);
		b[i].node_id = i + 1;
		b[i].host = wire_str_c("real");
		b[i].port = 7000;
	}
	m.brokers = (wire_metadata_resp_broker_array){2, b};
	m.controller_id = 2;
	m.cluster_id = wire_str_c("cid");
	int32_t replicas[] = {1, 2};
	wire_metadata_resp_partition p;
	wire_metadata_resp_partition_init(&p);
	p.leader_id = 1;
	p.replica_nodes = (wire_int32_array){2, replicas};
	p.isr_nodes = (wire_int32_array){2, replicas};
	wire_metadata_resp_topic t;
	wire_metadata_resp_topic_init(&t);
	t.name = wire_str_c("orders");
	t.partitions = (wire_metadata_resp_partition_array){1, &p};
	m.topics = (wire_metadata_resp_topic_array){1, &t};

	for (int16_t v = 1; v <= 12; v += 11) {
		wire_wr in, out;
		wire_wr_init(&in, false);
		wire_wr_init(&out, true);
		CHECK(wire_metadata_resp_encode(&in, v, &m) == 0);
		char err[256] = "";
		learned = 0;
		CHECKF(rewrite_response(WIRE_API_METADATA, v, CLUSTER_TARGET, in.buf, in.len, &tmap,
		                        &out, err, sizeof(err)) == 0,
		       "%s", err);
		CHECK(learned == 2);
		wire_arena a;
		wire_arena_init(&a, 0);
		wire_metadata_resp r;
		CHECK(wire_msg_decode_body(wire_msg_find(3, WIRE_RESPONSE), v, out.buf, out.len, &a,
		                           &r, err, sizeof(err)) == 0);
		CHECK(r.brokers.n == 2 && r.brokers.v[0].node_id == 21 &&
		      r.brokers.v[1].node_id == 22);
		CHECK(wire_str_eqc(r.brokers.v[0].host, "127.0.0.1") &&
		      r.brokers.v[0].port == 9021);
		CHECK(r.controller_id == 22);
		const wire_metadata_resp_partition *rp = &r.topics.v[0].partitions.v[0];
		CHECK(rp->leader_id == 21 && rp->replica_nodes.v[1] == 22 &&
		      rp->isr_nodes.v[0] == 21);
		CHECK(wire_str_eqc(r.topics.v[0].name, "orders"));
		wire_arena_reset(&a);
		wire_wr_free(&in);
		wire_wr_free(&out);
	}
}

/* KIP-951 endpoints are rewritten; the records stay references into the input. */
static void test_rewrite_fetch_node_endpoints(void)
{
	static const uint8_t records[] = {1, 2, 3, 4, 5};
	wire_fetch_resp m;
	wire_fetch_resp_init(&m);
	wire_fetch_resp_partition_data pd;
	wire_fetch_resp_partition_data_init(&pd);
	pd.error_code = 6;
	pd.has_current_leader = true;
	pd.current_leader.leader_id = 3;
	pd.current_leader.leader_epoch = 7;
	pd.records = (wire_bytes){records, 5};
	wire_fetch_resp_fetchable_topic_response tr;
	wire_fetch_resp_fetchable_topic_response_init(&tr);
	tr.partitions = (wire_fetch_resp_partition_data_array){1, &pd};
	m.responses = (wire_fetch_resp_fetchable_topic_response_array){1, &tr};
	wire_fetch_resp_node_endpoint ep;
	wire_fetch_resp_node_endpoint_init(&ep);
	ep.node_id = 3;
	ep.host = wire_str_c("real");
	ep.port = 7000;
	m.has_node_endpoints = true;
	m.node_endpoints = (wire_fetch_resp_node_endpoint_array){1, &ep};
	wire_wr in, out;
	wire_wr_init(&in, false);
	wire_wr_init(&out, true);
	CHECK(wire_fetch_resp_encode(&in, 16, &m) == 0);
	char err[256] = "";
	CHECKF(rewrite_response(WIRE_API_FETCH, 16, CLUSTER_LEGACY, in.buf, in.len, &tmap, &out,
	                        err, sizeof(err)) == 0,
	       "%s", err);
	CHECK(out.nrefs == 1 && out.refs[0].len == 5 && out.refs[0].p >= in.buf &&
	      out.refs[0].p < in.buf + in.len);
	CHECK(wire_wr_flatten(&out) == 0);
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_fetch_resp r;
	CHECK(wire_msg_decode_body(wire_msg_find(1, WIRE_RESPONSE), 16, out.buf, out.len, &a, &r,
	                           err, sizeof(err)) == 0);
	CHECK(r.node_endpoints.n == 1 && r.node_endpoints.v[0].node_id == 13 &&
	      r.node_endpoints.v[0].port == 9013);
	CHECK(r.responses.v[0].partitions.v[0].current_leader.leader_id == 13);
	/* epochs are hidden: the two clusters' epochs are unrelated */
	CHECK(r.responses.v[0].partitions.v[0].current_leader.leader_epoch == -1);
	CHECK(r.responses.v[0].partitions.v[0].records.len == 5);
	wire_arena_reset(&a);
	wire_wr_free(&in);
	wire_wr_free(&out);
}

/* Clients see no leader epochs, so a Fetch's CurrentLeaderEpoch (librdkafka
 * 2.x sends 0 for "unknown") is cleared to -1 in place; nothing else moves. */
static void test_rewrite_fetch_epochs(void)
{
	static const int16_t versions[] = {9, 11, 12, 13, 15, 17};
	static const int32_t epochs[] = {0, 5, -1, 3};
	for (size_t vi = 0; vi < sizeof(versions) / sizeof(versions[0]); vi++) {
		int16_t v = versions[vi];
		wire_fetch_req_partition parts[4];
		for (int i = 0; i < 4; i++) {
			wire_fetch_req_partition_init(&parts[i]);
			parts[i].partition = i;
			parts[i].current_leader_epoch = epochs[i];
			parts[i].fetch_offset = 100 + i;
			parts[i].last_fetched_epoch = 7;
			parts[i].partition_max_bytes = 1 << 20;
			parts[i].has_replica_directory_id = v >= 17;
		}
		wire_fetch_req_topic topics[2];
		for (int t = 0; t < 2; t++) {
			wire_fetch_req_topic_init(&topics[t]);
			topics[t].topic = wire_str_c(t ? "payments" : "orders");
			topics[t].topic_id.b[0] = (uint8_t)(t + 1);
			topics[t].partitions = (wire_fetch_req_partition_array){2, &parts[2 * t]};
		}
		wire_fetch_req m;
		wire_fetch_req_init(&m);
		m.has_cluster_id = v >= 12;
		m.cluster_id = wire_str_c("c");
		m.has_replica_state = v >= 15;
		m.max_wait_ms = 500;
		m.session_epoch = -1;
		m.topics = (wire_fetch_req_topic_array){2, topics};
		m.rack_id = wire_str_c("rack");
		wire_req_header h = {.api_key = WIRE_API_FETCH,
		                     .api_version = v,
		                     .correlation_id = 9,
		                     .client_id = wire_str_c("rdk_client"),
		                     .version = (int8_t)(v >= 12 ? 2 : 1)};
		wire_wr w;
		wire_wr_init(&w, false);
		CHECK(wire_req_header_encode(&w, &h) == 0 && wire_fetch_req_encode(&w, v, &m) == 0);
		CHECKF(rewrite_fetch_epochs(w.buf, w.len) == 3, "v%d", v);
		wire_arena a;
		wire_arena_init(&a, 0);
		wire_rd r;
		wire_rd_init(&r, w.buf, w.len);
		wire_req_header h2;
		wire_fetch_req got;
		char err[256] = "";
		CHECK(wire_req_header_decode(&r, &a, &h2) == 0 && h2.correlation_id == 9);
		CHECKF(wire_msg_decode_body(wire_msg_find(WIRE_API_FETCH, WIRE_REQUEST), v,
		                            w.buf + r.pos, w.len - r.pos, &a, &got, err,
		                            sizeof(err)) == 0,
		       "v%d: %s", v, err);
		CHECK(got.topics.n == 2 && got.max_wait_ms == 500 &&
		      (v < 11 || wire_str_eqc(got.rack_id, "rack")));
		for (int i = 0; i < 4 && got.topics.n == 2; i++) {
			const wire_fetch_req_partition *gp =
			    &got.topics.v[i / 2].partitions.v[i % 2];
			CHECKF(gp->current_leader_epoch == -1, "v%d partition %d", v, i);
			CHECK(gp->partition == i && gp->fetch_offset == 100 + i &&
			      gp->partition_max_bytes == 1 << 20);
			CHECK(v < 12 || gp->last_fetched_epoch == 7);
		}
		/* nothing left to clear; a cut frame is left alone */
		CHECK(rewrite_fetch_epochs(w.buf, w.len) == 0);
		CHECK(rewrite_fetch_epochs(w.buf, w.len / 2) == -1);
		wire_arena_reset(&a);
		wire_wr_free(&w);
	}
	/* other apis are not touched */
	wire_req_header h = {.api_key = WIRE_API_LIST_OFFSETS,
	                     .api_version = 7,
	                     .client_id = wire_str_c("x"),
	                     .version = 2};
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_req_header_encode(&w, &h) == 0);
	CHECK(rewrite_fetch_epochs(w.buf, w.len) == 0);
	wire_wr_free(&w);
}

static void test_rewrite_rejects_garbage(void)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x00};
	wire_wr out;
	wire_wr_init(&out, true);
	char err[256] = "";
	CHECK(rewrite_response(WIRE_API_METADATA, 1, 0, junk, sizeof(junk), &tmap, &out, err,
	                       sizeof(err)) != 0 &&
	      strstr(err, "MetadataResponse v1"));
	CHECK(rewrite_response(WIRE_API_METADATA, 99, 0, junk, sizeof(junk), &tmap, &out, err,
	                       sizeof(err)) != 0 &&
	      strstr(err, "cannot decode this version"));
	wire_wr_free(&out);
	CHECK(rewrite_needed(WIRE_API_METADATA, 0) && rewrite_needed(WIRE_API_FETCH, 12));
	CHECK(!rewrite_needed(WIRE_API_FETCH, 11) && !rewrite_needed(WIRE_API_PRODUCE, 9));
	CHECK(!rewrite_needed(WIRE_API_OFFSET_COMMIT, 8));
}

static void test_apiversions_offer(void)
{
	apiversions_table cl[CLUSTER_COUNT], offer;
	for (int c = 0; c < CLUSTER_COUNT; c++)
		for (int k = 0; k < APIVERSIONS_KEYS; k++)
			cl[c].r[k] = (api_range){1, 0};
	cl[0].r[WIRE_API_METADATA] = (api_range){0, 12};
	cl[1].r[WIRE_API_METADATA] = (api_range){0, 9};
	cl[0].r[WIRE_API_FETCH] = (api_range){4, 17};
	cl[1].r[WIRE_API_FETCH] = (api_range){0, 16};
	cl[0].r[WIRE_API_PRODUCE] = cl[1].r[WIRE_API_PRODUCE] = (api_range){3, 11};
	cl[0].r[WIRE_API_SASL_HANDSHAKE] = cl[1].r[WIRE_API_SASL_HANDSHAKE] = (api_range){0, 1};
	cl[0].r[WIRE_API_HEARTBEAT] = (api_range){0, 4}; /* only one cluster has it */
	apiversions_combine(cl, &offer);
	CHECK(offer.r[WIRE_API_METADATA].min == 0 && offer.r[WIRE_API_METADATA].max == 9);
	CHECK(offer.r[WIRE_API_FETCH].min == 4 && offer.r[WIRE_API_FETCH].max == 16);
	CHECK(offer.r[WIRE_API_PRODUCE].min == 0 && offer.r[WIRE_API_PRODUCE].max == 11);
	CHECK(offer.r[WIRE_API_SASL_HANDSHAKE].min > offer.r[WIRE_API_SASL_HANDSHAKE].max);
	CHECK(offer.r[WIRE_API_HEARTBEAT].min > offer.r[WIRE_API_HEARTBEAT].max);
	CHECK(offer.r[WIRE_API_API_VERSIONS].min == 0 && offer.r[WIRE_API_API_VERSIONS].max == 4);

	/* the answer frame: size, correlation id, a v3 body that decodes */
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(apiversions_answer(&offer, 3, 77, &w) == 0);
	CHECK(w.len > 8 && w.buf[7] == 77);
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_api_versions_resp r;
	char err[256];
	CHECK(wire_msg_decode_body(wire_msg_find(18, WIRE_RESPONSE), 3, w.buf + 8, w.len - 8, &a,
	                           &r, err, sizeof(err)) == 0);
	CHECK(r.error_code == 0 && r.api_keys.n == 4);
	wire_wr_free(&w);
	wire_wr_init(&w, false);
	CHECK(apiversions_answer(&offer, 9, 78, &w) == 0);
	CHECK(wire_msg_decode_body(wire_msg_find(18, WIRE_RESPONSE), 0, w.buf + 8, w.len - 8, &a,
	                           &r, err, sizeof(err)) == 0);
	CHECK(r.error_code == 35 && r.api_keys.n == 1 && r.api_keys.v[0].api_key == 18);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

/* Settling waits for connections, not member ids: a member that rejoined
 * under a new id is listed again on the same connection. */
static void test_groups_member_clients(void)
{
	group_rt g;
	memset(&g, 0, sizeof(g));
	g.id = "orders";
	CHECK(groups_member_seen(&g, "m-1", 3, "", 0, 7, 0));
	CHECK(groups_member_seen(&g, "m-2", 3, "", 0, 7, 0)); /* m-1 again, new id */
	CHECK(groups_member_seen(&g, "m-3", 3, "", 0, 9, 0));
	CHECK(groups_member_seen(&g, "m-4", 3, "", 0, 9, 1)); /* the other cluster */
	CHECK(groups_member_clients(&g, 0, NULL, NULL) == 2);
	CHECK(groups_member_clients(&g, 1, NULL, NULL) == 1);
	CHECK(groups_member_clients(&g, -1, NULL, NULL) == 0);
	groups_member_drop(&g, "m-3", 3);
	CHECK(groups_member_clients(&g, 0, NULL, NULL) == 1);
	const char *rest[] = {"m-1", "m-2", "m-4"};
	for (size_t i = 0; i < 3; i++)
		groups_member_drop(&g, rest[i], 3);
	CHECK(g.nmembers == 0);
	free(g.members);
}

/* A member that kept positions from before the flip is known by the
 * partitions of its new assignment whose offsets it never read. */
static void test_flip_positions(void)
{
	int32_t p01[] = {0, 1}, p2[] = {2};
	wire_consumer_protocol_assignment_topic_partition tps[] = {
	    {.topic = {"orders", 6}, .partitions = {2, p01}},
	    {.topic = {"audit", 5}, .partitions = {1, p2}},
	};
	wire_consumer_protocol_assignment a = {.assigned_partitions = {2, tps}};
	flip_positions fp = {0};
	CHECK(flip_positions_missing(&fp, 7) == 0); /* unknown: not judged */
	CHECK(flip_positions_assigned(&fp, 7, &a, 1000) == 0);
	CHECK(flip_positions_missing(&fp, 7) == 3);
	/* a Java cooperative member kept orders-0/1: it reads audit-2 only */
	flip_positions_fetched(&fp, 7, "audit", 5, 2);
	flip_positions_fetched(&fp, 7, "orders", 6, 5); /* not assigned: ignored */
	CHECK(flip_positions_missing(&fp, 7) == 2);
	CHECK(!flip_positions_refuse(&fp, 7, 1500, 1000)); /* too soon after SyncGroup */
	CHECK(flip_positions_refuse(&fp, 7, 2000, 1000));
	CHECK(!flip_positions_refuse(&fp, 7, 9000, 1000)); /* told once */
	/* it rejoins: a new assignment, read whole (a request for every topic) */
	CHECK(flip_positions_assigned(&fp, 7, &a, 10000) == 0);
	CHECK(flip_positions_missing(&fp, 7) == 3);
	flip_positions_fetched(&fp, 7, "orders", 6, -1);
	CHECK(flip_positions_missing(&fp, 7) == 1);
	flip_positions_fetched(&fp, 7, NULL, 0, -1);
	CHECK(flip_positions_missing(&fp, 7) == 0);
	/* another connection is judged on its own; an empty assignment is read */
	wire_consumer_protocol_assignment none = {.assigned_partitions = {0, NULL}};
	CHECK(flip_positions_assigned(&fp, 9, &none, 10000) == 0);
	CHECK(flip_positions_missing(&fp, 9) == 0 && !flip_positions_refuse(&fp, 9, 20000, 1000));
	flip_positions_clear(&fp);
	CHECK(fp.n == 0 && flip_positions_missing(&fp, 7) == 0);
}

TEST_TABLE(proxy_unit_tests) = {
    {"config valid", test_config_valid},
    {"config $schema key", test_config_schema_key},
    {"config errors name the field", test_config_errors},
    {"rewrite Metadata v1 and v12", test_rewrite_metadata},
    {"rewrite Fetch v16 NodeEndpoints, records by reference", test_rewrite_fetch_node_endpoints},
    {"Fetch request CurrentLeaderEpoch cleared to -1", test_rewrite_fetch_epochs},
    {"rewrite rejects garbage", test_rewrite_rejects_garbage},
    {"ApiVersions offer and answer", test_apiversions_offer},
    {"settling counts member connections", test_groups_member_clients},
    {"settling: positions kept from before the flip", test_flip_positions},
    {NULL, NULL},
};
