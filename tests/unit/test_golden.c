/*
 * Golden byte vectors, worked out by hand from the protocol specification
 * (field order, widths, KIP-482 compact lengths N+1 and tag buffers), so the
 * codec is checked against the spec and not only against itself.
 */
#include <string.h>

#include "tests/unit/check.h"
#include "wire/header.h"
#include "wire/msg.h"
#include "wire_msgs.h"

/* Decodes body bytes with t at v, checks exact consumption, re-encodes and
 * compares. Returns 0 when both directions match. */
static int both_ways(const wire_msg_type *t, int16_t v, const uint8_t *bytes, size_t n, void *m,
                     wire_arena *a)
{
	char err[256] = "";
	int rc = wire_msg_decode_body(t, v, bytes, n, a, m, err, sizeof(err));
	CHECKF(rc == 0, "%s", err);
	if (rc)
		return -1;
	wire_wr w;
	wire_wr_init(&w, false);
	rc = t->encode(&w, v, m);
	CHECK(rc == 0);
	CHECKF(w.len == n && memcmp(w.buf, bytes, n) == 0, "%s v%d: encoding differs from golden",
	       t->name, v);
	rc = rc || w.len != n || memcmp(w.buf, bytes, n) != 0;
	wire_wr_free(&w);
	return rc ? -1 : 0;
}

/* The worked ApiVersions v3 request from the reference: header v2 with
 * client id "proxy" and body with software name/version. */
static void test_api_versions_v3_request(void)
{
	static const uint8_t frame[] = {0x00, 0x00, 0x00, 0x1e, 0x00, 0x12, 0x00, 0x03, 0x00,
	                                0x00, 0x00, 0x01, 0x00, 0x05, 'p',  'r',  'o',  'x',
	                                'y',  0x00, 0x07, 'k',  'p',  'r',  'o',  'x',  'y',
	                                0x06, '1',  '.',  '0',  '.',  '0',  0x00};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_rd r;
	wire_rd_init(&r, frame + 4, sizeof(frame) - 4);
	wire_req_header h;
	CHECK(wire_req_header_decode(&r, &a, &h) == 0);
	CHECK(h.api_key == 18 && h.api_version == 3 && h.correlation_id == 1);
	CHECK(h.version == 2);
	CHECK(wire_str_eqc(h.client_id, "proxy"));
	wire_api_versions_req m;
	CHECK(wire_api_versions_req_decode(&r, 3, &a, &m) == 0);
	CHECK(r.pos == r.len);
	CHECK(wire_str_eqc(m.client_software_name, "kproxy"));
	CHECK(wire_str_eqc(m.client_software_version, "1.0.0"));

	/* and build the same bytes from values */
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_wr_int32(&w, 0) == 0);
	wire_req_header h2 = {.api_key = 18,
	                      .api_version = 3,
	                      .correlation_id = 1,
	                      .client_id = wire_str_c("proxy"),
	                      .version = 2};
	CHECK(wire_req_header_encode(&w, &h2) == 0);
	wire_api_versions_req m2;
	wire_api_versions_req_init(&m2);
	m2.client_software_name = wire_str_c("kproxy");
	m2.client_software_version = wire_str_c("1.0.0");
	CHECK(wire_api_versions_req_encode(&w, 3, &m2) == 0);
	wire_wr_put_int32_at(&w, 0, (int32_t)(w.len - 4));
	CHECK(w.len == sizeof(frame) && memcmp(w.buf, frame, sizeof(frame)) == 0);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

static void test_metadata_v0_request(void)
{
	static const uint8_t body[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't'};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	if (both_ways(wire_msg_find(3, WIRE_REQUEST), 0, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.topics.n == 1 && wire_str_eqc(m.topics.v[0].name, "t"));
		CHECK(m.allow_auto_topic_creation == true); /* default for versions without it */
	}
	wire_arena_reset(&a);
}

/* Flexible: compact array (N+1), compact string, per-element tag buffer. */
static void test_metadata_v9_request(void)
{
	static const uint8_t body[] = {0x02, 0x03, 'a', 'b', 0x00, 0x01, 0x00, 0x00, 0x00};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	if (both_ways(wire_msg_find(3, WIRE_REQUEST), 9, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.topics.n == 1 && wire_str_eqc(m.topics.v[0].name, "ab"));
		CHECK(m.allow_auto_topic_creation && !m.include_topic_authorized_operations);
	}
	wire_arena_reset(&a);
}

