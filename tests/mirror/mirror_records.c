/*
 * MM2's record layouts, written from the field lists in Checkpoint.java and
 * OffsetSync.java (Kafka's non-flexible Struct encoding: big-endian
 * integers, INT16-length strings, no framing). Deliberately separate from
 * routing/mm2_records.c so a mistake in one shows up against the other.
 */
#include <string.h>

#include "tests/mirror/mirror.h"

typedef struct out {
	uint8_t *p;
	size_t cap, len;
	int bad;
} out;

static void put(out *o, uint64_t v, int bytes)
{
	if (o->len + (size_t)bytes > o->cap) {
		o->bad = 1;
		return;
	}
	for (int i = bytes - 1; i >= 0; i--)
		o->p[o->len++] = (uint8_t)(v >> (8 * i));
}

static void put_str(out *o, const char *s, size_t n)
{
	if (n > 32767 || o->len + 2 + n > o->cap) {
		o->bad = 1;
		return;
	}
	put(o, n, 2);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

size_t mirror_enc_sync_key(uint8_t *buf, size_t cap, const char *topic, int32_t partition)
{
	out o = {buf, cap, 0, 0};
	put_str(&o, topic, strlen(topic));
	put(&o, (uint32_t)partition, 4);
	return o.bad ? 0 : o.len;
}

size_t mirror_enc_sync_value(uint8_t *buf, size_t cap, int64_t up, int64_t down)
{
	out o = {buf, cap, 0, 0};
	put(&o, (uint64_t)up, 8);   /* upstreamOffset */
	put(&o, (uint64_t)down, 8); /* offset */
	return o.bad ? 0 : o.len;
}

size_t mirror_enc_checkpoint_key(uint8_t *buf, size_t cap, const char *group, const char *topic,
                                 int32_t partition)
{
	out o = {buf, cap, 0, 0};
	put_str(&o, group, strlen(group));
	put_str(&o, topic, strlen(topic));
	put(&o, (uint32_t)partition, 4);
	return o.bad ? 0 : o.len;
}

size_t mirror_enc_checkpoint_value(uint8_t *buf, size_t cap, int64_t up, int64_t down,
                                   const char *metadata, size_t mlen)
{
	out o = {buf, cap, 0, 0};
	put(&o, 0, 2); /* header: version 0 */
	put(&o, (uint64_t)up, 8);
	put(&o, (uint64_t)down, 8);
	put_str(&o, metadata, mlen);
	return o.bad ? 0 : o.len;
}
