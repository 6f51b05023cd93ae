/*
 * Open-addressing hash map (FNV-1a, linear probing, load <= 1/2). Keys are
 * copied on insert and owned by the map; values belong to the caller unless
 * hmap_free is given a destructor.
 */
#include "routing/hmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hmap_hash(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < klen; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void hmap_init(hmap *m)
{
	memset(m, 0, sizeof(*m));
}

static hmap_slot *hmap_find(const hmap *m, const void *key, size_t klen, uint64_t h)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		hmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
			return s;
	}
}

void *hmap_get(const hmap *m, const void *key, size_t klen)
{
	hmap_slot *s = hmap_find(m, key, klen, hmap_hash(key, klen));
	return s && s->key ? s->val : NULL;
}

static int hmap_grow(hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	hmap_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		hmap_slot *o = &m->slots[i];
		if (!o->key)
			continue;
		size_t j = o->hash & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *o;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int hmap_put(hmap *m, const void *key, size_t klen, void *val, void **old)
{
	uint64_t h = hmap_hash(key, klen);
	hmap_slot *s = hmap_find(m, key, klen, h);
	if (s && s->key) {
		if (old)
			*old = s->val;
		s->val = val;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap) {
		if (hmap_grow(m))
			return -1;
		s = hmap_find(m, key, klen, h);
	}
	char *copy = malloc(klen ? klen : 1);
	if (!copy)
		return -1;
	if (klen)
		memcpy(copy, key, klen);
	*s = (hmap_slot){copy, klen, h, val};
	m->n++;
	if (old)
		*old = NULL;
	return 0;
}

int hmap_next(const hmap *m, size_t *it, const char **key, size_t *klen, void **val)
{
	while (*it < m->cap) {
		hmap_slot *s = &m->slots[(*it)++];
		if (s->key) {
			*key = s->key;
			*klen = s->klen;
			*val = s->val;
			return 1;
		}
	}
	return 0;
}

void hmap_free(hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			free(m->slots[i].key);
			if (free_val)
				free_val(m->slots[i].val);
		}
	free(m->slots);
	hmap_init(m);
}
