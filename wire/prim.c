/*
 * Kafka primitive encodings (big-endian fixed ints, zig-zag varints, LEB128
 * unsigned varints, classic and KIP-482 compact strings, bytes and arrays).
 *
 * The reader never reads past its range and never trusts a length: a string,
 * bytes or array length larger than what is left is an error before anything
 * is allocated. The writer grows its buffer and keeps a sticky error, so
 * generated encoders can chain calls and check once.
 */
#include "wire/prim.h"

#include "wire/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

wire_str wire_str_c(const char *s)
{
	if (!s)
		return wire_str_null();
	size_t n = strlen(s);
	return (wire_str){s, n > INT32_MAX ? INT32_MAX : (int32_t)n};
}

bool wire_str_eq(wire_str a, wire_str b)
{
	if (a.len != b.len)
		return false;
	return a.len <= 0 || memcmp(a.p, b.p, (size_t)a.len) == 0;
}

bool wire_str_eqc(wire_str a, const char *s)
{
	return wire_str_eq(a, wire_str_c(s));
}

bool wire_bytes_eq(wire_bytes a, wire_bytes b)
{
	if (a.len != b.len)
		return false;
	return a.len <= 0 || memcmp(a.p, b.p, (size_t)a.len) == 0;
}

bool wire_tags_eq(const wire_tags *a, const wire_tags *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->v[i].tag != b->v[i].tag || !wire_bytes_eq(a->v[i].data, b->v[i].data))
			return false;
	return true;
}

/* ---- reader ---- */

void wire_rd_init(wire_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->err = NULL;
	r->where = NULL;
	r->err_pos = 0;
}

int wire_rd_fail(wire_rd *r, const char *err)
{
	if (!r->err) {
		r->err = err;
		r->err_pos = r->pos;
	}
	return -1;
}

int wire_rd_at(wire_rd *r, const char *where)
{
	if (!r->where)
		r->where = where;
	return -1;
}

void wire_rd_describe(const wire_rd *r, char *out, size_t outlen)
{
	if (!outlen)
		return;
	snprintf(out, outlen, "%s%s%s (offset %zu of %zu)", r->err ? r->err : "no error",
	         r->where ? " at " : "", r->where ? r->where : "", r->err_pos, r->len);
}

