/*
 * libFuzzer target for proxy/inplace.c, differential against rewrite.c.
 * Input: byte 0 = api key (0 Produce, 1 Fetch, 3 Metadata), byte 1 =
 * version, byte 2 = chain size, the rest = response body. The body is
 * framed (size, correlation id, header tags when flexible), split into
 * libevent chains and walked in place; the same frame goes through the
 * decode-and-re-encode path.
 *
 * Beyond "no crash": when the full path accepts the response, the walk
 * must too, and both results must decode to equal messages; a walk that
 * fails leaves its source buffer's length as it was.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/inplace.h"
#include "wire/api.h"
#include "wire/header.h"
#include "wire_msgs_fill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int32_t f_vid(void *ctx, int cluster, int32_t id)
{
	(void)ctx;
	return id % 1000 + 100 * cluster + 1;
}
static void f_learn(void *ctx, int cluster, int32_t id, wire_str host, int32_t port)
{
	(void)ctx;
	(void)cluster;
	(void)id;
	(void)host;
	(void)port;
}
static int f_adv(void *ctx, int32_t vid, wire_str *host, int32_t *port)
{
	(void)ctx;
	*host = wire_str_c("127.0.0.1");
	*port = 9000 + vid;
	return vid == 777 ? -1 : 0; /* one broker without a listener */
}
static const rewrite_map fmap = {NULL, f_vid, f_learn, f_adv};

/* Decodes a frame's body (after hlen header bytes); *trail gets the bytes
 * after it. */
static int decode(const wire_msg_type *t, int16_t v, size_t hlen, const uint8_t *f, size_t len,
                  wire_arena *a, void *m, size_t *trail)
{
	char err[256];
	return len < hlen ? -1
	                  : wire_msg_decode_lenient(t, v, f + hlen, len - hlen, a, m, trail, err,
	                                            sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	int16_t api = data[0], v = data[1];
	if (!inplace_handles(api, v))
		return 0;
	size_t piece = data[2] ? data[2] : 1;
	size_t hlen = wire_resp_header_version(api, v) >= 1 ? 9 : 8; /* + header tags */
	size_t len = size - 3 + hlen;
	uint8_t *f = malloc(len);
	if (!f)
		abort();
	uint32_t n = (uint32_t)(len - 4);
	uint8_t hdr[9] = {
	    (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, 0, 0, 0, 42, 0};
	memcpy(f, hdr, hlen);
	memcpy(f + hlen, data + 3, size - 3);

	/* the full path, as client.c runs it for other apis */
	const wire_msg_type *t = wire_msg_find(api, WIRE_RESPONSE);
	wire_arena a;
	wire_arena_init(&a, 1u << 24);
	wire_wr full;
	wire_wr_init(&full, true);
	char err[300];
	int full_rc =
	    wire_wr_int32(&full, 0) || wire_wr_raw(&full, f + 4, hlen - 4) ||
	    rewrite_response(api, v, 1, f + hlen, len - hlen, &fmap, &full, err, sizeof(err)) ||
	    wire_wr_flatten(&full);
	if (!full_rc)
		wire_wr_put_int32_at(&full, 0, (int32_t)(full.len - 4));

	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
	for (size_t at = 0; at < len; at += piece) {
		struct evbuffer *one = evbuffer_new();
		if (!one || evbuffer_add(one, f + at, len - at < piece ? len - at : piece) ||
		    evbuffer_add_buffer(src, one))
			abort();
		evbuffer_free(one);
	}
	int rc = inplace_move(api, v, 1, src, len, &fmap, dst, err, sizeof(err));
	if (rc && (evbuffer_get_length(src) != len || evbuffer_get_length(dst) != 0 || !err[0]))
		abort(); /* a failed walk moves nothing and says why */
	if (!full_rc && rc) {
		fprintf(stderr, "walk rejected what the codec accepts: %s\n", err);
		abort();
	}
	if (!full_rc && !rc) {
		size_t got = evbuffer_get_length(dst);
		const uint8_t *g = evbuffer_pullup(dst, -1);
		void *m1 = calloc(1, t->size), *m2 = calloc(1, t->size);
		size_t trail1, trail2;
		if (!m1 || !m2)
			abort();
		if (decode(t, v, hlen, full.buf, full.len, &a, m1, &trail1) ||
		    decode(t, v, hlen, g, got, &a, m2, &trail2))
			abort(); /* rewritten responses must decode */
		if (!wire_msg_test_ops_table[t - wire_msg_types].equal(m1, m2, v) ||
		    trail1 != trail2 ||
		    memcmp(full.buf + full.len - trail1, g + got - trail2, trail1) != 0)
			abort(); /* the two paths disagree */
		free(m1);
		free(m2);
	}
	evbuffer_free(src);
	evbuffer_free(dst);
	wire_wr_free(&full);
	wire_arena_reset(&a);
	free(f);
	return 0;
}
