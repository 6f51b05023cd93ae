/*
 * MM2 record codec. A reader walks the bytes with a cursor that fails
 * (sticky) on the first short read; each decoder then insists the whole key
 * and value were consumed, because a record with extra or missing bytes is
 * not one MM2 wrote and must not be guessed at. Semantic checks (negative
 * partition or offset, illegal topic name, NUL in a group id) reject records
 * that would otherwise poison the translation state.
 */
#include "routing/mm2_records.h"

#include <string.h>

#include "routing/mm2_names.h"

typedef struct rd {
	const uint8_t *p;
	size_t left;
	int bad; /* a read ran past the end */
	int neg; /* a string had a negative length */
} rd;

static uint64_t rd_be(rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

static int16_t rd_i16(rd *r)
{
	return (int16_t)(uint16_t)rd_be(r, 2);
}

static int32_t rd_i32(rd *r)
{
	return (int32_t)(uint32_t)rd_be(r, 4);
}

static int64_t rd_i64(rd *r)
{
	return (int64_t)rd_be(r, 8);
}

static mm2_bytes rd_str(rd *r)
{
	mm2_bytes s = {NULL, 0};
	int16_t len = rd_i16(r);
	if (r->bad)
		return s;
	if (len < 0) {
		r->neg = 1;
		r->bad = 1;
		return s;
	}
	if (r->left < (size_t)len) {
		r->bad = 1;
		return s;
	}
	s.ptr = (const char *)r->p;
	s.len = (size_t)len;
	r->p += len;
	r->left -= (size_t)len;
	return s;
}

/* Maps a finished reader to a reason, or NULL if it read exactly everything. */
static const char *rd_done(const rd *r, const char *truncated, const char *negative,
                           const char *trailing)
{
	if (r->neg)
		return negative;
	if (r->bad)
		return truncated;
	if (r->left)
		return trailing;
	return NULL;
}

static const char *check_topic(mm2_bytes t)
{
	if (t.len == 0)
		return "empty topic name";
	if (t.len > 249)
		return "topic name longer than 249 bytes";
	if (!mm2_names_topic_chars_ok(t.ptr, t.len) || (t.len == 1 && t.ptr[0] == '.') ||
	    (t.len == 2 && t.ptr[0] == '.' && t.ptr[1] == '.'))
		return "illegal topic name";
	return NULL;
}

int mm2_checkpoint_decode(const void *key, size_t klen, const void *val, size_t vlen,
                          mm2_checkpoint *out, const char **why)
{
	const char *bad;
	memset(out, 0, sizeof(*out));
	if (!key) {
		*why = "null key";
		return -1;
	}
	if (!val) {
		*why = "null value (tombstone)";
		return -1;
	}
	rd k = {key, klen, 0, 0};
	out->group = rd_str(&k);
	out->topic = rd_str(&k);
	out->partition = rd_i32(&k);
	if ((bad = rd_done(&k, "truncated checkpoint key", "negative string length in key",
	                   "trailing bytes after checkpoint key")))
		goto fail;
	rd v = {val, vlen, 0, 0};
	int16_t version = rd_i16(&v);
	if (v.bad) {
		bad = "truncated checkpoint value";
		goto fail;
	}
	if (version != 0) {
		bad = "unsupported checkpoint version (only 0 exists)";
		goto fail;
	}
	out->upstream = rd_i64(&v);
	out->downstream = rd_i64(&v);
	out->metadata = rd_str(&v);
	if ((bad = rd_done(&v, "truncated checkpoint value", "negative string length in value",
	                   "trailing bytes after checkpoint value")))
		goto fail;
	if (memchr(out->group.ptr, '\0', out->group.len)) {
		bad = "NUL byte in group id";
		goto fail;
	}
	if ((bad = check_topic(out->topic)))
		goto fail;
	if (out->partition < 0) {
		bad = "negative partition";
		goto fail;
	}
	if (out->upstream < 0 || out->downstream < 0) {
		bad = "negative offset";
		goto fail;
	}
	return 0;
fail:
	*why = bad;
	return -1;
}

int mm2_offset_sync_decode(const void *key, size_t klen, const void *val, size_t vlen,
                           mm2_offset_sync *out, const char **why)
{
	const char *bad;
	memset(out, 0, sizeof(*out));
	if (!key) {
		*why = "null key";
		return -1;
	}
	if (!val) {
		*why = "null value (tombstone)";
		return -1;
	}
	rd k = {key, klen, 0, 0};
	out->topic = rd_str(&k);
	out->partition = rd_i32(&k);
	if ((bad = rd_done(&k, "truncated offset-sync key", "negative string length in key",
	                   "trailing bytes after offset-sync key")))
		goto fail;
	rd v = {val, vlen, 0, 0};
	out->upstream = rd_i64(&v);
	out->downstream = rd_i64(&v);
	if ((bad = rd_done(&v, "truncated offset-sync value", "negative string length in value",
	                   "trailing bytes after offset-sync value")))
		goto fail;
	if ((bad = check_topic(out->topic)))
		goto fail;
	if (out->partition < 0) {
		bad = "negative partition";
		goto fail;
	}
	if (out->upstream < 0 || out->downstream < 0) {
		bad = "negative offset";
		goto fail;
	}
	return 0;
fail:
	*why = bad;
	return -1;
}

typedef struct wr {
	uint8_t *p;
	size_t left;
	int bad;
} wr;

static void wr_be(wr *w, uint64_t v, size_t n)
{
	if (w->bad || w->left < n) {
		w->bad = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->p += n;
	w->left -= n;
}

static void wr_str(wr *w, mm2_bytes s)
{
	if (s.len > 32767 || w->bad || w->left < 2 + s.len) {
		w->bad = 1;
		return;
	}
	wr_be(w, s.len, 2);
	if (s.len)
		memcpy(w->p, s.ptr, s.len);
	w->p += s.len;
	w->left -= s.len;
}

int mm2_checkpoint_encode(const mm2_checkpoint *cp, uint8_t *key, size_t kcap, size_t *klen,
                          uint8_t *val, size_t vcap, size_t *vlen)
{
	wr k = {key, kcap, 0}, v = {val, vcap, 0};
	wr_str(&k, cp->group);
	wr_str(&k, cp->topic);
	wr_be(&k, (uint32_t)cp->partition, 4);
	wr_be(&v, 0, 2); /* version */
	wr_be(&v, (uint64_t)cp->upstream, 8);
	wr_be(&v, (uint64_t)cp->downstream, 8);
	wr_str(&v, cp->metadata);
	if (k.bad || v.bad)
		return -1;
	*klen = kcap - k.left;
	*vlen = vcap - v.left;
	return 0;
}

int mm2_offset_sync_encode(const mm2_offset_sync *os, uint8_t *key, size_t kcap, size_t *klen,
                           uint8_t *val, size_t vcap, size_t *vlen)
{
	wr k = {key, kcap, 0}, v = {val, vcap, 0};
	wr_str(&k, os->topic);
	wr_be(&k, (uint32_t)os->partition, 4);
	wr_be(&v, (uint64_t)os->upstream, 8);
	wr_be(&v, (uint64_t)os->downstream, 8);
	if (k.bad || v.bad)
		return -1;
	*klen = kcap - k.left;
	*vlen = vcap - v.left;
	return 0;
}