static int need(wire_rd *r, size_t n)
{
	if (r->len - r->pos < n)
		return wire_rd_fail(r, "truncated input");
	return 0;
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

#define RD_FIXED(name, type, utype, n)                                                             \
	int wire_rd_##name(wire_rd *r, type *v)                                                    \
	{                                                                                          \
		if (need(r, n))                                                                    \
			return -1;                                                                 \
		*v = (type)(utype)be(r->p + r->pos, n);                                            \
		r->pos += n;                                                                       \
		return 0;                                                                          \
	}

RD_FIXED(int8, int8_t, uint8_t, 1)
RD_FIXED(int16, int16_t, uint16_t, 2)
RD_FIXED(uint16, uint16_t, uint16_t, 2)
RD_FIXED(int32, int32_t, uint32_t, 4)
RD_FIXED(uint32, uint32_t, uint32_t, 4)
RD_FIXED(int64, int64_t, uint64_t, 8)

int wire_rd_bool(wire_rd *r, bool *v)
{
	int8_t b;
	if (wire_rd_int8(r, &b))
		return -1;
	*v = b != 0;
	return 0;
}

int wire_rd_float64(wire_rd *r, double *v)
{
	uint64_t u;
	if (wire_rd_int64(r, (int64_t *)&u))
		return -1;
	memcpy(v, &u, sizeof(*v));
	return 0;
}

int wire_rd_uvarlong(wire_rd *r, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (need(r, 1))
			return -1;
		uint8_t b = r->p[r->pos++];
		if (shift == 63 && b > 1)
			return wire_rd_fail(r, "varint overflows 64 bits");
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return wire_rd_fail(r, "varint longer than 10 bytes");
}

int wire_rd_uvarint(wire_rd *r, uint32_t *v)
{
	uint32_t x = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		if (need(r, 1))
			return -1;
		uint8_t b = r->p[r->pos++];
		if (shift == 28 && b > 0x0f)
			return wire_rd_fail(r, "varint overflows 32 bits");
		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return wire_rd_fail(r, "varint longer than 5 bytes");
}

int wire_rd_varint(wire_rd *r, int32_t *v)
{
	uint32_t u;
	if (wire_rd_uvarint(r, &u))
		return -1;
	*v = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
	return 0;
}

int wire_rd_varlong(wire_rd *r, int64_t *v)
{
	uint64_t u;
	if (wire_rd_uvarlong(r, &u))
		return -1;
	*v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
	return 0;
}

int wire_rd_uuid(wire_rd *r, wire_uuid *v)
{
	if (need(r, 16))
		return -1;
	memcpy(v->b, r->p + r->pos, 16);
	r->pos += 16;
	return 0;
}

/* Reads a length: classic int16/int32 with -1 for null, or compact uvarint N+1
 * with 0 for null. Lengths below -1 are malformed. */
static int rd_len(wire_rd *r, bool compact, bool wide, int32_t *n)
{
	if (compact) {
		uint32_t u;
		if (wire_rd_uvarint(r, &u))
			return -1;
		if (u > (uint32_t)INT32_MAX)
			return wire_rd_fail(r, "length out of range");
		*n = (int32_t)u - 1;
		return 0;
	}
	if (wide)
		return wire_rd_int32(r, n) ? -1
		                           : (*n < -1 ? wire_rd_fail(r, "negative length") : 0);
	int16_t s;
	if (wire_rd_int16(r, &s))
		return -1;
	if (s < -1)
		return wire_rd_fail(r, "negative length");
	*n = s;
	return 0;
}

int wire_rd_str(wire_rd *r, bool compact, wire_str *v)
{
	int32_t n;
	if (rd_len(r, compact, false, &n))
		return -1;
	if (n >= 0 && (size_t)n > wire_rd_left(r))
		return wire_rd_fail(r, "string length exceeds input");
	v->p = n >= 0 ? (const char *)r->p + r->pos : NULL;
	v->len = n;
	if (n > 0)
		r->pos += (size_t)n;
	return 0;
}

int wire_rd_bytes(wire_rd *r, bool compact, wire_bytes *v)
{
	int32_t n;
	if (rd_len(r, compact, true, &n))
		return -1;
	if (n >= 0 && (size_t)n > wire_rd_left(r))
		return wire_rd_fail(r, "bytes length exceeds input");
	v->p = n >= 0 ? r->p + r->pos : NULL;
	v->len = n;
	if (n > 0)
		r->pos += (size_t)n;
	return 0;
}

int wire_rd_arrlen(wire_rd *r, bool compact, int32_t *n)
{
	if (rd_len(r, compact, true, n))
		return -1;
	if (*n > 0 && (size_t)*n > wire_rd_left(r))
		return wire_rd_fail(r, "array length exceeds input");
	return 0;
}

int wire_rd_raw(wire_rd *r, size_t n, const uint8_t **p)
{
	if (need(r, n))
		return -1;
	*p = r->p + r->pos;
	r->pos += n;
	return 0;
}

int wire_rd_sub_fail(wire_rd *r, const wire_rd *sub, size_t size, const char *where)
{
	if (!r->err) {
		r->err = sub->err ? sub->err : "malformed tagged field";
		r->where = sub->where ? sub->where : where;
		r->err_pos = r->pos - size + sub->err_pos;
	}
	return -1;
}

int wire_tags_add(wire_tags *t, struct wire_arena *a, uint32_t cap, uint32_t tag, const uint8_t *p,
                  uint32_t size)
{
	if (!t->v) {
		t->v = wire_arena_calloc(a, cap ? cap : 1, sizeof(*t->v));
		if (!t->v)
			return -1;
	}
	if (t->n >= cap)
		return -1;
	t->v[t->n++] = (wire_rawtag){tag, {p, (int32_t)size}};
	return 0;
}

/* ---- writer ---- */

void wire_wr_init(wire_wr *w, bool zero_copy)
{
	memset(w, 0, sizeof(*w));
	w->zero_copy = zero_copy;
}

void wire_wr_free(wire_wr *w)
{
	free(w->buf);
	free(w->refs);
	bool zc = w->zero_copy;
	wire_wr_init(w, zc);
}

int wire_wr_fail(wire_wr *w, const char *err, const char *where)
{
	if (!w->err) {
		w->err = err;
		w->where = where;
	}
	return -1;
}

static int grow(wire_wr *w, size_t n)
{
	if (w->err)
		return -1;
	if (w->cap - w->len >= n)
		return 0;
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len < n) {
		if (cap > SIZE_MAX / 2)
			return wire_wr_fail(w, "message too large", NULL);
		cap *= 2;
	}
	uint8_t *b = realloc(w->buf, cap);
	if (!b)
		return wire_wr_fail(w, "out of memory", NULL);
	w->buf = b;
	w->cap = cap;
	return 0;
}

