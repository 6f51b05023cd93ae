/*
 * libFuzzer target for the messages of one schema file (FUZZ_SCHEMA, set by
 * the Makefile: one binary per decoder). Input: byte 0 picks the message
 * (request/response), byte 1 the version, the rest is the body.
 *
 * Beyond "no crash": whatever decodes must encode, and the encoding must
 * decode again to something that encodes to the very same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/msg.h"
#include "wire_msgs.h"

#ifndef FUZZ_SCHEMA
#error "FUZZ_SCHEMA must name a schema file stem"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const wire_msg_type *pick(uint8_t which)
{
	const wire_msg_type *found[4];
	size_t n = 0;
	for (size_t i = 0; i < wire_msg_type_count && n < 4; i++)
		if (strcmp(wire_msg_types[i].schema, FUZZ_SCHEMA) == 0)
			found[n++] = &wire_msg_types[i];
	if (!n)
		abort();
	return found[which % n];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const wire_msg_type *t = pick(data[0]);
	int16_t span = (int16_t)(t->max_version - t->min_version + 1);
	int16_t v = (int16_t)(t->min_version + data[1] % span);
	wire_arena a;
	wire_arena_init(&a, 1u << 24);
	void *m = calloc(1, t->size), *m2 = calloc(1, t->size);
	if (!m || !m2)
		abort();
	char err[256];
	wire_wr w1, w2;
	wire_wr_init(&w1, false);
	wire_wr_init(&w2, false);
	if (wire_msg_decode_body(t, v, data + 2, size - 2, &a, m, err, sizeof(err)) == 0) {
		if (t->encode(&w1, v, m) != 0)
			abort(); /* decoded but not encodable */
		if (wire_msg_decode_body(t, v, w1.buf, w1.len, &a, m2, err, sizeof(err)) != 0)
			abort(); /* our own encoding does not decode */
		if (t->encode(&w2, v, m2) != 0 || w1.len != w2.len ||
		    (w1.len && memcmp(w1.buf, w2.buf, w1.len) != 0))
			abort(); /* not a fixed point */
	} else if (err[0] == '\0') {
		abort(); /* every failure must say why */
	}
	wire_wr_free(&w1);
	wire_wr_free(&w2);
	free(m);
	free(m2);
	wire_arena_reset(&a);
	return 0;
}
