/*
 * Codec peer test: speaks to a real broker implementation (librdkafka's mock
 * cluster, old and modern) with requests built by turnout's encoder, at every
 * version both sides support, and decodes every response with turnout's
 * decoder. Each call also checks what the answer means (offsets committed
 * come back, records produced are fetched, brokers and coordinators match),
 * so a field in the wrong place cannot pass as a lucky parse.
 *
 * Usage: wire_peer BOOTSTRAP TOPIC [--peer modern|debian]
 *        (TOPIC must exist; partition 0 is used)
 * Prints one line per (api, version) and ends with "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/peer/peer_conn.h"
#include "tests/peer/peer_records.h"
#include "wire/api.h"
#include "wire/consumer_protocol.h"
#include "wire_msgs.h"

#define ERR_UNKNOWN_MEMBER_ID  25
#define ERR_MEMBER_ID_REQUIRED 79

static int passed, failed;
static wire_arena A; /* everything in this short-lived program */

typedef struct range {
	int16_t min, max; /* versions both sides support; min > max when none */
} range;

static range broker_ranges[100];

static void *alloc(size_t n)
{
	void *p = wire_arena_alloc(&A, n);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}
#define NEW_ARRAY(field, count)                                                                    \
	do {                                                                                       \
		(field).n = (count);                                                               \
		(field).v = alloc(sizeof(*(field).v) * (size_t)(count));                           \
	} while (0)

static void result(const char *api, int16_t v, int ok, const char *why)
{
	if (ok) {
		passed++;
		printf("ok   %s v%d\n", api, v);
	} else {
		failed++;
		printf("FAIL %s v%d: %s\n", api, v, why);
	}
}

static range common(int16_t api)
{
	const wire_msg_type *t = wire_msg_find(api, WIRE_REQUEST);
	range r = broker_ranges[api];
	if (!t || r.min > r.max)
		return (range){1, 0};
	return (range){r.min > t->min_version ? r.min : t->min_version,
	               r.max < t->max_version ? r.max : t->max_version};
}

/*
 * Where a mock broker departs from the protocol specification. Each entry
 * was traced to the mock's source (rdkafka_mock_handlers.c of that version);
 * the test still sends the request and checks that turnout's codec sees
 * exactly this departure, so the entry fails once the peer is fixed.
 */
typedef struct deviation {
	const char *peer; /* "debian" (2.0.2), "modern" (2.15.1) or "any" */
	int16_t api, vmin, vmax;
	size_t trailing;   /* > 0: the response has this many extra bytes */
	const char *error; /* else: the call fails with this in its error */
	const char *why;
} deviation;

static const deviation deviations[] = {
    {"any", WIRE_API_PRODUCE, 5, 5, 0, "ProduceResponse v5",
     "mock writes LogStartOffset from v6 on; the spec has it from v5"},
    {"debian", WIRE_API_LIST_OFFSETS, 4, 5, 4, NULL,
     "2.0.2 mock writes LeaderEpoch as int64; the spec says int32"},
    {"modern", WIRE_API_METADATA, 9, 12, 1, NULL,
     "mock writes the flexible top-level tag buffer twice"},
    {"modern", WIRE_API_JOIN_GROUP, 6, 6, 0, "connection closed",
     "mock reads the flexible JoinGroup request with classic array counts"},
    {"modern", WIRE_API_SYNC_GROUP, 4, 4, 0, "connection closed",
     "mock reads the flexible SyncGroup request with classic array counts"},
    {"modern", WIRE_API_LEAVE_GROUP, 3, 4, 0, "truncated",
     "mock leaves out the Members array of LeaveGroup v3+ responses"},
};

static const char *peer_name = "modern";

static const deviation *deviation_for(int16_t api, int16_t v)
{
	for (size_t i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++) {
		const deviation *d = &deviations[i];
		if (d->api == api && v >= d->vmin && v <= d->vmax &&
		    (strcmp(d->peer, "any") == 0 || strcmp(d->peer, peer_name) == 0))
			return d;
	}
	return NULL;
}

/* The newest version both sides share that the peer implements as specified. */
static range usable(int16_t api)
{
	range r = common(api);
	while (r.max >= r.min && deviation_for(api, r.max))
		r.max--;
	return r;
}

/* Calls and reports failures; a closed connection is reopened for the next
 * call. Returns 0 when the response decoded and the caller should check it. */