/* v10 adds the topic id before the (now nullable) name; null topics = all. */
static void test_metadata_v10_request(void)
{
	uint8_t body[1 + 16 + 1 + 1 + 3] = {0x02};
	body[17] = 0x00; /* null name: compact length 0 */
	body[18] = 0x00; /* element tags */
	body[19] = 0x01; /* allow auto topic creation */
	body[20] = 0x00; /* include cluster authorized operations (8-10) */
	body[21] = 0x00; /* include topic authorized operations */
	uint8_t full[sizeof(body) + 1];
	memcpy(full, body, sizeof(body));
	full[sizeof(body)] = 0x00; /* top-level tags */
	for (int i = 0; i < 16; i++)
		full[1 + i] = (uint8_t)(i + 1);
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	if (both_ways(wire_msg_find(3, WIRE_REQUEST), 10, full, sizeof(full), &m, &a) == 0) {
		CHECK(m.topics.n == 1 && m.topics.v[0].name.len == -1);
		CHECK(m.topics.v[0].topic_id.b[0] == 1 && m.topics.v[0].topic_id.b[15] == 16);
	}
	/* a null topic array means all topics from v1 on; in v0 the spec has no
	 * null, but peers do send nulls the spec forbids, so it is kept and
	 * forwarded as it came rather than rejected */
	static const uint8_t all_v1[] = {0xff, 0xff, 0xff, 0xff};
	for (int16_t v = 0; v <= 1; v++) {
		wire_metadata_req m1;
		if (both_ways(wire_msg_find(3, WIRE_REQUEST), v, all_v1, 4, &m1, &a) == 0)
			CHECK(m1.topics.n == -1);
	}
	wire_arena_reset(&a);
}

static void test_find_coordinator_v4_response(void)
{
	static const uint8_t body[] = {0x00, 0x00, 0x00, 0x00, /* throttle */
	                               0x02,                   /* 1 coordinator */
	                               0x02, 'g',              /* key */
	                               0x00, 0x00, 0x00, 0x02, /* node id */
	                               0x02, 'h',              /* host */
	                               0x00, 0x00, 0x23, 0x84, /* port 9092 */
	                               0x00, 0x00,             /* error code */
	                               0x00,                   /* error message null */
	                               0x00,                   /* element tags */
	                               0x00};                  /* tags */
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_find_coordinator_resp m;
	if (both_ways(wire_msg_find(10, WIRE_RESPONSE), 4, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.coordinators.n == 1);
		CHECK(m.coordinators.v[0].node_id == 2 && m.coordinators.v[0].port == 9092);
		CHECK(wire_str_eqc(m.coordinators.v[0].host, "h"));
		CHECK(m.coordinators.v[0].error_message.len == -1);
	}
	wire_arena_reset(&a);
}

/* KIP-951: NodeEndpoints is tagged field 0 of the Produce v10+ response. */
static void test_produce_v10_response_node_endpoints(void)
{
	static const uint8_t body[] = {0x01,                   /* no topics */
	                               0x00, 0x00, 0x00, 0x00, /* throttle */
	                               0x01,                   /* one tagged field */
	                               0x00, 0x0d,             /* tag 0, 13 bytes */
	                               0x02,                   /* one endpoint */
	                               0x00, 0x00, 0x00, 0x01, /* node id */
	                               0x02, 'h',              /* host */
	                               0x00, 0x00, 0x23, 0x84, /* port */
	                               0x00,                   /* rack null */
	                               0x00};                  /* element tags */
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_produce_resp m;
	if (both_ways(wire_msg_find(0, WIRE_RESPONSE), 10, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.has_node_endpoints && m.node_endpoints.n == 1);
		CHECK(m.node_endpoints.v[0].node_id == 1 && m.node_endpoints.v[0].port == 9092);
		CHECK(m.unknown_tags.n == 0);
	}
	wire_arena_reset(&a);
}