int wire_wr_raw(wire_wr *w, const void *p, size_t n)
{
	if (grow(w, n))
		return -1;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int put_be(wire_wr *w, uint64_t v, int n)
{
	if (grow(w, (size_t)n))
		return -1;
	for (int i = n - 1; i >= 0; i--) {
		w->buf[w->len + (size_t)i] = (uint8_t)v;
		v >>= 8;
	}
	w->len += (size_t)n;
	return 0;
}

int wire_wr_int8(wire_wr *w, int8_t v)
{
	return put_be(w, (uint8_t)v, 1);
}
int wire_wr_bool(wire_wr *w, bool v)
{
	return put_be(w, v ? 1 : 0, 1);
}
int wire_wr_int16(wire_wr *w, int16_t v)
{
	return put_be(w, (uint16_t)v, 2);
}
int wire_wr_uint16(wire_wr *w, uint16_t v)
{
	return put_be(w, v, 2);
}
int wire_wr_int32(wire_wr *w, int32_t v)
{
	return put_be(w, (uint32_t)v, 4);
}
int wire_wr_uint32(wire_wr *w, uint32_t v)
{
	return put_be(w, v, 4);
}
int wire_wr_int64(wire_wr *w, int64_t v)
{
	return put_be(w, (uint64_t)v, 8);
}

int wire_wr_float64(wire_wr *w, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	return put_be(w, u, 8);
}

int wire_wr_uvarlong(wire_wr *w, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		tmp[n++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return wire_wr_raw(w, tmp, n);
}

int wire_wr_uvarint(wire_wr *w, uint32_t v)
{
	return wire_wr_uvarlong(w, v);
}

int wire_wr_varint(wire_wr *w, int32_t v)
{
	return wire_wr_uvarlong(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

int wire_wr_varlong(wire_wr *w, int64_t v)
{
	return wire_wr_uvarlong(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

int wire_wr_uuid(wire_wr *w, const wire_uuid *v)
{
	return wire_wr_raw(w, v->b, 16);
}

static int wr_len(wire_wr *w, bool compact, bool wide, int32_t n)
{
	if (n < -1)
		return wire_wr_fail(w, "negative length", NULL);
	if (compact)
		return wire_wr_uvarint(w, (uint32_t)(n + 1));
	if (wide)
		return wire_wr_int32(w, n);
	if (n > INT16_MAX)
		return wire_wr_fail(w, "string longer than 32767 bytes", NULL);
	return wire_wr_int16(w, (int16_t)n);
}

int wire_wr_str(wire_wr *w, bool compact, wire_str v)
{
	if (wr_len(w, compact, false, v.len))
		return -1;
	return v.len > 0 ? wire_wr_raw(w, v.p, (size_t)v.len) : 0;
}

int wire_wr_bytes(wire_wr *w, bool compact, wire_bytes v)
{
	if (wr_len(w, compact, true, v.len))
		return -1;
	return v.len > 0 ? wire_wr_raw(w, v.p, (size_t)v.len) : 0;
}

int wire_wr_records(wire_wr *w, bool compact, wire_bytes v)
{
	if (!w->zero_copy || v.len <= 0)
		return wire_wr_bytes(w, compact, v);
	if (wr_len(w, compact, true, v.len))
		return -1;
	if (w->nrefs == w->refcap) {
		size_t cap = w->refcap ? w->refcap * 2 : 8;
		wire_ref *r = realloc(w->refs, cap * sizeof(*r));
		if (!r)
			return wire_wr_fail(w, "out of memory", NULL);
		w->refs = r;
		w->refcap = cap;
	}
	w->refs[w->nrefs++] = (wire_ref){w->len, v.p, (size_t)v.len};
	w->reflen += (size_t)v.len;
	return 0;
}

int wire_wr_arrlen(wire_wr *w, bool compact, int32_t n)
{
	return wr_len(w, compact, true, n);
}

int wire_wr_tagged(wire_wr *w, uint32_t tag, const wire_wr *field)
{
	if (field->err)
		return wire_wr_fail(w, field->err, field->where);
	if (field->nrefs)
		return wire_wr_fail(w, "tagged field cannot hold referenced bytes", NULL);
	if (field->len > UINT32_MAX)
		return wire_wr_fail(w, "tagged field too large", NULL);
	if (wire_wr_uvarint(w, tag) || wire_wr_uvarint(w, (uint32_t)field->len))
		return -1;
	return wire_wr_raw(w, field->buf, field->len);
}

int wire_wr_rawtag(wire_wr *w, const wire_rawtag *t)
{
	if (t->data.len < 0)
		return wire_wr_fail(w, "raw tagged field without data", NULL);
	if (wire_wr_uvarint(w, t->tag) || wire_wr_uvarint(w, (uint32_t)t->data.len))
		return -1;
	return wire_wr_raw(w, t->data.p, (size_t)t->data.len);
}

void wire_wr_put_int32_at(wire_wr *w, size_t off, int32_t v)
{
	uint32_t u = (uint32_t)v;
	if (off + 4 > w->len)
		return;
	for (int i = 3; i >= 0; i--) {
		w->buf[off + (size_t)i] = (uint8_t)u;
		u >>= 8;
	}
}

int wire_wr_flatten(wire_wr *w)
{
	if (w->err)
		return -1;
	if (!w->nrefs)
		return 0;
	size_t total = w->len + w->reflen;
	uint8_t *b = malloc(total ? total : 1);
	if (!b)
		return wire_wr_fail(w, "out of memory", NULL);
	size_t src = 0, dst = 0;
	for (size_t i = 0; i < w->nrefs; i++) {
		const wire_ref *r = &w->refs[i];
		memcpy(b + dst, w->buf + src, r->at - src);
		dst += r->at - src;
		src = r->at;
		memcpy(b + dst, r->p, r->len);
		dst += r->len;
	}
	memcpy(b + dst, w->buf + src, w->len - src);
	free(w->buf);
	free(w->refs);
	w->buf = b;
	w->len = w->cap = total;
	w->refs = NULL;
	w->nrefs = w->refcap = 0;
	w->reflen = 0;
	return 0;
}
