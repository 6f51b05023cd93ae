/*
 * The MM2 store: two hash maps behind one mutex.
 *
 *   syncs:       "<topic>\0<partition BE32>"         -> translate_history
 *   checkpoints: "<group>\0<topic>\0<partition BE32>" -> store_cp
 *
 * Records arrive in log order from one reader thread per map, so the last
 * record applied wins, as in MM2's own stores.
 */
#include "routing/mm2_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "routing/hmap.h"

typedef struct store_cp {
	translate_checkpoint cp;
	size_t mlen;
	char meta[]; /* commit metadata, not NUL-terminated */
} store_cp;

struct mm2_store {
	pthread_mutex_t mu;
	hmap syncs;       /* values: translate_history */
	hmap checkpoints; /* values: store_cp */
	uint64_t next_id; /* identity for each applied sync */
	mm2_store_counts counts;
};

mm2_store *mm2_store_new(void)
{
	mm2_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (pthread_mutex_init(&s->mu, NULL)) {
		free(s);
		return NULL;
	}
	hmap_init(&s->syncs);
	hmap_init(&s->checkpoints);
	return s;
}

void mm2_store_free(mm2_store *s)
{
	if (!s)
		return;
	hmap_free(&s->syncs, free);
	hmap_free(&s->checkpoints, free);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* key = parts joined by NUL, then the partition big-endian. */
static size_t store_key(char *buf, size_t cap, const char *a, size_t alen, const char *b,
                        size_t blen, int32_t partition)
{
	size_t need = alen + 1 + (b ? blen + 1 : 0) + 4;
	if (need > cap)
		return 0;
	size_t n = 0;
	memcpy(buf + n, a, alen);
	n += alen;
	buf[n++] = '\0';
	if (b) {
		memcpy(buf + n, b, blen);
		n += blen;
		buf[n++] = '\0';
	}
	uint32_t p = (uint32_t)partition;
	buf[n++] = (char)(p >> 24);
	buf[n++] = (char)(p >> 16);
	buf[n++] = (char)(p >> 8);
	buf[n++] = (char)p;
	return n;
}

int mm2_store_add_sync(mm2_store *s, const mm2_offset_sync *os)
{
	char key[256 + 8];
	size_t klen =
	    store_key(key, sizeof(key), os->topic.ptr, os->topic.len, NULL, 0, os->partition);
	if (!klen)
		return -1; /* topic names are checked to be <= 249 bytes by the decoder */
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	translate_history *h = hmap_get(&s->syncs, key, klen);
	if (!h) {
		h = malloc(sizeof(*h));
		if (!h || hmap_put(&s->syncs, key, klen, h, NULL)) {
			free(h);
			rc = -1;
			goto out;
		}
		translate_history_init(h);
		s->counts.sync_partitions++;
	}
	translate_history_apply(h, os->upstream, os->downstream, ++s->next_id);
	s->counts.syncs++;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int mm2_store_add_checkpoint(mm2_store *s, const mm2_checkpoint *cp)
{
	size_t kcap = cp->group.len + cp->topic.len + 6;
	char *key = malloc(kcap);
	store_cp *v = malloc(sizeof(*v) + cp->metadata.len + 1);
	if (!key || !v)
		goto fail;
	size_t klen = store_key(key, kcap, cp->group.ptr, cp->group.len, cp->topic.ptr,
	                        cp->topic.len, cp->partition);
	if (!klen)
		goto fail;
	v->cp.up = cp->upstream;
	v->cp.down = cp->downstream;
	v->mlen = cp->metadata.len;
	if (cp->metadata.len)
		memcpy(v->meta, cp->metadata.ptr, cp->metadata.len);
	void *old = NULL;
	pthread_mutex_lock(&s->mu);
	int rc = hmap_put(&s->checkpoints, key, klen, v, &old);
	if (rc == 0) {
		s->counts.checkpoints++;
		if (!old)
			s->counts.checkpoint_keys++;
	}
	pthread_mutex_unlock(&s->mu);
	free(key);
	free(old);
	if (rc)
		free(v);
	return rc;
fail:
	free(key);
	free(v);
	return -1;
}

void mm2_store_count_bad(mm2_store *s, int is_checkpoint)
{
	pthread_mutex_lock(&s->mu);
	if (is_checkpoint)
		s->counts.bad_checkpoints++;
	else
		s->counts.bad_syncs++;
	pthread_mutex_unlock(&s->mu);
}

int mm2_store_history(mm2_store *s, const char *topic, int32_t partition, translate_history *out)
{
	char key[256 + 8];
	size_t klen = store_key(key, sizeof(key), topic, strlen(topic), NULL, 0, partition);
	if (!klen)
		return 0;
	pthread_mutex_lock(&s->mu);
	const translate_history *h = hmap_get(&s->syncs, key, klen);
	if (h)
		*out = *h;
	pthread_mutex_unlock(&s->mu);
	return h != NULL;
}

int mm2_store_checkpoint(mm2_store *s, const char *group, const char *topic, int32_t partition,
                         translate_checkpoint *out, char *meta, size_t metalen)
{
	size_t kcap = strlen(group) + strlen(topic) + 6;
	char *key = malloc(kcap);
	if (!key)
		return 0;
	size_t klen = store_key(key, kcap, group, strlen(group), topic, strlen(topic), partition);
	int found = 0;
	if (klen) {
		pthread_mutex_lock(&s->mu);
		const store_cp *v = hmap_get(&s->checkpoints, key, klen);
		if (v) {
			found = 1;
			*out = v->cp;
			if (meta && metalen) {
				size_t n = v->mlen < metalen - 1 ? v->mlen : metalen - 1;
				memcpy(meta, v->meta, n);
				meta[n] = '\0';
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
	free(key);
	return found;
}

void mm2_store_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Distinct topics among the keys of map; with group, only keys of that group
 * ("<group>\0<topic>\0..."). */
static int store_topics(mm2_store *s, const hmap *map, const char *group, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	hmap seen; /* topic -> present, to list each topic once */
	hmap_init(&seen);
	size_t glen = group ? strlen(group) + 1 : 0;
	pthread_mutex_lock(&s->mu);
	size_t cnt = 0;
	char **out = calloc(map->n ? map->n : 1, sizeof(*out));
	int rc = out ? 0 : -1;
	size_t it = 0;
	const char *key;
	size_t klen;
	void *val;
	while (rc == 0 && hmap_next(map, &it, &key, &klen, &val)) {
		if (group && (klen < glen || memcmp(key, group, glen) != 0))
			continue;
		const char *topic = key + glen; /* NUL-terminated inside the key */
		size_t tlen = strlen(topic);
		if (hmap_get(&seen, topic, tlen))
			continue;
		if (hmap_put(&seen, topic, tlen, &seen, NULL) || !(out[cnt] = strdup(topic)))
			rc = -1;
		else
			cnt++;
	}
	pthread_mutex_unlock(&s->mu);
	hmap_free(&seen, NULL);
	if (rc) {
		mm2_store_free_names(out, cnt);
		return -1;
	}
	*names = out;
	*n = cnt;
	return 0;
}

int mm2_store_sync_topics(mm2_store *s, char ***names, size_t *n)
{
	return store_topics(s, &s->syncs, NULL, names, n);
}

int mm2_store_checkpoint_topics(mm2_store *s, const char *group, char ***names, size_t *n)
{
	return store_topics(s, &s->checkpoints, group, names, n);
}

void mm2_store_counts_get(mm2_store *s, mm2_store_counts *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->counts;
	pthread_mutex_unlock(&s->mu);
}