/* Records are referenced in place, never copied. */
static void test_produce_v3_request_zero_copy(void)
{
	static const uint8_t body[] = {0xff, 0xff,             /* transactional id null */
	                               0xff, 0xff,             /* acks -1 */
	                               0x00, 0x00, 0x03, 0xe8, /* timeout 1000 */
	                               0x00, 0x00, 0x00, 0x01, /* 1 topic */
	                               0x00, 0x01, 't',        /* name */
	                               0x00, 0x00, 0x00, 0x01, /* 1 partition */
	                               0x00, 0x00, 0x00, 0x00, /* index */
	                               0x00, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_produce_req m;
	if (both_ways(wire_msg_find(0, WIRE_REQUEST), 3, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.acks == -1 && m.timeout_ms == 1000 && m.transactional_id.len == -1);
		const wire_bytes *rec = &m.topic_data.v[0].partition_data.v[0].records;
		CHECK(rec->len == 3 && rec->p == body + 27);
		wire_wr w;
		wire_wr_init(&w, true);
		CHECK(wire_produce_req_encode(&w, 3, &m) == 0);
		CHECK(w.nrefs == 1 && w.refs[0].p == body + 27 && w.refs[0].len == 3);
		CHECK(w.len == sizeof(body) - 3 && wire_wr_size(&w) == sizeof(body));
		wire_wr_free(&w);
	}
	wire_arena_reset(&a);
}

/* Unknown tagged fields survive decode -> encode byte for byte. */
static void test_unknown_tags_survive(void)
{
	static const uint8_t body[] = {0x01, 0x01, 0x00,        /* no topics, flags */
	                               0x02, 0x03, 0x01, 0x7f,  /* tag 3: 1 byte */
	                               0x05, 0x02, 0xde, 0xad}; /* tag 5: 2 bytes */
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	if (both_ways(wire_msg_find(3, WIRE_REQUEST), 11, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.unknown_tags.n == 2 && m.unknown_tags.v[1].tag == 5);
		CHECK(m.unknown_tags.v[1].data.len == 2 && m.unknown_tags.v[1].data.p[0] == 0xde);
	}
	wire_arena_reset(&a);
}

static void test_tags_out_of_order_rejected(void)
{
	static const uint8_t body[] = {0x01, 0x01, 0x00, 0x02, 0x05, 0x01, 0xaa, 0x03, 0x01, 0xbb};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	char err[256];
	CHECK(wire_msg_decode_body(wire_msg_find(3, WIRE_REQUEST), 11, body, sizeof(body), &a, &m,
	                           err, sizeof(err)) != 0);
	CHECKF(strstr(err, "out of order") != NULL, "error was: %s", err);
	wire_arena_reset(&a);
}

/* A known tagged field whose size says more than its value holds. */
static void test_tagged_field_size_mismatch_rejected(void)
{
	static const uint8_t body[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
	                               0x00, 0x03, 0x01, 0x00, 0x00};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_produce_resp m;
	char err[256];
	CHECK(wire_msg_decode_body(wire_msg_find(0, WIRE_RESPONSE), 10, body, sizeof(body), &a, &m,
	                           err, sizeof(err)) != 0);
	CHECKF(strstr(err, "tagged field longer than its value") != NULL, "error was: %s", err);
	wire_arena_reset(&a);
}

/* ApiVersions v3 response: flexible body, but a v0 response header. */
static void test_api_versions_v3_response(void)
{
	static const uint8_t body[] = {0x00, 0x00,                               /* error */
	                               0x02,                                     /* one api */
	                               0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, /* Metadata 0-12 */
	                               0x00, 0x00, 0x00, 0x00,                   /* throttle */
	                               0x00};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_api_versions_resp m;
	if (both_ways(wire_msg_find(18, WIRE_RESPONSE), 3, body, sizeof(body), &m, &a) == 0) {
		CHECK(m.api_keys.n == 1 && m.api_keys.v[0].api_key == 3);
		CHECK(m.api_keys.v[0].min_version == 0 && m.api_keys.v[0].max_version == 12);
		CHECK(m.finalized_features_epoch == -1); /* tagged default */
	}
	wire_arena_reset(&a);
}

/* Trailing bytes inside a frame are an error, with the message named. */
static void test_trailing_bytes_rejected(void)
{
	static const uint8_t body[] = {0x00, 0x00, 0x00, 0x00, 0x99};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	char err[256];
	CHECK(wire_msg_decode_body(wire_msg_find(3, WIRE_REQUEST), 0, body, sizeof(body), &a, &m,
	                           err, sizeof(err)) != 0);
	CHECKF(strstr(err, "trailing bytes") && strstr(err, "MetadataRequest v0"), "error was: %s",
	       err);
	wire_arena_reset(&a);
}

/* Absurd counts fail before allocating: 2^31-1 partitions in 8 bytes. */
static void test_absurd_lengths(void)
{
	static const uint8_t arr[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	                              't',  0x7f, 0xff, 0xff, 0xff};
	static const uint8_t str[] = {0x00, 0x00, 0x00, 0x01, 0x7f, 0xff, 't', 0, 0, 0, 0};
	static const uint8_t neg[] = {0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 't', 0, 0, 0, 0};
	wire_arena a;
	wire_arena_init(&a, 4096);
	wire_offset_fetch_req m;
	char err[256];
	const wire_msg_type *t = wire_msg_find(9, WIRE_REQUEST);
	static const uint8_t grp[] = {0x00, 0x01, 'g'};
	uint8_t buf[64];
	memcpy(buf, grp, 3);
	memcpy(buf + 3, arr, sizeof(arr));
	CHECK(wire_msg_decode_body(t, 1, buf, 3 + sizeof(arr), &a, &m, err, sizeof(err)) != 0);
	CHECKF(strstr(err, "array length exceeds input") != NULL, "error was: %s", err);
	CHECK(a.used <= 4096);
	memcpy(buf + 3, str, sizeof(str));
	CHECK(wire_msg_decode_body(t, 1, buf, 3 + sizeof(str), &a, &m, err, sizeof(err)) != 0);
	CHECKF(strstr(err, "string length exceeds input") != NULL, "error was: %s", err);
	memcpy(buf + 3, neg, sizeof(neg));
	CHECK(wire_msg_decode_body(t, 1, buf, 3 + sizeof(neg), &a, &m, err, sizeof(err)) != 0);
	CHECKF(strstr(err, "negative length") != NULL, "error was: %s", err);
	wire_arena_reset(&a);
}

/* The arena limit stops a legal but huge message from taking all memory. */
static void test_arena_limit(void)
{
	/* 1000 topics of one-char names: fine with a big arena, refused with a tiny one */
	static uint8_t body[4 + 1000 * 3];
	body[0] = 0;
	body[1] = 0;
	body[2] = 0x03;
	body[3] = 0xe8;
	for (int i = 0; i < 1000; i++) {
		body[4 + i * 3] = 0;
		body[5 + i * 3] = 1;
		body[6 + i * 3] = 'x';
	}
	const wire_msg_type *t = wire_msg_find(3, WIRE_REQUEST);
	wire_metadata_req m;
	char err[256];
	wire_arena a;
	wire_arena_init(&a, 0);
	CHECK(wire_msg_decode_body(t, 0, body, sizeof(body), &a, &m, err, sizeof(err)) == 0);
	CHECK(m.topics.n == 1000);
	wire_arena_reset(&a);
	wire_arena_init(&a, 8192);
	CHECK(wire_msg_decode_body(t, 0, body, sizeof(body), &a, &m, err, sizeof(err)) != 0);
	CHECKF(strstr(err, "memory limit") != NULL, "error was: %s", err);
	wire_arena_reset(&a);
}

static void test_unsupported_version(void)
{
	static const uint8_t body[] = {0x00};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_req m;
	char err[256];
	CHECK(wire_msg_decode_body(wire_msg_find(3, WIRE_REQUEST), 99, body, 1, &a, &m, err,
	                           sizeof(err)) != 0);
	CHECKF(strstr(err, "unsupported version") != NULL, "error was: %s", err);
	wire_wr w;
	wire_wr_init(&w, false);
	wire_metadata_req_init(&m);
	CHECK(wire_metadata_req_encode(&w, -1, &m) != 0 && w.err != NULL);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

TEST_TABLE(golden_tests) = {
    {"golden ApiVersions v3 request frame", test_api_versions_v3_request},
    {"golden ApiVersions v3 response", test_api_versions_v3_response},
    {"golden Metadata v0 request", test_metadata_v0_request},
    {"golden Metadata v9 request", test_metadata_v9_request},
    {"golden Metadata v10 request", test_metadata_v10_request},
    {"golden FindCoordinator v4 response", test_find_coordinator_v4_response},
    {"golden Produce v10 response NodeEndpoints", test_produce_v10_response_node_endpoints},
    {"golden Produce v3 request zero copy", test_produce_v3_request_zero_copy},
    {"unknown tagged fields survive", test_unknown_tags_survive},
    {"tags out of order rejected", test_tags_out_of_order_rejected},
    {"tagged field size mismatch rejected", test_tagged_field_size_mismatch_rejected},
    {"trailing bytes rejected", test_trailing_bytes_rejected},
    {"absurd lengths rejected before allocation", test_absurd_lengths},
    {"arena limit", test_arena_limit},
    {"unsupported version", test_unsupported_version},
    {NULL, NULL},
};
