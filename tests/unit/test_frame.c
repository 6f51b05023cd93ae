/* Frame size checks: negative, oversized and too-short sizes are errors. */
#include <string.h>

#include "tests/unit/check.h"
#include "wire/frame.h"

static wire_frame_status check(const uint8_t *p, size_t n, int32_t *size, const char **err)
{
	return wire_frame_check(p, n, WIRE_MIN_REQUEST_FRAME, 1024, size, err);
}

static void test_frame_sizes(void)
{
	int32_t size;
	const char *err;
	static const uint8_t ok[12] = {0, 0, 0, 8};
	CHECK(check(ok, 0, &size, &err) == WIRE_FRAME_NEED);
	CHECK(check(ok, 3, &size, &err) == WIRE_FRAME_NEED);
	CHECK(check(ok, 4, &size, &err) == WIRE_FRAME_NEED && size == 8);
	CHECK(check(ok, 11, &size, &err) == WIRE_FRAME_NEED);
	CHECK(check(ok, 12, &size, &err) == WIRE_FRAME_READY && size == 8);

	static const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfb};
	CHECK(check(neg, 4, &size, &err) == WIRE_FRAME_ERROR && size == -5 &&
	      strstr(err, "negative"));
	static const uint8_t big[] = {0x00, 0x00, 0x04, 0x01};
	CHECK(check(big, 4, &size, &err) == WIRE_FRAME_ERROR && size == 1025 &&
	      strstr(err, "maximum"));
	static const uint8_t small[] = {0x00, 0x00, 0x00, 0x07};
	CHECK(check(small, 4, &size, &err) == WIRE_FRAME_ERROR && strstr(err, "shorter"));
	static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff};
	CHECK(wire_frame_check(huge, 4, 4, WIRE_DEFAULT_MAX_FRAME, &size, &err) ==
	      WIRE_FRAME_ERROR);
}

TEST_TABLE(frame_tests) = {
    {"frame sizes", test_frame_sizes},
    {NULL, NULL},
};
