/*
 * Random but reproducible field values for round-trip tests: every message x
 * version is filled from a seeded generator, so a failure names a seed that
 * reproduces it.
 */
#include "tests/unit/fill_support.h"

#include <stdlib.h>

void wire_rng_seed(wire_rng *g, uint64_t seed)
{
	g->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t wire_rng_next64(wire_rng *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dull;
}

uint32_t wire_rng_next(wire_rng *g)
{
	return (uint32_t)(wire_rng_next64(g) >> 32);
}

static void *must(void *p)
{
	if (!p)
		abort();
	return p;
}

wire_str wire_fill_str(wire_rng *g, wire_arena *a, bool nullable)
{
	if (nullable && wire_rng_next(g) % 4 == 0)
		return wire_str_null();
	int32_t n = (int32_t)(wire_rng_next(g) % 8);
	char *s = must(wire_arena_alloc(a, (size_t)n + 1));
	for (int32_t i = 0; i < n; i++)
		s[i] = (char)('a' + wire_rng_next(g) % 26);
	return (wire_str){s, n};
}

wire_bytes wire_fill_bytes(wire_rng *g, wire_arena *a, bool nullable)
{
	if (nullable && wire_rng_next(g) % 4 == 0)
		return (wire_bytes){NULL, -1};
	int32_t n = (int32_t)(wire_rng_next(g) % 12);
	uint8_t *b = must(wire_arena_alloc(a, (size_t)n + 1));
	for (int32_t i = 0; i < n; i++)
		b[i] = (uint8_t)wire_rng_next(g);
	return (wire_bytes){b, n};
}

void wire_fill_uuid(wire_rng *g, wire_uuid *u)
{
	for (int i = 0; i < 16; i++)
		u->b[i] = (uint8_t)wire_rng_next(g);
}

int32_t wire_fill_count(wire_rng *g, bool nullable, int depth)
{
	if (nullable && wire_rng_next(g) % 4 == 0)
		return -1;
	return (int32_t)(wire_rng_next(g) % (depth > 2 ? 2 : 3));
}

void wire_fill_unknown_tags(wire_rng *g, wire_arena *a, wire_tags *t, uint32_t first_tag)
{
	uint32_t n = wire_rng_next(g) % 3;
	t->n = 0;
	t->v = NULL;
	if (!n)
		return;
	t->v = must(wire_arena_calloc(a, n, sizeof(*t->v)));
	uint32_t tag = first_tag;
	for (uint32_t i = 0; i < n; i++) {
		tag += wire_rng_next(g) % 200;
		t->v[i].tag = tag++;
		t->v[i].data = wire_fill_bytes(g, a, false);
	}
	t->n = n;
}
