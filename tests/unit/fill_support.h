/* Deterministic random values for the generated message fillers (tests only). */
#ifndef TURNOUT_TESTS_FILL_SUPPORT_H
#define TURNOUT_TESTS_FILL_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/arena.h"
#include "wire/prim.h"

typedef struct wire_rng {
	uint64_t s; /* xorshift64* state, never 0 */
} wire_rng;

typedef struct wire_msg_test_ops {
	void (*fill)(void *m, int16_t v, wire_rng *g, wire_arena *a);
	bool (*equal)(const void *x, const void *y, int16_t v);
} wire_msg_test_ops;

void wire_rng_seed(wire_rng *g, uint64_t seed);
uint32_t wire_rng_next(wire_rng *g);
uint64_t wire_rng_next64(wire_rng *g);
/* Strings of 0..7 letters, sometimes null when nullable. */
wire_str wire_fill_str(wire_rng *g, wire_arena *a, bool nullable);
wire_bytes wire_fill_bytes(wire_rng *g, wire_arena *a, bool nullable);
void wire_fill_uuid(wire_rng *g, wire_uuid *u);
/* Array length 0..2 (smaller when deep), -1 sometimes when nullable. */
int32_t wire_fill_count(wire_rng *g, bool nullable, int depth);
/* Zero to two unknown tagged fields numbered from first_tag upwards. */
void wire_fill_unknown_tags(wire_rng *g, wire_arena *a, wire_tags *t, uint32_t first_tag);

#endif
