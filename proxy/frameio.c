/*
 * The bridge between libevent buffers and the codec: peek at the size field
 * without linearising the buffer, and append encoded messages.
 */
#include "proxy/frameio.h"

#include "wire/msg.h"

wire_frame_status frameio_peek(struct evbuffer *in, int32_t min, int32_t max, int32_t *size,
                               const char **err)
{
	uint8_t hdr[4];
	size_t avail = evbuffer_get_length(in);
	*size = -1;
	*err = NULL;
	if (avail < 4)
		return WIRE_FRAME_NEED;
	if (evbuffer_copyout(in, hdr, 4) != 4)
		return WIRE_FRAME_NEED;
	wire_frame_status st = wire_frame_check(hdr, 4, min, max, size, err);
	if (st == WIRE_FRAME_ERROR)
		return st;
	return avail - 4 >= (size_t)*size ? WIRE_FRAME_READY : WIRE_FRAME_NEED;
}

int frameio_put(struct evbuffer *out, const wire_wr *w)
{
	size_t src = 0;
	for (size_t i = 0; i < w->nrefs; i++) {
		const wire_ref *r = &w->refs[i];
		if (evbuffer_add(out, w->buf + src, r->at - src) || evbuffer_add(out, r->p, r->len))
			return -1;
		src = r->at;
	}
	return evbuffer_add(out, w->buf + src, w->len - src);
}

int frameio_encode_request(wire_wr *w, const wire_req_header *h, const void *body)
{
	const wire_msg_type *t = wire_msg_find(h->api_key, WIRE_REQUEST);
	if (!t || wire_wr_int32(w, 0) || wire_req_header_encode(w, h) ||
	    t->encode(w, h->api_version, body))
		return -1;
	wire_wr_put_int32_at(w, 0, (int32_t)(wire_wr_size(w) - 4));
	return 0;
}
