/* ConsumerProtocol subscription/assignment payloads, including newer versions. */
#include <string.h>

#include "tests/unit/check.h"
#include "wire/consumer_protocol.h"

static void test_subscription_v0_golden(void)
{
	/* version 0, topics ["a","bc"], user data null */
	static const uint8_t p[] = {0, 0, 0,   0,   0,    2,    0,    1,   'a',
	                            0, 2, 'b', 'c', 0xff, 0xff, 0xff, 0xff};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_consumer_protocol_subscription s;
	int16_t v;
	char err[256];
	CHECKF(wire_subscription_parse(p, sizeof(p), &a, &s, &v, err, sizeof(err)) == 0, "%s", err);
	CHECK(v == 0 && s.topics.n == 2 && wire_str_eqc(s.topics.v[1], "bc") &&
	      s.user_data.len == -1);
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_subscription_write(&w, 0, &s) == 0);
	CHECK(w.len == sizeof(p) && memcmp(w.buf, p, sizeof(p)) == 0);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

/* A future version 9 with extra trailing fields is read as the newest known. */
static void test_subscription_future_version(void)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_consumer_protocol_subscription s;
	wire_consumer_protocol_subscription_init(&s);
	wire_str topic = wire_str_c("t");
	s.topics.n = 1;
	s.topics.v = &topic;
	s.rack_id = wire_str_c("r1");
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_subscription_write(&w, 3, &s) == 0);
	CHECK(wire_wr_raw(&w, "\x01\x02\x03", 3) == 0); /* fields of a future version */
	w.buf[1] = 9;
	wire_consumer_protocol_subscription d;
	int16_t v;
	char err[256];
	CHECKF(wire_subscription_parse(w.buf, w.len, &a, &d, &v, err, sizeof(err)) == 0, "%s", err);
	CHECK(v == 9 && d.topics.n == 1 && wire_str_eqc(d.rack_id, "r1"));
	/* but trailing bytes at a known version are an error */
	w.buf[1] = 3;
	CHECK(wire_subscription_parse(w.buf, w.len, &a, &d, &v, err, sizeof(err)) != 0);
	CHECKF(strstr(err, "trailing") != NULL, "%s", err);
	wire_wr_free(&w);
	wire_arena_reset(&a);
}

static void test_assignment_golden(void)
{
	/* version 1, [("t", [0, 2])], user data empty */
	static const uint8_t p[] = {0, 1, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2,
	                            0, 0, 0, 0, 0, 0, 0, 2, 0,   0, 0, 0};
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_consumer_protocol_assignment s;
	int16_t v;
	char err[256];
	CHECKF(wire_assignment_parse(p, sizeof(p), &a, &s, &v, err, sizeof(err)) == 0, "%s", err);
	CHECK(v == 1 && s.assigned_partitions.n == 1);
	CHECK(s.assigned_partitions.v[0].partitions.n == 2 &&
	      s.assigned_partitions.v[0].partitions.v[1] == 2);
	CHECK(s.user_data.len == 0);
	static const uint8_t bad[] = {0xff, 0xff, 0};
	CHECK(wire_assignment_parse(bad, sizeof(bad), &a, &s, &v, err, sizeof(err)) != 0);
	CHECK(wire_assignment_parse(p, 1, &a, &s, &v, err, sizeof(err)) != 0);
	wire_arena_reset(&a);
}

TEST_TABLE(consumer_protocol_tests) = {
    {"consumer protocol subscription v0 golden", test_subscription_v0_golden},
    {"consumer protocol subscription future version", test_subscription_future_version},
    {"consumer protocol assignment golden", test_assignment_golden},
    {NULL, NULL},
};
