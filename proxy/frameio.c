/*
 * The bridge between libevent buffers and the codec: peek at the size field
 * without linearising the buffer, append encoded messages, and read sockets
 * in large pieces.
 */
#include "proxy/frameio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "wire/api.h"
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

int frameio_write(struct bufferevent *bev, size_t max)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	if (!evbuffer_get_length(out))
		return 0;
	if (fd < 0)
		return 1;
	/* libevent freezes the front of a socket bufferevent's output and thaws
	 * it only around its own writes; this is such a write. */
	evbuffer_unfreeze(out, 1);
	int n = evbuffer_write_atmost(out, fd, (ev_ssize_t)max);
	int e = errno;
	evbuffer_freeze(out, 1);
	if (n < 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR)
		return -1;
	return evbuffer_get_length(out) ? 1 : 0;
}

void frameio_malloc_policy(void)
{
#ifdef __GLIBC__
	static int done;
	if (!done && mallopt(M_TRIM_THRESHOLD, FRAMEIO_TRIM_THRESHOLD) != 1)
		return; /* glibc refused: the default stays, slower but correct */
	done = 1;
#endif
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

size_t frameio_fill(struct bufferevent *bev, size_t max)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	size_t got = 0;
	/* libevent has just read min(bytes waiting, 4 KiB): less than that
	 * buffered means the socket is empty, and a read would only say EAGAIN
	 * (one wasted system call per small request). */
	if (evbuffer_get_length(in) < FRAMEIO_LIBEVENT_READ)
		return 0;
	/* A socket bufferevent freezes the end of its input buffer and thaws
	 * it only around its own reads; this is such a read. */
	evbuffer_unfreeze(in, 0);
	while (fd >= 0 && got < max) {
		struct evbuffer_iovec v[2];
		int nv = evbuffer_reserve_space(in, FRAMEIO_READ_CHUNK, v, 2);
		if (nv <= 0)
			break;
		ssize_t n = readv(fd, (struct iovec *)v, nv);
		if (n <= 0) {
			/* EOF and errors are left for the bufferevent's next read, which
			 * reports them through the event callback as usual. */
			evbuffer_commit_space(in, v, 0);
			break;
		}
		size_t want = 0, left = (size_t)n;
		for (int i = 0; i < nv; i++) {
			want += v[i].iov_len;
			if (v[i].iov_len > left)
				v[i].iov_len = left;
			left -= v[i].iov_len;
		}
		evbuffer_commit_space(in, v, nv);
		got += (size_t)n;
		if ((size_t)n < want)
			break; /* the socket is drained */
	}
	evbuffer_freeze(in, 0);
	return got;
}

int frameio_rd_init(frameio_rd *r, struct evbuffer *b, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->len = len;
	r->v = r->inline_v;
	int n = evbuffer_peek(b, (ev_ssize_t)len, NULL, r->v, 16);
	if (n > 16) {
		r->v = calloc((size_t)n, sizeof(*r->v));
		if (!r->v) {
			r->v = r->inline_v;
			return -1;
		}
		n = evbuffer_peek(b, (ev_ssize_t)len, NULL, r->v, n);
	}
	r->nv = n < 0 ? 0 : n;
	return 0;
}

void frameio_rd_free(frameio_rd *r)
{
	if (r->v != r->inline_v)
		free(r->v);
	r->v = r->inline_v;
}

/* Walks n bytes; copies them out, in, or nowhere. */
static int walk(frameio_rd *r, uint8_t *out, const uint8_t *in, size_t n)
{
	if (r->err)
		return -1;
	if (n > r->len - r->pos) {
		r->err = "truncated response";
		return -1;
	}
	r->pos += n;
	while (n) {
		if (r->i >= r->nv) {
			r->err = "frame shorter than its size";
			return -1;
		}
		size_t here = r->v[r->i].iov_len - r->off;
		if (here > n)
			here = n;
		uint8_t *p = (uint8_t *)r->v[r->i].iov_base + r->off;
		if (out) {
			memcpy(out, p, here);
			out += here;
		} else if (in) {
			memcpy(p, in, here);
			in += here;
		}
		n -= here;
		r->off += here;
		if (r->off == r->v[r->i].iov_len) {
			r->i++;
			r->off = 0;
		}
	}
	return 0;
}

int frameio_rd_copy(frameio_rd *r, void *out, size_t n)
{
	return walk(r, out, NULL, n);
}

int frameio_rd_skip(frameio_rd *r, size_t n)
{
	return walk(r, NULL, NULL, n);
}

int frameio_rd_put(frameio_rd *r, const void *in, size_t n)
{
	return walk(r, NULL, in, n);
}

int frameio_rd_put_at(frameio_rd *r, frameio_mark m, const void *in, size_t n)
{
	frameio_mark here = frameio_rd_tell(r);
	if (m.pos + n > here.pos)
		return -1;
	r->i = m.i;
	r->off = m.off;
	r->pos = m.pos;
	int rc = walk(r, NULL, in, n);
	r->i = here.i;
	r->off = here.off;
	r->pos = here.pos;
	return rc;
}

int frameio_rd_map32(frameio_rd *r, int32_t (*fn)(void *ctx, int32_t v), void *ctx)
{
	uint8_t b[4];
	if (!r->err && r->i < r->nv && r->v[r->i].iov_len - r->off > 4 && r->len - r->pos >= 4) {
		/* the common case: inside one extent, rewritten where it lies */
		uint8_t *p = (uint8_t *)r->v[r->i].iov_base + r->off;
		uint32_t v = fn(ctx, (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		                               (uint32_t)p[2] << 8 | p[3]));
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
		r->off += 4;
		r->pos += 4;
		return 0;
	}
	frameio_mark at = frameio_rd_tell(r);
	if (walk(r, b, NULL, 4))
		return -1;
	uint32_t v = fn(ctx, (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	                               (uint32_t)b[2] << 8 | b[3]));
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	return frameio_rd_put_at(r, at, b, 4);
}

int frameio_rd_int16(frameio_rd *r, int16_t *v)
{
	uint8_t b[2];
	if (walk(r, b, NULL, 2))
		return -1;
	*v = (int16_t)((uint16_t)b[0] << 8 | b[1]);
	return 0;
}

int frameio_rd_int32(frameio_rd *r, int32_t *v)
{
	uint8_t b[4];
	if (walk(r, b, NULL, 4))
		return -1;
	*v = (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
	return 0;
}

int frameio_rd_uvarint(frameio_rd *r, uint32_t *v)
{
	uint32_t x = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;
		if (walk(r, &b, NULL, 1))
			return -1;
		if (shift == 28 && b > 0x0f)
			break;
		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	r->err = "bad varint";
	return -1;
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

int frameio_decode_response(int16_t api, int16_t version, const uint8_t *frame, size_t len,
                            wire_arena *a, void *out)
{
	const wire_msg_type *t = wire_msg_find(api, WIRE_RESPONSE);
	if (!t || !frame || len < 4)
		return -1;
	wire_rd r;
	wire_rd_init(&r, frame + 4, len - 4);
	wire_resp_header h;
	char err[200];
	size_t trailing;
	if (wire_resp_header_decode(&r, wire_resp_header_version(api, version), a, &h) ||
	    wire_msg_decode_lenient(t, version, frame + 4 + r.pos, len - 4 - r.pos, a, out,
	                            &trailing, err, sizeof(err)))
		return -1;
	return 0;
}
