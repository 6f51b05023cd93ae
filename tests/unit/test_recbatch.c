/*
 * proxy/recbatch.c: the CRC-32C against the standard check value, and the
 * in-place rewrite of a batch's producer id, epoch and base sequence: the
 * fields land where the record batch format puts them, the CRC matches the
 * new bytes, untouched batches keep their bytes, and malformed input
 * (short, wrong magic, a length past the end) is refused.
 */
#include <string.h>

#include "proxy/recbatch.h"
#include "tests/unit/check.h"

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A batch of `extra` record bytes after the 61-byte header, CRC set. */
static size_t make_batch(uint8_t *b, size_t extra, int64_t pid, int16_t epoch, int32_t seq)
{
	size_t len = RECBATCH_HEADER + extra;
	memset(b, 0, len);
	put(b + 8, len - 12, 4);
	b[16] = 2;
	put(b + 43, (uint64_t)pid, 8);
	put(b + 51, (uint16_t)epoch, 2);
	put(b + 53, (uint32_t)seq, 4);
	put(b + 57, 3, 4);
	for (size_t i = 0; i < extra; i++)
		b[RECBATCH_HEADER + i] = (uint8_t)(i * 7);
	put(b + 17, recbatch_crc32c(b + 21, len - 21), 4);
	return len;
}

static void test_crc32c_check_value(void)
{
	CHECK(recbatch_crc32c((const uint8_t *)"123456789", 9) == 0xE3069283u);
	CHECK(recbatch_crc32c((const uint8_t *)"", 0) == 0);
}

typedef struct remap {
	int64_t pid;
	int16_t epoch;
	int32_t base;
	int seen;
} remap;

static int on_batch(void *arg, recbatch_ids *ids)
{
	remap *m = arg;
	m->seen++;
	if (ids->producer_id < 0)
		return 0; /* leave non-idempotent batches alone */
	ids->producer_id = m->pid;
	ids->epoch = m->epoch;
	ids->base_sequence -= m->base;
	return 0;
}

static void test_rewrite_two_batches(void)
{
	uint8_t buf[400];
	size_t a = make_batch(buf, 20, 856704000, 0, 140);
	size_t b = make_batch(buf + a, 35, -1, -1, -1);
	uint8_t before_b[200];
	memcpy(before_b, buf + a, b);
	remap m = {446455000, 3, 100, 0};
	CHECK(recbatch_rewrite(buf, a + b, on_batch, &m) == 2);
	CHECK(m.seen == 2);
	CHECK(get(buf + 43, 8) == 446455000);
	CHECK(get(buf + 51, 2) == 3);
	CHECK(get(buf + 53, 4) == 40);
	CHECK(get(buf + 57, 4) == 3);
	CHECK(get(buf + 17, 4) == recbatch_crc32c(buf + 21, a - 21));
	CHECK(memcmp(buf + a, before_b, b) == 0);
	recbatch_ids first;
	CHECK(recbatch_first(buf, a + b, &first) == 0 && first.producer_id == 446455000 &&
	      first.base_sequence == 40 && first.count == 3 && !first.transactional);
}

static void test_rewrite_refuses_malformed(void)
{
	uint8_t buf[200];
	size_t a = make_batch(buf, 10, 5, 0, 0);
	remap m = {6, 0, 0, 0};
	CHECK(recbatch_rewrite(buf, a - 1, on_batch, &m) == -1); /* cut short */
	CHECK(recbatch_rewrite(buf, a + 5, on_batch, &m) == -1); /* trailing bytes */
	buf[16] = 1;                                             /* old message format */
	CHECK(recbatch_rewrite(buf, a, on_batch, &m) == -1);
	buf[16] = 2;
	put(buf + 8, 0x7fffffff, 4); /* length past the end */
	CHECK(recbatch_rewrite(buf, a, on_batch, &m) == -1);
	CHECK(recbatch_first(buf, 60, &(recbatch_ids){0}) == -1);
	CHECK(m.seen == 1); /* the whole first batch before the trailing bytes */
	CHECK(recbatch_rewrite(buf, 0, on_batch, &m) == 0);
}

TEST_TABLE(recbatch_tests) = {
    {"recbatch: CRC-32C check value", test_crc32c_check_value},
    {"recbatch: ids rewritten in place, CRC recomputed, other batches kept",
     test_rewrite_two_batches},
    {"recbatch: malformed batches refused", test_rewrite_refuses_malformed},
    {NULL, NULL},
};
