/*
 * The bridge between libevent buffers and the codec: peek at the size field
 * without linearising the buffer, append encoded messages, and read sockets
 * in large pieces.
 */
#include "proxy/frameio.h"

#include <sys/uio.h>

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

size_t frameio_fill(struct bufferevent *bev, size_t max)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	size_t got = 0;
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
