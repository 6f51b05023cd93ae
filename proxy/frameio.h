/* Kafka frames on libevent buffers. */
#ifndef TURNOUT_PROXY_FRAMEIO_H
#define TURNOUT_PROXY_FRAMEIO_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "wire/frame.h"
#include "wire/prim.h"

/* Is a whole frame buffered? Like wire_frame_check, reading only 4 bytes. */
wire_frame_status frameio_peek(struct evbuffer *in, int32_t min, int32_t max, int32_t *size,
                               const char **err);
/* Just under 64 KiB, so a chain (data plus libevent's header) is one
 * 64 KiB allocation: below glibc's mmap threshold, and reused by malloc
 * instead of faulted in afresh for every read. */
enum { FRAMEIO_READ_CHUNK = (64 << 10) - 256 };

/* Reads what the socket holds, up to about max bytes, into the input
 * buffer of a plain socket bufferevent (never a TLS or filter one), in
 * FRAMEIO_READ_CHUNK pieces. libevent 2.1 reads at most 4 KiB per wakeup
 * plus an ioctl(FIONREAD) each time; a read callback calls this first so
 * a busy connection costs one readv per ~64 KiB instead. Returns bytes read. */
size_t frameio_fill(struct bufferevent *bev, size_t max);
/* Appends a writer's bytes (referenced ranges included) as one frame. */
int frameio_put(struct evbuffer *out, const wire_wr *w);

#endif
