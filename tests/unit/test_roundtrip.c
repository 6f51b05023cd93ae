/*
 * Generated round trips: every message the codec knows, at every version,
 * filled with seeded random values, must survive encode -> decode -> encode
 * byte for byte, decode exactly the bytes it was given (trailing garbage is
 * left alone), fail cleanly on every truncation, and stream through the
 * frame parser one byte at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "wire/frame.h"
#include "wire_msgs_fill.h"

enum { SEEDS = 24, PREFIX_SEEDS = 4 };

/* memcmp/memcpy with a NULL pointer are undefined even for 0 bytes. */
static bool same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void one_seed(const wire_msg_type *t, const wire_msg_test_ops *ops, int16_t v, uint64_t seed)
{
	wire_arena a, b;
	wire_arena_init(&a, 0);
	wire_arena_init(&b, 0);
	wire_wr w1, w2, wz;
	wire_wr_init(&w1, false);
	wire_wr_init(&w2, false);
	wire_wr_init(&wz, true);
	void *m1 = calloc(1, t->size), *m2 = calloc(1, t->size);
	uint8_t *garbage = NULL;
	if (!m1 || !m2)
		abort();

	wire_rng g;
	wire_rng_seed(&g, seed * 7919 + (uint64_t)v);
	ops->fill(m1, v, &g, &a);
	CHECKF(t->encode(&w1, v, m1) == 0, "%s v%d seed %llu: encode failed: %s at %s", t->name, v,
	       (unsigned long long)seed, w1.err, w1.where ? w1.where : "?");
	if (w1.err)
		goto out;

	/* all at once, with garbage behind it */
	garbage = malloc(w1.len + 7);
	if (!garbage)
		abort();
	if (w1.len)
		memcpy(garbage, w1.buf, w1.len);
	memset(garbage + w1.len, 0xA5, 7);
	wire_rd r;
	wire_rd_init(&r, garbage, w1.len + 7);
	int rc = t->decode(&r, v, &b, m2);
	char why[256];
	wire_rd_describe(&r, why, sizeof(why));
	CHECKF(rc == 0, "%s v%d seed %llu: decode failed: %s", t->name, v, (unsigned long long)seed,
	       why);
	if (rc)
		goto out;
	CHECKF(r.pos == w1.len, "%s v%d: consumed %zu of %zu bytes", t->name, v, r.pos, w1.len);
	CHECKF(ops->equal(m1, m2, v), "%s v%d seed %llu: decoded value differs", t->name, v,
	       (unsigned long long)seed);
	CHECK(t->encode(&w2, v, m2) == 0);
	CHECKF(same(w1.buf, w1.len, w2.buf, w2.len), "%s v%d seed %llu: re-encoding differs",
	       t->name, v, (unsigned long long)seed);

	/* zero-copy encoding flattens to the same bytes */
	CHECK(t->encode(&wz, v, m2) == 0);
	CHECK(wire_wr_size(&wz) == w1.len);
	CHECK(wire_wr_flatten(&wz) == 0);
	CHECK(same(wz.buf, wz.len, w1.buf, w1.len));

	/* every truncation fails with an error, never a success or a crash */
	if (seed < PREFIX_SEEDS) {
		for (size_t k = 0; k < w1.len; k++) {
			uint8_t *cut = malloc(k ? k : 1); /* exact size: ASan sees overreads */
			if (!cut)
				abort();
			if (k)
				memcpy(cut, w1.buf, k);
			wire_arena c;
			wire_arena_init(&c, 0);
			void *m3 = calloc(1, t->size);
			if (!m3)
				abort();
			wire_rd rk;
			wire_rd_init(&rk, cut, k);
			int rck = t->decode(&rk, v, &c, m3);
			CHECKF(rck != 0 && rk.err != NULL, "%s v%d: prefix %zu/%zu decoded",
			       t->name, v, k, w1.len);
			free(m3);
			wire_arena_reset(&c);
			free(cut);
		}
		/* as a frame, fed one byte at a time */
		size_t flen = 4 + w1.len;
		uint8_t *frame = malloc(flen);
		if (!frame)
			abort();
		frame[0] = (uint8_t)(w1.len >> 24);
		frame[1] = (uint8_t)(w1.len >> 16);
		frame[2] = (uint8_t)(w1.len >> 8);
		frame[3] = (uint8_t)w1.len;
		if (w1.len)
			memcpy(frame + 4, w1.buf, w1.len);
		for (size_t k = 0; k <= flen; k++) {
			int32_t size;
			const char *err;
			wire_frame_status st =
			    wire_frame_check(frame, k, 0, WIRE_DEFAULT_MAX_FRAME, &size, &err);
			CHECK(st == (k == flen ? WIRE_FRAME_READY : WIRE_FRAME_NEED));
		}
		free(frame);
	}
out:
	free(garbage);
	free(m1);
	free(m2);
	wire_wr_free(&w1);
	wire_wr_free(&w2);
	wire_wr_free(&wz);
	wire_arena_reset(&a);
	wire_arena_reset(&b);
}

void roundtrip_run_all(void)
{
	char name[128];
	for (size_t i = 0; i < wire_msg_type_count; i++) {
		const wire_msg_type *t = &wire_msg_types[i];
		for (int16_t v = t->min_version; v <= t->max_version; v++) {
			snprintf(name, sizeof(name), "roundtrip %s v%d", t->name, v);
			check_failures = 0;
			for (uint64_t s = 0; s < SEEDS; s++)
				one_seed(t, &wire_msg_test_ops_table[i], v, s);
			check_record(name, check_failures);
		}
	}
}
