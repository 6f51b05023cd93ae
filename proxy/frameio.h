/* Kafka frames on libevent buffers. */
#ifndef TURNOUT_PROXY_FRAMEIO_H
#define TURNOUT_PROXY_FRAMEIO_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "wire/frame.h"
#include "wire/header.h"
#include "wire/prim.h"

/* Is a whole frame buffered? Like wire_frame_check, reading only 4 bytes. */
wire_frame_status frameio_peek(struct evbuffer *in, int32_t min, int32_t max, int32_t *size,
                               const char **err);
/* Just under 64 KiB, so a chain (data plus libevent's header) is one
 * 64 KiB allocation: below glibc's mmap threshold, and reused by malloc
 * instead of faulted in afresh for every read. */
enum { FRAMEIO_READ_CHUNK = (64 << 10) - 256 };

enum { FRAMEIO_LIBEVENT_READ = 4096 }; /* libevent 2.1's most per read */

/* Bytes read from one socket per wakeup (frameio_fill), and written to one
 * per wakeup (bufferevent_set_max_single_write; libevent's default is
 * 16 KiB). */
enum { FRAMEIO_FILL_MAX = 1 << 20, FRAMEIO_WRITE_MAX = 1 << 20 };

/* Reads what the socket holds, up to about max bytes, into the input
 * buffer of a plain socket bufferevent (never a TLS or filter one), in
 * FRAMEIO_READ_CHUNK pieces. libevent 2.1 reads at most 4 KiB per wakeup
 * plus an ioctl(FIONREAD) each time; a read callback calls this first
 * thing, so a busy connection costs one readv per ~64 KiB instead, and a
 * quiet one nothing more. Returns bytes read. */
size_t frameio_fill(struct bufferevent *bev, size_t max);
/* Writes up to max bytes of a plain socket bufferevent's output now, instead
 * of on the next loop turn after epoll says the socket is writable: the
 * caller keeps EV_WRITE disabled while the output is empty and enables it
 * only when this returns 1 (bytes left that the socket would not take).
 * Returns 0 when the output is empty, -1 on a socket error. */
int frameio_write(struct bufferevent *bev, size_t max);

/*
 * Keeps freed buffer memory in the process (up to FRAMEIO_TRIM_THRESHOLD)
 * instead of glibc's default of returning it once 128 KiB at the top of the
 * heap are free. A proxy that buffers a 1 MiB request, forwards it and frees
 * it would otherwise shrink and regrow its heap on every request, and every
 * page it gets back is faulted in and zeroed again (measured: a third of
 * turnout's CPU time). Idempotent; called before the first client's
 * buffers are allocated.
 */
enum { FRAMEIO_TRIM_THRESHOLD = 16 << 20 };
void frameio_malloc_policy(void);

/* Appends a writer's bytes (referenced ranges included) as one frame. */
int frameio_put(struct evbuffer *out, const wire_wr *w);

/* Encodes a whole request frame into w: size, header h (h->version must be
 * set), and body, a message of h's api at h's version. */
int frameio_encode_request(wire_wr *w, const wire_req_header *h, const void *body);

/* Decodes a whole response frame (size prefix included) of api at version
 * into out, that api's response message, leniently (fields a newer broker
 * added are skipped); strings point into frame or a. -1 if it is not one. */
int frameio_decode_response(int16_t api, int16_t version, const uint8_t *frame, size_t len,
                            wire_arena *a, void *out);

/*
 * A reader over one frame where it lies in an evbuffer, across chain
 * boundaries, without linearising it: skipping n bytes touches none of
 * them. put() overwrites bytes in place (the chains are the buffer's own
 * memory, filled by socket reads). Every call fails once the frame's end
 * would be passed; err says what went wrong first.
 */
typedef struct frameio_rd {
	struct evbuffer_iovec *v; /* the frame's extents */
	int nv;
	int i;           /* current extent */
	size_t off;      /* offset inside extent i */
	size_t pos;      /* offset from the frame's start */
	size_t len;      /* frame length */
	const char *err; /* first failure, NULL while fine */
	struct evbuffer_iovec inline_v[16];
} frameio_rd;

/* A position to come back to (frameio_rd_put_at). */
typedef struct frameio_mark {
	int i;
	size_t off, pos;
} frameio_mark;

/* The first len bytes of b (b must hold them). -1 if out of memory. */
int frameio_rd_init(frameio_rd *r, struct evbuffer *b, size_t len);
void frameio_rd_free(frameio_rd *r);
int frameio_rd_copy(frameio_rd *r, void *out, size_t n);
int frameio_rd_skip(frameio_rd *r, size_t n);
int frameio_rd_put(frameio_rd *r, const void *in, size_t n);
static inline frameio_mark frameio_rd_tell(const frameio_rd *r)
{
	return (frameio_mark){r->i, r->off, r->pos};
}
/* Overwrites n bytes at m (already read), leaving the position as it is. */
int frameio_rd_put_at(frameio_rd *r, frameio_mark m, const void *in, size_t n);
/* Reads an int32 and writes fn(ctx, value) in its place. */
int frameio_rd_map32(frameio_rd *r, int32_t (*fn)(void *ctx, int32_t v), void *ctx);
int frameio_rd_int16(frameio_rd *r, int16_t *v);
int frameio_rd_int32(frameio_rd *r, int32_t *v);
int frameio_rd_uvarint(frameio_rd *r, uint32_t *v);
static inline size_t frameio_rd_left(const frameio_rd *r)
{
	return r->len - r->pos;
}

#endif
