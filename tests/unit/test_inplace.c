/*
 * proxy/inplace.c against rewrite.c: for random Metadata v0-12, Produce
 * v10-11 and Fetch v12-17 responses (the generated fillers set brokers,
 * replicas, CurrentLeader, NodeEndpoints and unknown tags at random), the
 * frame walked in place, split over many libevent chains, must come out
 * byte for byte as the decode-and-re-encode path writes it. Also: record
 * bytes keep their memory (no copy), every truncation fails cleanly, and
 * src is left alone on failure.
 */
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/inplace.h"
#include "tests/unit/check.h"
#include "wire/api.h"
#include "wire/header.h"
#include "wire_msgs_fill.h"

enum { SEEDS = 60 };

/* Broker n of cluster c is virtual id (n mod 1000) + 100c + 1, port 9000 + vid. */
static int learned;
static int32_t h_vid(void *ctx, int cluster, int32_t id)
{
	(void)ctx;
	return id % 1000 + 100 * cluster + 1;
}
static void h_learn(void *ctx, int cluster, int32_t id, wire_str host, int32_t port)
{
	(void)ctx;
	(void)cluster;
	(void)id;
	(void)host;
	(void)port;
	learned++;
}
static int h_adv(void *ctx, int32_t vid, wire_str *host, int32_t *port)
{
	(void)ctx;
	*host = wire_str_c("127.0.0.1");
	*port = 9000 + vid;
	return 0;
}
static const rewrite_map hmap = {NULL, h_vid, h_learn, h_adv};

/* A response frame: size, header (correlation id 77, no tags), body. */
static int frame(int16_t api, int16_t v, const void *m, wire_wr *w)
{
	const wire_msg_type *t = wire_msg_find(api, WIRE_RESPONSE);
	wire_resp_header h = {.correlation_id = 77,
	                      .version = (int8_t)wire_resp_header_version(api, v)};
	wire_wr_init(w, false);
	if (wire_wr_int32(w, 0) || wire_resp_header_encode(w, &h) || t->encode(w, v, m))
		return -1;
	wire_wr_put_int32_at(w, 0, (int32_t)(w->len - 4));
	return 0;
}

/* What client.c's decode-and-re-encode path makes of a frame. */
static int full_path(int16_t api, int16_t v, const uint8_t *f, size_t len, wire_wr *out)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_rd r;
	wire_rd_init(&r, f + 4, len - 4);
	wire_resp_header h;
	char err[300];
	wire_wr_init(out, true);
	int rc = wire_resp_header_decode(&r, wire_resp_header_version(api, v), &a, &h) ||
	         wire_wr_int32(out, 0) || wire_resp_header_encode(out, &h) ||
	         rewrite_response(api, v, 1, f + 4 + r.pos, len - 4 - r.pos, &hmap, out, err,
	                          sizeof(err)) ||
	         wire_wr_flatten(out);
	if (!rc)
		wire_wr_put_int32_at(out, 0, (int32_t)(out->len - 4));
	wire_arena_reset(&a);
	return rc ? -1 : 0;
}

/* An evbuffer holding f split into chains of `piece` bytes. */
static struct evbuffer *chained(const uint8_t *f, size_t len, size_t piece)
{
	struct evbuffer *b = evbuffer_new();
	for (size_t at = 0; b && at < len; at += piece) {
		struct evbuffer *one = evbuffer_new();
		size_t n = len - at < piece ? len - at : piece;
		if (!one || evbuffer_add(one, f + at, n) || evbuffer_add_buffer(b, one))
			abort();
		evbuffer_free(one);
	}
	return b;
}

static int rewritten; /* responses in which the full path changed something */