static int call(peer_conn *c, const char *addr, int16_t api, int16_t v, const void *req, void *resp)
{
	const deviation *d = deviation_for(api, v);
	if (c->fd < 0 && peer_connect(c, addr)) {
		result(wire_api_name(api), v, 0, c->err);
		return -1;
	}
	c->lenient = d && d->trailing > 0;
	int rc = peer_call(c, api, v, req, resp, &A);
	char why[700];
	if (d && d->error) {
		int seen = rc != 0 && strstr(c->err, d->error) != NULL;
		snprintf(why, sizeof(why), "expected the known peer deviation (%s), got: %s",
		         d->why, rc ? c->err : "success");
		result(wire_api_name(api), v, seen, why);
		if (seen)
			printf("     known peer deviation: %s\n", d->why);
		peer_close(c); /* the peer may be confused now */
		return -1;
	}
	if (rc) {
		result(wire_api_name(api), v, 0, c->err);
		return -1;
	}
	if (d && c->trailing != d->trailing) {
		snprintf(why, sizeof(why), "%zu trailing bytes, expected %zu (%s)", c->trailing,
		         d->trailing, d->why);
		result(wire_api_name(api), v, 0, why);
		return -1;
	}
	if (d)
		printf("     known peer deviation: %s\n", d->why);
	return 0;
}

/* ---- what the test learns from the cluster ---- */
static char bootstrap[256];
static const char *topic;
static int nbrokers;
static int32_t broker_ids[16];
static char broker_addr[16][300];
static int32_t leader_id = -1, leader_epoch = -1;
static wire_uuid topic_id;
static int have_topic_id;
static int64_t produced;

static const char *addr_of(int32_t id)
{
	for (int i = 0; i < nbrokers; i++)
		if (broker_ids[i] == id)
			return broker_addr[i];
	return NULL;
}

static void test_api_versions(peer_conn *c)
{
	/* v0 first: every broker answers it, and it tells us the rest */
	wire_api_versions_req req;
	wire_api_versions_req_init(&req);
	wire_api_versions_resp resp;
	for (int i = 0; i < 100; i++)
		broker_ranges[i] = (range){1, 0};
	if (call(c, bootstrap, WIRE_API_API_VERSIONS, 0, &req, &resp))
		return;
	for (int32_t i = 0; i < resp.api_keys.n; i++) {
		const wire_api_versions_resp_api_version *k = &resp.api_keys.v[i];
		if (k->api_key >= 0 && k->api_key < 100)
			broker_ranges[k->api_key] = (range){k->min_version, k->max_version};
	}
	result("ApiVersions", 0, resp.error_code == 0 && resp.api_keys.n > 5, "no api list");
	range r = common(WIRE_API_API_VERSIONS);
	req.client_software_name = wire_str_c("turnout-peer-test");
	req.client_software_version = wire_str_c("1.0");
	for (int16_t v = (int16_t)(r.min > 1 ? r.min : 1); v <= r.max; v++) {
		if (call(c, bootstrap, WIRE_API_API_VERSIONS, v, &req, &resp))
			continue;
		result("ApiVersions", v, resp.error_code == 0 && resp.api_keys.n > 5,
		       "error or empty api list");
	}
}

static void test_metadata(peer_conn *c)
{
	range r = common(WIRE_API_METADATA);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_metadata_req req;
		wire_metadata_req_init(&req);
		req.allow_auto_topic_creation = false;
		NEW_ARRAY(req.topics, 1);
		wire_metadata_req_topic_init(&req.topics.v[0]);
		req.topics.v[0].name = wire_str_c(topic);
		wire_metadata_resp resp;
		if (call(c, bootstrap, WIRE_API_METADATA, v, &req, &resp))
			continue;
		char why[256] = "";
		nbrokers = 0;
		for (int32_t i = 0; i < resp.brokers.n && i < 16; i++) {
			const wire_metadata_resp_broker *b = &resp.brokers.v[i];
			broker_ids[nbrokers] = b->node_id;
			snprintf(broker_addr[nbrokers++], sizeof(broker_addr[0]), "%.*s:%d",
			         (int)b->host.len, b->host.p, b->port);
			if (b->port <= 0 || b->host.len <= 0)
				snprintf(why, sizeof(why), "broker %d has no address", b->node_id);
		}
		if (resp.brokers.n < 1)
			snprintf(why, sizeof(why), "no brokers");
		if (resp.topics.n != 1 || !wire_str_eqc(resp.topics.v[0].name, topic) ||
		    resp.topics.v[0].error_code != 0 || resp.topics.v[0].partitions.n < 1) {
			snprintf(why, sizeof(why), "topic %s missing or in error", topic);
		} else {
			const wire_metadata_resp_partition *p = &resp.topics.v[0].partitions.v[0];
			for (int32_t i = 0; i < resp.topics.v[0].partitions.n; i++)
				if (resp.topics.v[0].partitions.v[i].partition_index == 0)
					p = &resp.topics.v[0].partitions.v[i];
			leader_id = p->leader_id;
			if (v >= 7)
				leader_epoch = p->leader_epoch;
			if (!addr_of(leader_id))
				snprintf(why, sizeof(why), "leader %d is not a listed broker",
				         leader_id);
			if (v >= 10) {
				static const wire_uuid zero;
				topic_id = resp.topics.v[0].topic_id;
				have_topic_id = memcmp(&topic_id, &zero, sizeof(zero)) != 0;
				if (!have_topic_id)
					snprintf(why, sizeof(why), "topic id is zero");
			}
			if (v >= 2 && resp.cluster_id.len <= 0)
				snprintf(why, sizeof(why), "no cluster id");
		}
		result("Metadata", v, why[0] == '\0', why);
	}
}

