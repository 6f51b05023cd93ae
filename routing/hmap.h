/*
 * A small hash map from byte-string keys to pointers: open addressing,
 * linear probing, no deletion (the MM2 stores only grow or overwrite).
 * Not thread-safe; mm2_store.c locks around it.
 */
#ifndef TURNOUT_ROUTING_HMAP_H
#define TURNOUT_ROUTING_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap_slot {
	char *key; /* owned copy; NULL = empty slot */
	size_t klen;
	uint64_t hash;
	void *val;
} hmap_slot;

typedef struct hmap {
	hmap_slot *slots;
	size_t cap; /* power of two, 0 before the first put */
	size_t n;
} hmap;

void hmap_init(hmap *m);
void *hmap_get(const hmap *m, const void *key, size_t klen);
/* Inserts or replaces; on replace *old (if given) gets the previous value.
 * Returns 0, or -1 when out of memory (the map is unchanged). */
int hmap_put(hmap *m, const void *key, size_t klen, void *val, void **old);
/* Iteration: start with *it = 0; returns 0 at the end. */
int hmap_next(const hmap *m, size_t *it, const char **key, size_t *klen, void **val);
/* Frees keys and, with free_val, the values. */
void hmap_free(hmap *m, void (*free_val)(void *));

#endif
