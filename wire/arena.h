/* Arena allocator for decoded messages: one owner frees everything at once. */
#ifndef TURNOUT_WIRE_ARENA_H
#define TURNOUT_WIRE_ARENA_H

#include <stddef.h>

typedef struct wire_arena_chunk wire_arena_chunk;

typedef struct wire_arena {
	wire_arena_chunk *head; /* newest chunk first; older chunks are full */
	size_t used;            /* bytes handed out plus chunk overhead */
	size_t limit;           /* allocations fail once used would pass this */
} wire_arena;

/* limit 0 means WIRE_ARENA_DEFAULT_LIMIT. */
#define WIRE_ARENA_DEFAULT_LIMIT (64u << 20)

void wire_arena_init(wire_arena *a, size_t limit);
/* Zeroed, 8-byte aligned memory, or NULL when over the limit or out of memory. */
void *wire_arena_alloc(wire_arena *a, size_t size);
/* n * size with overflow check. */
void *wire_arena_calloc(wire_arena *a, size_t n, size_t size);
void *wire_arena_memdup(wire_arena *a, const void *p, size_t n);
/* Frees every chunk; the arena can be reused afterwards. */
void wire_arena_reset(wire_arena *a);

#endif
