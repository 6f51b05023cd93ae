/* libFuzzer target: frame sizes and request/response headers on raw bytes. */
#include <stdlib.h>

#include "wire/frame.h"
#include "wire/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t n;
	const char *err;
	wire_frame_status st =
	    wire_frame_check(data, size, WIRE_MIN_REQUEST_FRAME, 1 << 20, &n, &err);
	if (st == WIRE_FRAME_ERROR && !err)
		abort();
	if (st == WIRE_FRAME_READY && (n < 0 || (size_t)n > size - 4))
		abort();
	if (size < 4)
		return 0;
	/* the rest as a request header, then as response headers */
	wire_arena a;
	wire_arena_init(&a, 1u << 20);
	wire_rd r;
	wire_rd_init(&r, data + 4, size - 4);
	wire_req_header h;
	if (wire_req_header_decode(&r, &a, &h) == 0) {
		wire_wr w;
		wire_wr_init(&w, false);
		if (wire_req_header_encode(&w, &h) != 0)
			abort();
		wire_rd r2;
		wire_req_header h2;
		wire_rd_init(&r2, w.buf, w.len);
		if (wire_req_header_decode(&r2, &a, &h2) != 0 || r2.pos != w.len ||
		    h2.correlation_id != h.correlation_id ||
		    !wire_str_eq(h.client_id, h2.client_id) || !wire_tags_eq(&h.tags, &h2.tags))
			abort();
		wire_wr_free(&w);
	} else if (!r.err) {
		abort();
	}
	for (int version = 0; version <= 1; version++) {
		wire_resp_header rh;
		wire_rd_init(&r, data, size);
		if (wire_resp_header_decode(&r, version, &a, &rh) != 0 && !r.err)
			abort();
	}
	wire_arena_reset(&a);
	return 0;
}
