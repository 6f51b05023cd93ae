/* Header version selection (KIP-482, KIP-511) and header round trips. */
#include <string.h>

#include "tests/unit/check.h"
#include "wire/api.h"
#include "wire/header.h"

static void test_header_versions(void)
{
	CHECK(wire_req_header_version(WIRE_API_METADATA, 8) == 1);
	CHECK(wire_req_header_version(WIRE_API_METADATA, 9) == 2);
	CHECK(wire_req_header_version(WIRE_API_CONTROLLED_SHUTDOWN, 0) == 0);
	CHECK(wire_req_header_version(WIRE_API_SASL_HANDSHAKE, 1) == 1); /* never flexible */
	CHECK(wire_resp_header_version(WIRE_API_METADATA, 9) == 1);
	CHECK(wire_resp_header_version(WIRE_API_FETCH, 11) == 0);
	CHECK(wire_resp_header_version(WIRE_API_FETCH, 12) == 1);
	CHECK(wire_resp_header_version(WIRE_API_API_VERSIONS, 3) == 0); /* KIP-511 */
	CHECK(wire_req_header_version(WIRE_API_API_VERSIONS, 3) == 2);
	CHECK(wire_req_header_version(WIRE_API_DESCRIBE_CLUSTER, 0) == 2);
	CHECK(!wire_api_known(999) && strcmp(wire_api_name(999), "Unknown") == 0);
	CHECK(strcmp(wire_api_name(WIRE_API_FIND_COORDINATOR), "FindCoordinator") == 0);
}

static void test_request_header_round_trip(void)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	static const uint8_t tagdata[] = {0x42};
	wire_rawtag tag = {7, {tagdata, 1}};
	wire_req_header h = {.api_key = WIRE_API_FETCH,
	                     .api_version = 12,
	                     .correlation_id = -7,
	                     .client_id = wire_str_c("c"),
	                     .tags = {1, &tag},
	                     .version = 2};
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_req_header_encode(&w, &h) == 0);
	static const uint8_t want[] = {0, 1, 0,   12, 0xff, 0xff, 0xff, 0xf9,
	                               0, 1, 'c', 1,  7,    1,    0x42};
	CHECK(w.len == sizeof(want) && memcmp(w.buf, want, sizeof(want)) == 0);
	wire_rd r;
	wire_req_header d;
	wire_rd_init(&r, w.buf, w.len);
	CHECK(wire_req_header_decode(&r, &a, &d) == 0 && r.pos == r.len);
	CHECK(d.version == 2 && d.correlation_id == -7 && wire_str_eqc(d.client_id, "c"));
	CHECK(wire_tags_eq(&d.tags, &h.tags));
	/* null client id */
	wire_wr_free(&w);
	h.api_version = 11;
	h.version = 1;
	h.client_id = wire_str_null();
	CHECK(wire_req_header_encode(&w, &h) == 0 && w.len == 10);
	wire_rd_init(&r, w.buf, w.len);
	CHECK(wire_req_header_decode(&r, &a, &d) == 0 && d.client_id.len == -1 && d.version == 1);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

static void test_request_header_malformed(void)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_rd r;
	wire_req_header d;
	static const uint8_t neg_version[] = {0, 3, 0xff, 0xff, 0, 0, 0, 1, 0, 0};
	wire_rd_init(&r, neg_version, sizeof(neg_version));
	CHECK(wire_req_header_decode(&r, &a, &d) != 0 && strstr(r.err, "negative api version"));
	static const uint8_t short_client[] = {0, 3, 0, 1, 0, 0, 0, 1, 0, 9, 'a'};
	wire_rd_init(&r, short_client, sizeof(short_client));
	CHECK(wire_req_header_decode(&r, &a, &d) != 0 && strstr(r.where, "ClientId"));
	static const uint8_t bad_tags[] = {0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 5};
	wire_rd_init(&r, bad_tags, sizeof(bad_tags));
	CHECK(wire_req_header_decode(&r, &a, &d) != 0);
	wire_arena_reset(&a);
}

static void test_response_header(void)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	static const uint8_t v0[] = {0, 0, 0, 5};
	static const uint8_t v1[] = {0, 0, 0, 5, 0};
	wire_rd r;
	wire_resp_header h;
	wire_rd_init(&r, v0, sizeof(v0));
	CHECK(wire_resp_header_decode(&r, 0, &a, &h) == 0 && h.correlation_id == 5 && r.pos == 4);
	wire_rd_init(&r, v1, sizeof(v1));
	CHECK(wire_resp_header_decode(&r, 1, &a, &h) == 0 && r.pos == 5);
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_resp_header_encode(&w, &h) == 0 && w.len == 5 && memcmp(w.buf, v1, 5) == 0);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

TEST_TABLE(header_tests) = {
    {"header versions", test_header_versions},
    {"request header round trip", test_request_header_round_trip},
    {"request header malformed", test_request_header_malformed},
    {"response header", test_response_header},
    {NULL, NULL},
};
