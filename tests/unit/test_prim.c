/* Primitive encodings against values from the protocol specification. */
#include <string.h>

#include "tests/unit/check.h"
#include "wire/arena.h"
#include "wire/prim.h"

static void test_uvarint_vectors(void)
{
	static const struct {
		uint32_t v;
		uint8_t bytes[5];
		size_t n;
	} cases[] = {
	    {0, {0x00}, 1},         {1, {0x01}, 1},
	    {127, {0x7f}, 1},       {128, {0x80, 0x01}, 2},
	    {300, {0xac, 0x02}, 2}, {UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wire_wr w;
		wire_wr_init(&w, false);
		CHECK(wire_wr_uvarint(&w, cases[i].v) == 0);
		CHECK(w.len == cases[i].n && memcmp(w.buf, cases[i].bytes, w.len) == 0);
		wire_rd r;
		uint32_t got;
		wire_rd_init(&r, cases[i].bytes, cases[i].n);
		CHECK(wire_rd_uvarint(&r, &got) == 0 && got == cases[i].v && r.pos == cases[i].n);
		wire_wr_free(&w);
	}
}

static void test_varint_zigzag(void)
{
	static const struct {
		int64_t v;
		uint8_t b;
	} cases[] = {{0, 0x00}, {-1, 0x01}, {1, 0x02}, {-2, 0x03}, {63, 0x7e}, {-64, 0x7f}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wire_wr w;
		wire_wr_init(&w, false);
		CHECK(wire_wr_varint(&w, (int32_t)cases[i].v) == 0 && w.len == 1 &&
		      w.buf[0] == cases[i].b);
		wire_rd r;
		int32_t v32;
		wire_rd_init(&r, w.buf, w.len);
		CHECK(wire_rd_varint(&r, &v32) == 0 && v32 == cases[i].v);
		wire_wr_free(&w);
		wire_wr_init(&w, false);
		CHECK(wire_wr_varlong(&w, cases[i].v) == 0 && w.len == 1 && w.buf[0] == cases[i].b);
		int64_t v64;
		wire_rd_init(&r, w.buf, w.len);
		CHECK(wire_rd_varlong(&r, &v64) == 0 && v64 == cases[i].v);
		wire_wr_free(&w);
	}
	int64_t extremes[] = {INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX};
	for (size_t i = 0; i < 4; i++) {
		wire_wr w;
		wire_wr_init(&w, false);
		CHECK(wire_wr_varlong(&w, extremes[i]) == 0);
		wire_rd r;
		int64_t v;
		wire_rd_init(&r, w.buf, w.len);
		CHECK(wire_rd_varlong(&r, &v) == 0 && v == extremes[i] && r.pos == w.len);
		wire_wr_free(&w);
	}
}

static void test_varint_malformed(void)
{
	static const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
	static const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
	static const uint8_t cut[] = {0x80, 0x80};
	wire_rd r;
	uint32_t v;
	wire_rd_init(&r, too_long, sizeof(too_long));
	CHECK(wire_rd_uvarint(&r, &v) != 0 && r.err);
	wire_rd_init(&r, overflow, sizeof(overflow));
	CHECK(wire_rd_uvarint(&r, &v) != 0 && strstr(r.err, "overflows"));
	wire_rd_init(&r, cut, sizeof(cut));
	CHECK(wire_rd_uvarint(&r, &v) != 0 && strstr(r.err, "truncated"));
}

static void test_fixed_big_endian(void)
{
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_wr_int16(&w, -2) == 0 && wire_wr_int32(&w, 0x01020304) == 0 &&
	      wire_wr_int64(&w, -1) == 0);
	static const uint8_t want[] = {0xff, 0xfe, 1,    2,    3,    4,    0xff,
	                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	CHECK(w.len == sizeof(want) && memcmp(w.buf, want, sizeof(want)) == 0);
	wire_rd r;
	int16_t a;
	int32_t b;
	int64_t c;
	wire_rd_init(&r, w.buf, w.len);
	CHECK(wire_rd_int16(&r, &a) == 0 && a == -2);
	CHECK(wire_rd_int32(&r, &b) == 0 && b == 0x01020304);
	CHECK(wire_rd_int64(&r, &c) == 0 && c == -1);
	CHECK(wire_rd_int8(&r, (int8_t *)&a) != 0 && strstr(r.err, "truncated"));
	wire_wr_free(&w);
}

static void test_strings(void)
{
	wire_wr w;
	wire_wr_init(&w, false);
	CHECK(wire_wr_str(&w, false, wire_str_c("ab")) == 0);         /* 00 02 a b */
	CHECK(wire_wr_str(&w, false, wire_str_null()) == 0);          /* ff ff */
	CHECK(wire_wr_str(&w, true, wire_str_c("ab")) == 0);          /* 03 a b */
	CHECK(wire_wr_str(&w, true, wire_str_null()) == 0);           /* 00 */
	CHECK(wire_wr_bytes(&w, false, (wire_bytes){NULL, -1}) == 0); /* ff ff ff ff */
	static const uint8_t want[] = {0,   2,   'a', 'b',  0xff, 0xff, 3,
	                               'a', 'b', 0,   0xff, 0xff, 0xff, 0xff};
	CHECK(w.len == sizeof(want) && memcmp(w.buf, want, sizeof(want)) == 0);
	wire_rd r;
	wire_str s;
	wire_bytes b;
	wire_rd_init(&r, w.buf, w.len);
	CHECK(wire_rd_str(&r, false, &s) == 0 && wire_str_eqc(s, "ab"));
	CHECK(wire_rd_str(&r, false, &s) == 0 && s.len == -1);
	CHECK(wire_rd_str(&r, true, &s) == 0 && wire_str_eqc(s, "ab"));
	CHECK(wire_rd_str(&r, true, &s) == 0 && s.len == -1);
	CHECK(wire_rd_bytes(&r, false, &b) == 0 && b.len == -1 && r.pos == r.len);
	wire_wr_free(&w);

	/* a classic string cannot be longer than int16 allows */
	static char big[40000];
	memset(big, 'x', sizeof(big));
	wire_wr_init(&w, false);
	CHECK(wire_wr_str(&w, false, (wire_str){big, (int32_t)sizeof(big)}) != 0 && w.err);
	wire_wr_free(&w);
}

static void test_error_description(void)
{
	static const uint8_t in[] = {0x00, 0x05, 'a'};
	wire_rd r;
	wire_str s;
	wire_rd_init(&r, in, sizeof(in));
	CHECK(wire_rd_str(&r, false, &s) != 0);
	wire_rd_at(&r, "Foo.Bar");
	wire_rd_at(&r, "Foo");
	char buf[128];
	wire_rd_describe(&r, buf, sizeof(buf));
	CHECKF(strcmp(buf, "string length exceeds input at Foo.Bar (offset 2 of 3)") == 0, "got %s",
	       buf);
}

static void test_arena(void)
{
	wire_arena a;
	wire_arena_init(&a, 1 << 16);
	void *p = wire_arena_alloc(&a, 10);
	CHECK(p && ((uintptr_t)p & 7) == 0);
	CHECK(wire_arena_alloc(&a, 1 << 17) == NULL);          /* over the limit */
	CHECK(wire_arena_calloc(&a, SIZE_MAX / 2, 4) == NULL); /* overflow */
	for (int i = 0; i < 100; i++)
		CHECK(wire_arena_alloc(&a, 100) != NULL);
	CHECK(a.used <= 1 << 16);
	wire_arena_reset(&a);
	CHECK(a.used == 0 && a.head == NULL);
}

TEST_TABLE(prim_tests) = {
    {"uvarint vectors", test_uvarint_vectors},
    {"varint zigzag", test_varint_zigzag},
    {"varint malformed", test_varint_malformed},
    {"fixed ints big endian", test_fixed_big_endian},
    {"strings and bytes", test_strings},
    {"error description", test_error_description},
    {"arena", test_arena},
    {NULL, NULL},
};
