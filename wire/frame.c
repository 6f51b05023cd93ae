/*
 * Framing. A frame is an int32 size followed by that many bytes. The size is
 * the one number a peer can use to make us buffer without bound, so it is
 * checked against a configured maximum before anything is read or allocated.
 */
#include "wire/frame.h"

wire_frame_status wire_frame_check(const uint8_t *p, size_t avail, int32_t min_size,
                                   int32_t max_size, int32_t *size, const char **err)
{
	*size = -1;
	*err = NULL;
	if (avail < 4)
		return WIRE_FRAME_NEED;
	int32_t n = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	                      (uint32_t)p[3]);
	*size = n; /* also on error, so the caller can log the value */
	if (n < 0) {
		*err = "frame size is negative";
		return WIRE_FRAME_ERROR;
	}
	if (n > max_size) {
		*err = "frame size exceeds the configured maximum";
		return WIRE_FRAME_ERROR;
	}
	if (n < min_size) {
		*err = "frame is shorter than a header";
		return WIRE_FRAME_ERROR;
	}
	return avail - 4 >= (size_t)n ? WIRE_FRAME_READY : WIRE_FRAME_NEED;
}