/* ListOffsets for the latest offset of partition 0. */
static void latest_offset_request(wire_list_offsets_req *req)
{
	wire_list_offsets_req_init(req);
	req->replica_id = -1;
	NEW_ARRAY(req->topics, 1);
	wire_list_offsets_req_topic_init(&req->topics.v[0]);
	req->topics.v[0].name = wire_str_c(topic);
	NEW_ARRAY(req->topics.v[0].partitions, 1);
	wire_list_offsets_req_partition_init(&req->topics.v[0].partitions.v[0]);
	req->topics.v[0].partitions.v[0].timestamp = -1; /* latest */
}

/* The partition's end offset, read with the newest ListOffsets both know. */
static int64_t end_offset(peer_conn *c)
{
	const char *addr = addr_of(leader_id);
	range r = usable(WIRE_API_LIST_OFFSETS);
	if (!addr || r.min > r.max)
		return -1;
	wire_list_offsets_req req;
	latest_offset_request(&req);
	wire_list_offsets_resp resp;
	int16_t v = usable(WIRE_API_LIST_OFFSETS).max;
	if ((c->fd < 0 && peer_connect(c, addr)) ||
	    peer_call(c, WIRE_API_LIST_OFFSETS, v, &req, &resp, &A) || resp.topics.n != 1 ||
	    resp.topics.v[0].partitions.n != 1)
		return -1;
	const wire_list_offsets_resp_partition_response *p = &resp.topics.v[0].partitions.v[0];
	return v == 0 ? (p->old_style_offsets.n > 0 ? p->old_style_offsets.v[0] : -1) : p->offset;
}

static void test_produce(peer_conn *c)
{
	produced = end_offset(c);
	if (produced < 0) {
		result("ListOffsets", -1, 0, "could not read the partition's end offset");
		return;
	}
	const char *addr = addr_of(leader_id);
	range r = common(WIRE_API_PRODUCE);
	for (int16_t v = r.min; v <= r.max && addr; v++) {
		if (v < 3)
			continue; /* v0-2 carry message sets v0/v1; turnout forwards those opaquely
			           */
		wire_wr batch;
		wire_wr_init(&batch, false);
		if (peer_record_batch(&batch, 3, (int64_t)time(NULL) * 1000)) {
			result("Produce", v, 0, "could not build a record batch");
			wire_wr_free(&batch);
			continue;
		}
		wire_produce_req req;
		wire_produce_req_init(&req);
		req.acks = -1;
		req.timeout_ms = 5000;
		NEW_ARRAY(req.topic_data, 1);
		wire_produce_req_topic_produce_data_init(&req.topic_data.v[0]);
		req.topic_data.v[0].name = wire_str_c(topic);
		NEW_ARRAY(req.topic_data.v[0].partition_data, 1);
		wire_produce_req_partition_produce_data *pd =
		    &req.topic_data.v[0].partition_data.v[0];
		wire_produce_req_partition_produce_data_init(pd);
		pd->index = 0;
		pd->records = (wire_bytes){batch.buf, (int32_t)batch.len};
		wire_produce_resp resp;
		int rc = call(c, addr, WIRE_API_PRODUCE, v, &req, &resp);
		wire_wr_free(&batch);
		int64_t expect = produced;
		if (c->got_response)
			produced += 3; /* appended even when the answer did not decode */
		if (rc)
			continue;
		int ok = resp.responses.n == 1 && resp.responses.v[0].partition_responses.n == 1;
		const wire_produce_resp_partition_produce_response *pr =
		    ok ? &resp.responses.v[0].partition_responses.v[0] : NULL;
		ok = ok && pr->error_code == 0 && pr->base_offset == expect;
		char why[128];
		snprintf(why, sizeof(why), "error %d, base offset %lld (expected %lld)",
		         pr ? pr->error_code : -1, pr ? (long long)pr->base_offset : -1LL,
		         (long long)expect);
		result("Produce", v, ok, why);
	}
}