static void one(int16_t api, int16_t v, uint64_t seed)
{
	const wire_msg_type *t = wire_msg_find(api, WIRE_RESPONSE);
	const wire_msg_test_ops *ops = &wire_msg_test_ops_table[t - wire_msg_types];
	wire_arena a;
	wire_arena_init(&a, 0);
	void *m = calloc(1, t->size);
	if (!m)
		abort();
	wire_rng g;
	wire_rng_seed(&g, seed * 104729 + (uint64_t)v);
	ops->fill(m, v, &g, &a);
	wire_wr in, want;
	CHECK(frame(api, v, m, &in) == 0);
	CHECKF(full_path(api, v, in.buf, in.len, &want) == 0, "%s v%d seed %llu: full path failed",
	       t->name, v, (unsigned long long)seed);
	rewritten += want.len != in.len || memcmp(want.buf, in.buf, in.len) != 0;
	size_t pieces[] = {in.len, 1, 3, 7 + seed % 13};
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct evbuffer *src = chained(in.buf, in.len, pieces[k] ? pieces[k] : 1);
		struct evbuffer *dst = evbuffer_new();
		evbuffer_add(src, "next", 4); /* the next response's first bytes stay */
		char err[300] = "";
		int rc = inplace_move(api, v, 1, src, in.len, &hmap, dst, err, sizeof(err));
		CHECKF(rc == 0, "%s v%d seed %llu piece %zu: %s", t->name, v,
		       (unsigned long long)seed, pieces[k], err);
		size_t n = evbuffer_get_length(dst);
		uint8_t *got = evbuffer_pullup(dst, -1);
		CHECKF(!rc && n == want.len && (!n || memcmp(got, want.buf, n) == 0),
		       "%s v%d seed %llu piece %zu: %zu bytes, the full path wrote %zu", t->name, v,
		       (unsigned long long)seed, pieces[k], n, want.len);
		CHECK(evbuffer_get_length(src) == 4);
		evbuffer_free(src);
		evbuffer_free(dst);
	}
	wire_wr_free(&in);
	wire_wr_free(&want);
	wire_arena_reset(&a);
	free(m);
}

static void test_inplace_match_full_rewrite(void)
{
	rewritten = 0;
	for (uint64_t s = 1; s <= SEEDS; s++) {
		for (int16_t v = 0; v <= 12; v++)
			one(WIRE_API_METADATA, v, s);
		for (int16_t v = 10; v <= 11; v++)
			one(WIRE_API_PRODUCE, v, s);
		for (int16_t v = 12; v <= 17; v++)
			one(WIRE_API_FETCH, v, s);
	}
	/* the fillers must have produced ids to rewrite, not only plain frames */
	CHECKF(rewritten > SEEDS * 21 / 3, "only %d of %d responses had something to rewrite",
	       rewritten, SEEDS * 21);
}

/* A Fetch v16 response: one partition with records, one with a leader hint. */
static void fetch_with_records(wire_wr *w, const uint8_t *records, int32_t nrec, bool hint)
{
	wire_fetch_resp m;
	wire_fetch_resp_init(&m);
	wire_fetch_resp_partition_data pd[2];
	for (int i = 0; i < 2; i++) {
		wire_fetch_resp_partition_data_init(&pd[i]);
		pd[i].partition_index = i;
	}
	pd[0].records = (wire_bytes){records, nrec};
	pd[1].error_code = 6;
	pd[1].has_current_leader = hint;
	pd[1].current_leader.leader_id = 2;
	pd[1].current_leader.leader_epoch = 9;
	wire_fetch_resp_fetchable_topic_response tr;
	wire_fetch_resp_fetchable_topic_response_init(&tr);
	tr.partitions = (wire_fetch_resp_partition_data_array){2, pd};
	m.responses = (wire_fetch_resp_fetchable_topic_response_array){1, &tr};
	wire_fetch_resp_node_endpoint ep;
	wire_fetch_resp_node_endpoint_init(&ep);
	ep.node_id = 2;
	ep.host = wire_str_c("real");
	ep.port = 7000;
	m.has_node_endpoints = hint;
	m.node_endpoints = (wire_fetch_resp_node_endpoint_array){1, &ep};
	if (frame(WIRE_API_FETCH, 16, &m, w))
		abort();
}

