/* Size-prefixed Kafka frames. */
#ifndef TURNOUT_WIRE_FRAME_H
#define TURNOUT_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Smallest legal bodies: a request header v0 (api key, version, correlation
 * id) and a response header v0 (correlation id). */
#define WIRE_MIN_REQUEST_FRAME  8
#define WIRE_MIN_RESPONSE_FRAME 4
/* Default cap on one frame; brokers default socket.request.max.bytes to 100 MiB. */
#define WIRE_DEFAULT_MAX_FRAME (100 * 1024 * 1024)

typedef enum wire_frame_status {
	WIRE_FRAME_ERROR = -1, /* size field is invalid; close the connection */
	WIRE_FRAME_NEED = 0,   /* not enough bytes yet */
	WIRE_FRAME_READY = 1,  /* a whole frame of 4 + *size bytes is available */
} wire_frame_status;

/*
 * Looks at the first bytes of a stream. avail is how many are buffered.
 * Once 4 bytes are there, *size holds the announced body length (also on
 * ERROR, for the log line) and on ERROR *err says what is wrong with it.
 */
wire_frame_status wire_frame_check(const uint8_t *p, size_t avail, int32_t min_size,
                                   int32_t max_size, int32_t *size, const char **err);

#endif