static void test_list_offsets(peer_conn *c)
{
	const char *addr = addr_of(leader_id);
	range r = common(WIRE_API_LIST_OFFSETS);
	for (int16_t v = r.min; v <= r.max && addr; v++) {
		wire_list_offsets_req req;
		latest_offset_request(&req);
		wire_list_offsets_resp resp;
		if (call(c, addr, WIRE_API_LIST_OFFSETS, v, &req, &resp))
			continue;
		int64_t off = -2;
		if (resp.topics.n == 1 && resp.topics.v[0].partitions.n == 1) {
			const wire_list_offsets_resp_partition_response *p =
			    &resp.topics.v[0].partitions.v[0];
			if (p->error_code == 0)
				off = v == 0
				          ? (p->old_style_offsets.n > 0 ? p->old_style_offsets.v[0]
				                                        : -3)
				          : p->offset;
		}
		char why[128];
		snprintf(why, sizeof(why), "latest offset %lld, expected %lld", (long long)off,
		         (long long)produced);
		result("ListOffsets", v, off == produced, why);
	}
}

static void test_fetch(peer_conn *c)
{
	const char *addr = addr_of(leader_id);
	range r = common(WIRE_API_FETCH);
	for (int16_t v = r.min; v <= r.max && addr; v++) {
		if (v >= 13 && !have_topic_id)
			continue;
		wire_fetch_req req;
		wire_fetch_req_init(&req);
		req.replica_id = -1;
		req.max_wait_ms = 10;
		req.min_bytes = 0;
		req.max_bytes = 1 << 20;
		req.session_epoch = -1; /* full fetch, no session */
		NEW_ARRAY(req.topics, 1);
		wire_fetch_req_topic_init(&req.topics.v[0]);
		req.topics.v[0].topic = wire_str_c(topic);
		req.topics.v[0].topic_id = topic_id;
		NEW_ARRAY(req.topics.v[0].partitions, 1);
		wire_fetch_req_partition *p = &req.topics.v[0].partitions.v[0];
		wire_fetch_req_partition_init(p);
		p->partition_max_bytes = 1 << 20;
		wire_fetch_resp resp;
		if (call(c, addr, WIRE_API_FETCH, v, &req, &resp))
			continue;
		char why[160] = "no partition in response";
		int ok = 0;
		if (resp.responses.n == 1 && resp.responses.v[0].partitions.n == 1) {
			const wire_fetch_resp_partition_data *d =
			    &resp.responses.v[0].partitions.v[0];
			ok = d->error_code == 0 && d->high_watermark == produced &&
			     (produced == 0 || d->records.len > 61);
			snprintf(why, sizeof(why), "error %d, high watermark %lld, %d record bytes",
			         d->error_code, (long long)d->high_watermark, d->records.len);
		}
		result("Fetch", v, ok, why);
	}
}

/* Finds the group coordinator at every FindCoordinator version; returns its address. */
static const char *test_find_coordinator(peer_conn *c, const char *group)
{
	static char found[300];
	found[0] = '\0';
	range r = common(WIRE_API_FIND_COORDINATOR);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_find_coordinator_req req;
		wire_find_coordinator_req_init(&req);
		req.key = wire_str_c(group);
		NEW_ARRAY(req.coordinator_keys, 1);
		req.coordinator_keys.v[0] = wire_str_c(group);
		wire_find_coordinator_resp resp;
		if (call(c, bootstrap, WIRE_API_FIND_COORDINATOR, v, &req, &resp))
			continue;
		int32_t node = resp.node_id, port = resp.port, err = resp.error_code;
		if (v >= 4) {
			node = port = err = -1;
			if (resp.coordinators.n == 1 &&
			    wire_str_eqc(resp.coordinators.v[0].key, group)) {
				node = resp.coordinators.v[0].node_id;
				port = resp.coordinators.v[0].port;
				err = resp.coordinators.v[0].error_code;
			}
		}
		const char *a = addr_of(node);
		char expect[32];
		snprintf(expect, sizeof(expect), ":%d", port);
		int ok = err == 0 && a && strstr(a, expect);
		if (ok)
			snprintf(found, sizeof(found), "%s", a);
		result("FindCoordinator", v, ok,
		       "no coordinator, or its port does not match Metadata");
	}
	return found[0] ? found : NULL;
}

