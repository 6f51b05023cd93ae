/* Kafka frames on libevent buffers. */
#ifndef TURNOUT_PROXY_FRAMEIO_H
#define TURNOUT_PROXY_FRAMEIO_H

#include <event2/buffer.h>

#include "wire/frame.h"
#include "wire/header.h"
#include "wire/prim.h"

/* Is a whole frame buffered? Like wire_frame_check, reading only 4 bytes. */
wire_frame_status frameio_peek(struct evbuffer *in, int32_t min, int32_t max, int32_t *size,
                               const char **err);
/* Appends a writer's bytes (referenced ranges included) as one frame. */
int frameio_put(struct evbuffer *out, const wire_wr *w);

/* Encodes a whole request frame into w: size, header h (h->version must be
 * set), and body, a message of h's api at h's version. */
int frameio_encode_request(wire_wr *w, const wire_req_header *h, const void *body);

#endif