/* Records stay in the chain they arrived in: same memory after the move. */
static void test_inplace_records_not_copied(void)
{
	enum { NREC = 256 << 10 };
	uint8_t *records = malloc(NREC);
	if (!records)
		abort();
	for (int i = 0; i < NREC; i++)
		records[i] = (uint8_t)(i * 31);
	for (int hint = 0; hint < 2; hint++) {
		wire_wr w;
		fetch_with_records(&w, records, NREC, hint);
		/* the frame as a socket read would leave it: header chain, then
		 * the records in chains of their own */
		size_t at = 0;
		while (at + NREC <= w.len && memcmp(w.buf + at, records, NREC))
			at++;
		CHECK(at + NREC <= w.len);
		struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new(), *one;
		evbuffer_add(src, w.buf, at);
		one = chained(w.buf + at, NREC, 64 << 10);
		evbuffer_add_buffer(src, one);
		evbuffer_free(one);
		one = chained(w.buf + at + NREC, w.len - at - NREC, 1 << 20);
		evbuffer_add_buffer(src, one);
		evbuffer_free(one);
		struct evbuffer_iovec before[8], after[64];
		struct evbuffer_ptr p;
		evbuffer_ptr_set(src, &p, at, EVBUFFER_PTR_SET);
		int nb = evbuffer_peek(src, NREC, &p, before, 8);
		char err[300] = "";
		learned = 0;
		CHECKF(inplace_move(WIRE_API_FETCH, 16, 1, src, w.len, &hmap, dst, err,
		                    sizeof(err)) == 0,
		       "%s", err);
		int na = evbuffer_peek(dst, -1, NULL, after, 64);
		int kept = 0;
		for (int i = 0; i < nb; i++)
			for (int j = 0; j < na; j++)
				kept +=
				    before[i].iov_base == after[j].iov_base &&
				    before[i].iov_len <= after[j].iov_len; /* bytes may follow */
		CHECKF(kept == nb, "hint=%d: %d of %d record extents moved without a copy", hint,
		       kept, nb);
		CHECK(learned == hint);
		/* and the client sees the virtual broker */
		wire_arena a;
		wire_arena_init(&a, 0);
		wire_fetch_resp r;
		size_t n = evbuffer_get_length(dst);
		uint8_t *f = evbuffer_pullup(dst, -1);
		CHECK(wire_msg_decode_body(wire_msg_find(WIRE_API_FETCH, WIRE_RESPONSE), 16, f + 9,
		                           n - 9, &a, &r, err, sizeof(err)) == 0);
		CHECK(r.responses.v[0].partitions.v[0].records.len == NREC &&
		      memcmp(r.responses.v[0].partitions.v[0].records.p, records, NREC) == 0);
		CHECK(r.responses.v[0].partitions.v[1].current_leader.leader_id ==
		      (hint ? 103 : -1));
		CHECK(r.node_endpoints.n == (hint ? 1 : 0));
		if (hint)
			CHECK(r.node_endpoints.v[0].node_id == 103 &&
			      r.node_endpoints.v[0].port == 9103 &&
			      wire_str_eqc(r.node_endpoints.v[0].host, "127.0.0.1"));
		wire_arena_reset(&a);
		evbuffer_free(src);
		evbuffer_free(dst);
		wire_wr_free(&w);
	}
	free(records);
}

/* Every truncation (the size prefix still claiming the rest) fails with a
 * reason and leaves both buffers as they were. */
static void test_inplace_truncated(void)
{
	static const uint8_t records[40] = {1, 2, 3};
	wire_wr w;
	fetch_with_records(&w, records, sizeof(records), true);
	for (size_t k = 8; k < w.len; k++) {
		struct evbuffer *src = chained(w.buf, k, 5), *dst = evbuffer_new();
		char err[300] = "";
		int rc = inplace_move(WIRE_API_FETCH, 16, 1, src, k, &hmap, dst, err, sizeof(err));
		CHECKF(rc != 0 && strstr(err, "FetchResponse v16: "), "cut at %zu of %zu: rc %d %s",
		       k, w.len, rc, err);
		CHECK(evbuffer_get_length(src) == k && evbuffer_get_length(dst) == 0);
		evbuffer_free(src);
		evbuffer_free(dst);
	}
	struct evbuffer *src = chained(w.buf, w.len, 5), *dst = evbuffer_new();
	char err[300] = "";
	CHECK(inplace_move(WIRE_API_FETCH, 11, 1, src, w.len, &hmap, dst, err, sizeof(err)) != 0);
	CHECK(!inplace_handles(WIRE_API_FETCH, 11) && inplace_handles(WIRE_API_FETCH, 12) &&
	      inplace_handles(WIRE_API_PRODUCE, 10) && inplace_handles(WIRE_API_METADATA, 0) &&
	      !inplace_handles(WIRE_API_FIND_COORDINATOR, 3));
	evbuffer_free(src);
	evbuffer_free(dst);
	wire_wr_free(&w);
}

TEST_TABLE(inplace_tests) = {
    {"inplace: same bytes as the full rewrite (Metadata 0-12, Produce 10-11, Fetch 12-17)",
     test_inplace_match_full_rewrite},
    {"inplace: record batches move without a copy", test_inplace_records_not_copied},
    {"inplace: truncated responses fail cleanly", test_inplace_truncated},
    {NULL, NULL},
};