static void test_offsets(peer_conn *c, const char *coord)
{
	range rc = common(WIRE_API_OFFSET_COMMIT), rf = common(WIRE_API_OFFSET_FETCH);
	for (int16_t v = rc.min; v <= rc.max; v++) {
		int64_t offset = 100 + v;
		wire_offset_commit_req req;
		wire_offset_commit_req_init(&req);
		req.group_id = wire_str_c("peer-commit");
		req.member_id = wire_str_c("");
		NEW_ARRAY(req.topics, 1);
		wire_offset_commit_req_topic_init(&req.topics.v[0]);
		req.topics.v[0].name = wire_str_c(topic);
		NEW_ARRAY(req.topics.v[0].partitions, 1);
		wire_offset_commit_req_partition *p = &req.topics.v[0].partitions.v[0];
		wire_offset_commit_req_partition_init(p);
		p->committed_offset = offset;
		p->committed_metadata = wire_str_c("peer");
		wire_offset_commit_resp resp;
		if (call(c, coord, WIRE_API_OFFSET_COMMIT, v, &req, &resp))
			continue;
		int ok = resp.topics.n == 1 && resp.topics.v[0].partitions.n == 1 &&
		         resp.topics.v[0].partitions.v[0].error_code == 0;
		result("OffsetCommit", v, ok, "commit failed");
		if (!ok)
			continue;
		/* read it back with every OffsetFetch version */
		for (int16_t u = rf.min; u <= rf.max; u++) {
			wire_offset_fetch_req fq;
			wire_offset_fetch_req_init(&fq);
			fq.group_id = wire_str_c("peer-commit");
			NEW_ARRAY(fq.topics, 1);
			wire_offset_fetch_req_topic_init(&fq.topics.v[0]);
			fq.topics.v[0].name = wire_str_c(topic);
			NEW_ARRAY(fq.topics.v[0].partition_indexes, 1);
			fq.topics.v[0].partition_indexes.v[0] = 0;
			NEW_ARRAY(fq.groups, 1);
			wire_offset_fetch_req_group_init(&fq.groups.v[0]);
			fq.groups.v[0].group_id = fq.group_id;
			NEW_ARRAY(fq.groups.v[0].topics, 1);
			wire_offset_fetch_req_topics_init(&fq.groups.v[0].topics.v[0]);
			fq.groups.v[0].topics.v[0].name = fq.topics.v[0].name;
			fq.groups.v[0].topics.v[0].partition_indexes =
			    fq.topics.v[0].partition_indexes;
			wire_offset_fetch_resp fr;
			if (call(c, coord, WIRE_API_OFFSET_FETCH, u, &fq, &fr))
				continue;
			int64_t got = -2;
			if (u < 8 && fr.topics.n == 1 && fr.topics.v[0].partitions.n == 1)
				got = fr.topics.v[0].partitions.v[0].committed_offset;
			if (u >= 8 && fr.groups.n == 1 && fr.groups.v[0].topics.n == 1 &&
			    fr.groups.v[0].topics.v[0].partitions.n == 1)
				got = fr.groups.v[0].topics.v[0].partitions.v[0].committed_offset;
			char why[128];
			snprintf(why, sizeof(why),
			         "committed %lld with OffsetCommit v%d, read %lld",
			         (long long)offset, v, (long long)got);
			result("OffsetFetch", u, got == offset, why);
		}
	}
}

static void test_describe_groups(peer_conn *c, const char *coord)
{
	range r = common(WIRE_API_DESCRIBE_GROUPS);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_describe_groups_req req;
		wire_describe_groups_req_init(&req);
		NEW_ARRAY(req.groups, 1);
		req.groups.v[0] = wire_str_c("peer-commit");
		wire_describe_groups_resp resp;
		if (call(c, coord, WIRE_API_DESCRIBE_GROUPS, v, &req, &resp))
			continue;
		result("DescribeGroups", v,
		       resp.groups.n == 1 && wire_str_eqc(resp.groups.v[0].group_id, "peer-commit"),
		       "group not described");
	}
}

/* Group membership calls with an unknown member: the answer must be the
 * broker's UNKNOWN_MEMBER_ID, decoded from every version. */
