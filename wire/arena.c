/*
 * Arena allocator. A decoded message is a tree of small structs and arrays;
 * giving them one arena means the message has one owner and one free, and
 * the decoder cannot leak half-built trees when input turns out malformed.
 * The limit bounds what hostile input can make us allocate.
 */
#include "wire/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wire_arena_chunk {
	wire_arena_chunk *next; /* older chunk */
	size_t cap;             /* bytes in data[] */
	size_t pos;             /* bytes of data[] handed out */
	_Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_CHUNK = 4096 };

void wire_arena_init(wire_arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->limit = limit ? limit : WIRE_ARENA_DEFAULT_LIMIT;
}

void *wire_arena_alloc(wire_arena *a, size_t size)
{
	size_t need = (size + 7u) & ~(size_t)7u;
	if (need < size)
		return NULL;
	wire_arena_chunk *c = a->head;
	if (!c || c->cap - c->pos < need) {
		size_t room = a->limit - a->used; /* used never exceeds limit */
		if (room < sizeof(*c) || room - sizeof(*c) < need)
			return NULL;
		size_t cap = need > ARENA_MIN_CHUNK ? need : ARENA_MIN_CHUNK;
		if (c && cap < c->cap * 2 && c->cap * 2 <= (1u << 20))
			cap = c->cap * 2; /* fewer mallocs for big messages */
		if (cap > room - sizeof(*c))
			cap = room - sizeof(*c);
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->cap = cap;
		c->pos = 0;
		a->head = c;
		a->used += sizeof(*c) + cap;
	}
	void *p = c->data + c->pos;
	c->pos += need;
	memset(p, 0, need);
	return p;
}

void *wire_arena_calloc(wire_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return wire_arena_alloc(a, n * size);
}

void *wire_arena_memdup(wire_arena *a, const void *p, size_t n)
{
	void *d = wire_arena_alloc(a, n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

void wire_arena_reset(wire_arena *a)
{
	wire_arena_chunk *c = a->head;
	while (c) {
		wire_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