static void test_group_errors(peer_conn *c, const char *coord)
{
	range r = common(WIRE_API_HEARTBEAT);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_heartbeat_req req;
		wire_heartbeat_req_init(&req);
		req.group_id = wire_str_c("peer-commit");
		req.generation_id = 1;
		req.member_id = wire_str_c("nobody");
		wire_heartbeat_resp resp;
		if (!call(c, coord, WIRE_API_HEARTBEAT, v, &req, &resp))
			result("Heartbeat", v, resp.error_code != 0, "unknown member accepted");
	}
	r = common(WIRE_API_SYNC_GROUP);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_sync_group_req req;
		wire_sync_group_req_init(&req);
		req.group_id = wire_str_c("peer-commit");
		req.generation_id = 1;
		req.member_id = wire_str_c("nobody");
		req.protocol_type = wire_str_c("consumer");
		req.protocol_name = wire_str_c("range");
		wire_sync_group_resp resp;
		if (!call(c, coord, WIRE_API_SYNC_GROUP, v, &req, &resp))
			result("SyncGroup", v, resp.error_code != 0, "unknown member accepted");
	}
	r = common(WIRE_API_LEAVE_GROUP);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_leave_group_req req;
		wire_leave_group_req_init(&req);
		req.group_id = wire_str_c("peer-commit");
		req.member_id = wire_str_c("nobody");
		NEW_ARRAY(req.members, 1);
		wire_leave_group_req_member_identity_init(&req.members.v[0]);
		req.members.v[0].member_id = wire_str_c("nobody");
		wire_leave_group_resp resp;
		if (call(c, coord, WIRE_API_LEAVE_GROUP, v, &req, &resp))
			continue;
		int err = resp.error_code;
		if (v >= 3 && err == 0 && resp.members.n == 1)
			err = resp.members.v[0].error_code;
		result("LeaveGroup", v, err != 0, "unknown member accepted");
	}
}

/* A whole membership at the newest common versions: join (with the v4+
 * member-id round), sync an assignment built by the codec, heartbeat, leave. */
static void test_group_lifecycle(peer_conn *c, const char *coord)
{
	range rj = usable(WIRE_API_JOIN_GROUP), rs = usable(WIRE_API_SYNC_GROUP);
	if (rj.min > rj.max || rs.min > rs.max)
		return;
	int16_t v = rj.max;
	wire_consumer_protocol_subscription sub;
	wire_consumer_protocol_subscription_init(&sub);
	NEW_ARRAY(sub.topics, 1);
	sub.topics.v[0] = wire_str_c(topic);
	wire_wr meta;
	wire_wr_init(&meta, false);
	if (wire_subscription_write(&meta, 1, &sub)) {
		result("JoinGroup", v, 0, "subscription did not encode");
		return;
	}
	wire_join_group_req req;
	wire_join_group_req_init(&req);
	req.group_id = wire_str_c("peer-life");
	req.session_timeout_ms = 6000;
	req.rebalance_timeout_ms = 6000;
	req.member_id = wire_str_c("");
	req.protocol_type = wire_str_c("consumer");
	NEW_ARRAY(req.protocols, 1);
	wire_join_group_req_protocol_init(&req.protocols.v[0]);
	req.protocols.v[0].name = wire_str_c("range");
	req.protocols.v[0].metadata = (wire_bytes){meta.buf, (int32_t)meta.len};
	wire_join_group_resp resp;
	if (call(c, coord, WIRE_API_JOIN_GROUP, v, &req, &resp))
		goto out;
	if (resp.error_code == ERR_MEMBER_ID_REQUIRED) {
		req.member_id = resp.member_id; /* KIP-394: join again with the id */
		if (call(c, coord, WIRE_API_JOIN_GROUP, v, &req, &resp))
			goto out;
	}
	int ok = resp.error_code == 0 && resp.generation_id >= 1 && resp.member_id.len > 0 &&
	         wire_str_eq(resp.leader, resp.member_id) && resp.members.n == 1;
	int16_t sv;
	wire_consumer_protocol_subscription got;
	char err[256] = "join did not make us the leader of a one-member group";
	if (ok)
		ok = wire_subscription_parse(resp.members.v[0].metadata.p,
		                             (size_t)resp.members.v[0].metadata.len, &A, &got, &sv,
		                             err, sizeof(err)) == 0 &&
		     got.topics.n == 1 && wire_str_eqc(got.topics.v[0], topic);
	result("JoinGroup", v, ok, err);
	if (!ok)
		goto out;

	wire_consumer_protocol_assignment asg;
	wire_consumer_protocol_assignment_init(&asg);
	NEW_ARRAY(asg.assigned_partitions, 1);
	wire_consumer_protocol_assignment_topic_partition_init(&asg.assigned_partitions.v[0]);
	asg.assigned_partitions.v[0].topic = wire_str_c(topic);
	NEW_ARRAY(asg.assigned_partitions.v[0].partitions, 1);
	asg.assigned_partitions.v[0].partitions.v[0] = 0;
	wire_wr ab;
	wire_wr_init(&ab, false);
	wire_assignment_write(&ab, 1, &asg);
	wire_sync_group_req sreq;
	wire_sync_group_req_init(&sreq);
	sreq.group_id = req.group_id;
	sreq.generation_id = resp.generation_id;
	sreq.member_id = resp.member_id;
	sreq.protocol_type = wire_str_c("consumer");
	sreq.protocol_name = resp.protocol_name;
	NEW_ARRAY(sreq.assignments, 1);
	wire_sync_group_req_assignment_init(&sreq.assignments.v[0]);
	sreq.assignments.v[0].member_id = resp.member_id;
	sreq.assignments.v[0].assignment = (wire_bytes){ab.buf, (int32_t)ab.len};
	wire_sync_group_resp sresp;
	if (!call(c, coord, WIRE_API_SYNC_GROUP, rs.max, &sreq, &sresp)) {
		wire_consumer_protocol_assignment back;
		int16_t av;
		ok = sresp.error_code == 0 &&
		     wire_assignment_parse(sresp.assignment.p, (size_t)sresp.assignment.len, &A,
		                           &back, &av, err, sizeof(err)) == 0 &&
		     back.assigned_partitions.n == 1 &&
		     wire_str_eqc(back.assigned_partitions.v[0].topic, topic);
		result("SyncGroup", rs.max, ok, "assignment did not come back");
	}
	wire_wr_free(&ab);

	range rh = usable(WIRE_API_HEARTBEAT);
	if (rh.min <= rh.max) {
		wire_heartbeat_req hreq;
		wire_heartbeat_req_init(&hreq);
		hreq.group_id = req.group_id;
		hreq.generation_id = resp.generation_id;
		hreq.member_id = resp.member_id;
		wire_heartbeat_resp hresp;
		if (!call(c, coord, WIRE_API_HEARTBEAT, rh.max, &hreq, &hresp))
			result("Heartbeat", rh.max, hresp.error_code == 0,
			       "member heartbeat failed");
	}
	range rl = usable(WIRE_API_LEAVE_GROUP);
	if (rl.min <= rl.max) {
		wire_leave_group_req lreq;
		wire_leave_group_req_init(&lreq);
		lreq.group_id = req.group_id;
		lreq.member_id = resp.member_id;
		NEW_ARRAY(lreq.members, 1);
		wire_leave_group_req_member_identity_init(&lreq.members.v[0]);
		lreq.members.v[0].member_id = resp.member_id;
		wire_leave_group_resp lresp;
		if (!call(c, coord, WIRE_API_LEAVE_GROUP, rl.max, &lreq, &lresp))
			result("LeaveGroup", rl.max, lresp.error_code == 0, "leave failed");
	}
out:
	wire_wr_free(&meta);
}

/* JoinGroup at every other version: a fresh one-member group each, which
 * the broker answers with MEMBER_ID_REQUIRED (v4+) or a completed join. */
static void test_join_versions(peer_conn *c, const char *coord_group_prefix)
{
	range r = usable(WIRE_API_JOIN_GROUP);
	for (int16_t v = r.min; v < r.max; v++) {
		char group[64];
		snprintf(group, sizeof(group), "%s-%d", coord_group_prefix, v);
		peer_conn boot = {.fd = -1};
		const char *coord = NULL;
		/* each group may live on another broker */
		wire_find_coordinator_req fq;
		wire_find_coordinator_req_init(&fq);
		fq.key = wire_str_c(group);
		wire_find_coordinator_resp fr;
		if (!call(&boot, bootstrap, WIRE_API_FIND_COORDINATOR, 0, &fq, &fr))
			coord = addr_of(fr.node_id);
		peer_close(&boot);
		if (!coord)
			continue;
		wire_join_group_req req;
		wire_join_group_req_init(&req);
		req.group_id = wire_str_c(group);
		req.session_timeout_ms = 6000;
		req.rebalance_timeout_ms = 6000;
		req.member_id = wire_str_c("");
		req.protocol_type = wire_str_c("consumer");
		NEW_ARRAY(req.protocols, 1);
		wire_join_group_req_protocol_init(&req.protocols.v[0]);
		req.protocols.v[0].name = wire_str_c("range");
		req.protocols.v[0].metadata =
		    (wire_bytes){(const uint8_t *)"\0\0\0\0\0\0\xff\xff\xff\xff", 10};
		wire_join_group_resp resp;
		peer_close(c);
		if (call(c, coord, WIRE_API_JOIN_GROUP, v, &req, &resp))
			continue;
		/* v4+ brokers may first ask for a member id (KIP-394); the mock
		 * completes the join directly */
		int ok = (v >= 4 && resp.error_code == ERR_MEMBER_ID_REQUIRED &&
		          resp.member_id.len > 0) ||
		         (resp.error_code == 0 && resp.member_id.len > 0 &&
		          wire_str_eq(resp.leader, resp.member_id));
		char why[96];
		snprintf(why, sizeof(why), "error %d", resp.error_code);
		result("JoinGroup", v, ok, why);
		peer_close(c);
	}
}

static void test_init_producer_id(peer_conn *c)
{
	range r = common(WIRE_API_INIT_PRODUCER_ID);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_init_producer_id_req req;
		wire_init_producer_id_req_init(&req);
		req.transactional_id = wire_str_null();
		req.transaction_timeout_ms = 60000;
		wire_init_producer_id_resp resp;
		if (!call(c, bootstrap, WIRE_API_INIT_PRODUCER_ID, v, &req, &resp))
			result("InitProducerId", v, resp.error_code == 0 && resp.producer_id >= 0,
			       "no producer id");
	}
}

static void test_offset_for_leader_epoch(peer_conn *c)
{
	const char *addr = addr_of(leader_id);
	range r = common(WIRE_API_OFFSET_FOR_LEADER_EPOCH);
	for (int16_t v = r.min; v <= r.max && addr; v++) {
		wire_offset_for_leader_epoch_req req;
		wire_offset_for_leader_epoch_req_init(&req);
		req.replica_id = -1;
		NEW_ARRAY(req.topics, 1);
		wire_offset_for_leader_epoch_req_topic_init(&req.topics.v[0]);
		req.topics.v[0].topic = wire_str_c(topic);
		NEW_ARRAY(req.topics.v[0].partitions, 1);
		wire_offset_for_leader_epoch_req_partition_init(&req.topics.v[0].partitions.v[0]);
		req.topics.v[0].partitions.v[0].leader_epoch = leader_epoch >= 0 ? leader_epoch : 0;
		wire_offset_for_leader_epoch_resp resp;
		if (call(c, addr, WIRE_API_OFFSET_FOR_LEADER_EPOCH, v, &req, &resp))
			continue;
		result("OffsetForLeaderEpoch", v,
		       resp.topics.n == 1 && resp.topics.v[0].partitions.n == 1 &&
		           wire_str_eqc(resp.topics.v[0].topic, topic),
		       "partition missing");
	}
}

static void test_describe_cluster(peer_conn *c)
{
	range r = common(WIRE_API_DESCRIBE_CLUSTER);
	for (int16_t v = r.min; v <= r.max; v++) {
		wire_describe_cluster_req req;
		wire_describe_cluster_req_init(&req);
		wire_describe_cluster_resp resp;
		if (!call(c, bootstrap, WIRE_API_DESCRIBE_CLUSTER, v, &req, &resp))
			result("DescribeCluster", v,
			       resp.error_code == 0 && resp.brokers.n == nbrokers &&
			           resp.cluster_id.len > 0,
			       "broker list differs from Metadata");
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[3], "--peer") == 0) {
		peer_name = argv[4];
		argc = 3;
	}
	if (argc != 3 || (strcmp(peer_name, "modern") != 0 && strcmp(peer_name, "debian") != 0)) {
		fprintf(stderr, "usage: %s BOOTSTRAP TOPIC [--peer modern|debian]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	wire_arena_init(&A, 1u << 30);
	snprintf(bootstrap, sizeof(bootstrap), "%s", argv[1]);
	char *comma = strchr(bootstrap, ',');
	if (comma)
		*comma = '\0';
	topic = argv[2];
	peer_conn boot = {.fd = -1}, leader = {.fd = -1}, coordc = {.fd = -1};
	test_api_versions(&boot);
	test_metadata(&boot);
	test_produce(&leader);
	test_list_offsets(&leader);
	test_fetch(&leader);
	test_offset_for_leader_epoch(&leader);
	test_init_producer_id(&boot);
	test_describe_cluster(&boot);
	const char *coord = test_find_coordinator(&boot, "peer-commit");
	if (coord) {
		test_offsets(&coordc, coord);
		test_describe_groups(&coordc, coord);
		test_group_errors(&coordc, coord);
	}
	const char *life = test_find_coordinator(&boot, "peer-life");
	if (life) {
		peer_conn lc = {.fd = -1};
		test_group_lifecycle(&lc, life);
		test_join_versions(&lc, "peer-join");
		peer_close(&lc);
	}
	if (produced <= 0)
		result("Produce", -1, 0, "nothing was produced at any version");
	peer_close(&boot);
	peer_close(&leader);
	peer_close(&coordc);
	wire_arena_reset(&A);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
